"""The hosted pages in the visitor's language: `{{ _("text") }}` in the HTML becomes the translation,
and the texts the page script says later (`_("...")` in booking.js) travel with the page as JSON.

The same patterns feed `pybabel extract` (babel.cfg names `extract_html` for the HTML files), so
every text on a page is in the catalogues and the completeness test sees it.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from chalicelib.i18n import direction, gettext_for, language_names

TEXT = re.compile(r'\{\{\s*_\("((?:[^"\\]|\\.)*)"\)\s*\}\}')
VARIABLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def render(template: str, language: str, variables: Mapping[str, str]) -> str:
    """The page with its texts translated and escaped; `variables` are inserted as they are (trusted)."""
    _ = gettext_for(language)
    translated = TEXT.sub(lambda m: html.escape(_(_unescape(m.group(1)))), template)
    return VARIABLE.sub(lambda m: variables[m.group(1)], translated)


def script_messages(script: Path, language: str) -> str:
    """The script's texts and their translations as JSON, safe inside a <script type=application/json>."""
    _ = gettext_for(language)
    texts = {msgid: _(msgid) for msgid in script_texts(script)}
    return json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")


def language_options(current: str, offered: Iterable[str] | None = None) -> str:
    """<option>s of the language picker, each language named in its own words (and direction)."""
    return "".join(
        f'<option value="{code}" lang="{code}" dir="{direction(code)}"{" selected" if code == current else ""}>'
        f"{html.escape(name)}</option>" for code, name in language_names(offered).items())


@functools.cache
def script_texts(script: Path) -> tuple[str, ...]:
    from babel.messages.extract import extract_javascript  # once per script, not on every cold start

    with script.open("rb") as source:
        found = (message[0] if isinstance(message, tuple) else message  # `_("...", {values})`: the text
                 for _, _, message, _ in extract_javascript(source, {"_": None}, [], {}))
        return tuple(dict.fromkeys(str(text) for text in found if isinstance(text, str)))


def extract_html(fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple]:
    """Babel extraction method for the pages (babel.cfg): (line, function, message, comments)."""
    text = fileobj.read().decode("utf-8")
    for match in TEXT.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, "_", _unescape(match.group(1)), []


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


