"""Every text a patient reads is in every language's catalogue, with the same placeholders.

Patient-facing: everything but the staff console (chalicelib/web/console/, api/console.py), whose texts
must be in the languages it offers (CONSOLE_LANGUAGES) and which offers no other. A text a page says but
the extractor misses (inside an f-string, or a script's `_("...", {values})`) fails here too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib.i18n import CONSOLE_LANGUAGES, LOCALES, direction, gettext_for, languages, negotiate
from chalicelib.i18n.pages import script_texts

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
PATIENT_LANGUAGES = ("en", "es", "zh", "vi", "fil", "ar", "fr", "pt")
CALLS = re.compile(r"""(?<![\w.])_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")


def is_console(path: str) -> bool:
    return "web/console/" in path or path.endswith("api/console.py")


def texts_in_the_code() -> dict[str, set[str]]:
    """Each extracted text and the files that say it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, set[str]] = {}
    for path, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        if isinstance(message, str):
            found.setdefault(message, set()).add(path)
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, set[str]]:
    return texts_in_the_code()


def catalogue(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        read = read_po(source, locale=language)
    for message in read:
        assert not message.id or "fuzzy" not in message.flags, f"{language}: fuzzy {message.id!r}"
    return {str(m.id): str(m.string or "") for m in read if m.id}


def test_the_eight_patient_languages_are_offered_english_first():
    assert languages()[:1] == ("en",) and set(languages()) == set(PATIENT_LANGUAGES)
    assert direction("ar") == "rtl" and {direction(code) for code in languages() if code != "ar"} == {"ltr"}


@pytest.mark.parametrize("language", PATIENT_LANGUAGES)
def test_each_catalogue_holds_every_text_of_the_pages_mails_texts_and_calendar_files(extracted, language):
    patient_facing = {text for text, paths in extracted.items() if not all(is_console(p) for p in paths)}
    held = catalogue(language)

    assert patient_facing - set(held) == set(), "run scripts/messages.py and translate"
    assert len(patient_facing) > 190  # the pages, booking.js, mails, texts, calendar files, privacy page
    for text in patient_facing:
        if language != "en":
            assert held[text], f"{language}: untranslated {text!r}"
    for text, translated in held.items():
        if translated:
            assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(text)), (language, text)


@pytest.mark.parametrize("language", CONSOLE_LANGUAGES)
def test_the_console_languages_hold_every_console_text(extracted, language):
    held = catalogue(language)
    for text, paths in extracted.items():
        if any(is_console(p) for p in paths):
            assert text in held and (language == "en" or held[text]), f"{language}: console text {text!r}"


def test_the_console_offers_only_its_languages():
    assert negotiate(None, "ar,zh;q=0.9", offered=CONSOLE_LANGUAGES) == "en"
    assert negotiate(None, "ar,zh;q=0.9") == "ar"


def test_every_text_the_code_marks_is_extracted(extracted):
    """An f-string or a second argument hides a text from the extractor: the page would show it in English."""
    marked = set()
    for pattern in ("chalicelib/**/*.py", "chalicelib/web/**/*.js", "chalicelib/web/**/*.html"):
        for path in ROOT.glob(pattern):
            if "i18n/" in str(path.relative_to(ROOT)).replace("\\", "/") and path.name == "pages.py":
                continue  # its docstring shows the pattern itself
            for double, single in CALLS.findall(path.read_text(encoding="utf-8")):
                marked.add((double or single).replace('\\"', '"').replace("\\'", "'"))
    assert marked - set(extracted) - {"..."} == set()


def test_the_page_script_carries_every_text_it_says(extracted):
    script = ROOT / "chalicelib" / "web" / "booking.js"
    said = {text for text, paths in extracted.items() if any(p.endswith("web/booking.js") for p in paths)}
    assert set(script_texts(script)) == said  # "Check your e-mail", "%(service)s with %(staff)s, %(when)s"...


@pytest.mark.parametrize(("language", "expected"), [
    ("es", "Confirmar la reserva"), ("fr", "Confirmer la réservation"), ("pt", "Confirmar a marcação"),
    ("zh", "确认预约"), ("vi", "Xác nhận đặt lịch"), ("fil", "Kumpirmahin ang booking"), ("ar", "تأكيد الحجز")])
def test_each_language_is_really_that_language(language, expected):
    assert gettext_for(language)("Confirm booking") == expected
    assert gettext_for("xx")("Confirm booking") == "Confirm booking"  # no catalogue: the English text


@pytest.mark.parametrize(("picked", "accept", "clinic", "expected"), [
    (None, "es-MX,es;q=0.9,en;q=0.8", None, "es"),
    (None, "de-DE,es;q=0.5,en;q=0.7", None, "en"),  # quality decides, not order
    (None, "tl-PH,en;q=0.5", None, "fil"),  # Tagalog is Babel's Filipino
    (None, "zh-CN,zh;q=0.9", None, "zh"),
    (None, "ar-EG", None, "ar"),
    ("en", "es", "es", "en"),  # the patient's pick wins
    (None, "de, it", "es", "es"),  # nothing matches: the clinic's language
    (None, "es;q=0", None, "en"),
    ("../../etc", "x" * 10000, None, "en"),
])
def test_the_page_language_follows_the_pick_then_the_browser_then_the_clinic(picked, accept, clinic, expected):
    assert negotiate(picked, accept, clinic) == expected
