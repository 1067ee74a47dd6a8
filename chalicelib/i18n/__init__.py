"""Languages: gettext message catalogues (Babel) for every page, e-mail, text message and calendar file.

Each language is one `locales/<code>/LC_MESSAGES/messages.po`; the English texts are the message ids.
A clinic adds a language by adding its catalogue (README, "Languages"): nothing else changes. The `.po`
files are compiled in memory on first use, so no compiled `.mo` can drift from its source.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError

if TYPE_CHECKING:  # Babel's catalogue machinery loads with the first catalogue, not on every cold start
    from babel.support import Translations

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "en"
# The staff console speaks the languages whose catalogues hold every console text; the patients' pages,
# mails, texts and calendar files speak every catalogue's (tests/unit/test_catalogues.py checks both).
CONSOLE_LANGUAGES = ("en", "es")
# Names people look for in the picker where Babel's own differs: Simplified Chinese, Tagalog (Filipino).
OWN_NAMES = {"zh": "简体中文", "fil": "Tagalog"}
Gettext = Callable[[str], str]


@functools.cache
def languages() -> tuple[str, ...]:
    """The language codes that have a catalogue, English first."""
    found = sorted(path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/messages.po"))
    return tuple(sorted(found, key=lambda code: code != DEFAULT_LANGUAGE))


def language_names(offered: Iterable[str] | None = None) -> dict[str, str]:
    """Each language in its own words ("English", "español", "العربية"), for the language picker."""
    return {code: OWN_NAMES.get(code) or Locale.parse(code).get_display_name(code) or code
            for code in languages() if offered is None or code in offered}


@functools.cache
def translations(language: str) -> Translations:
    """The compiled catalogue of `language` (an unknown one gets English, i.e. the message ids)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language not in languages():
        return Translations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@functools.cache
def direction(language: str) -> str:
    """"rtl" for a language written right to left (Arabic), else "ltr": the pages' and e-mails' `dir`."""
    locale = parse_locale(language)
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


def gettext_for(language: str) -> Gettext:
    """The `_` function of one language."""
    return translations(language).gettext


def parse_locale(tag: str | None) -> Locale | None:
    """A BCP 47 / POSIX tag ("es-MX", "en_GB") as a Babel locale, or None if Babel does not know it."""
    if not tag or len(tag) > 35:
        return None
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def negotiate(picked: str | None, accept_language: str | None, fallback: str | None = None,
              offered: Iterable[str] | None = None) -> str:
    """The page's language: the one the visitor picked, else the browser's best, else the clinic's
    (among `offered`, else every catalogue's). "tl" and "fil" are one language (Babel: fil)."""
    for candidate in [picked, *_accepted(accept_language), fallback]:
        locale = parse_locale(candidate)
        if locale and locale.language in languages() and (offered is None or locale.language in offered):
            return locale.language
    return DEFAULT_LANGUAGE


def formatting_locale(tag: str | None, language: str) -> str:
    """The locale that formats dates: the visitor's own ("en_GB": 24-hour) when it speaks `language`."""
    locale = parse_locale(tag)
    return str(locale) if locale and locale.language == language else language


def _accepted(header: str | None) -> Iterable[str]:
    """Accept-Language's tags, best first (q=0 excluded)."""
    weighted = []
    for position, part in enumerate((header or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]
