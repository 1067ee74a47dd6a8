"""Every text a patient reads is in every language's catalogue, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib.i18n import LOCALES, gettext_for, languages, negotiate

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def texts_in_the_code() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    return {str(message) for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT), method_map, options_map) if isinstance(message, str)}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return texts_in_the_code()


def test_english_and_spanish_are_offered():
    assert languages()[:1] == ("en",) and "es" in languages()


@pytest.mark.parametrize("language", languages())
def test_each_catalogue_holds_every_text_of_the_pages_mails_texts_and_calendar_files(extracted, language):
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale=language)
    ids = {str(m.id) for m in catalogue if m.id}

    assert extracted - ids == set(), "run scripts/messages.py and translate"
    assert len(extracted) > 90  # the pages, booking.js, mails, texts and calendar files all count
    for message in catalogue:
        if message.id and language != "en":
            assert message.string, f"{language}: untranslated {message.id!r}"
            assert "fuzzy" not in message.flags, f"{language}: fuzzy {message.id!r}"
        if message.string:
            assert set(PLACEHOLDER.findall(str(message.string))) == set(PLACEHOLDER.findall(str(message.id)))


def test_spanish_is_really_spanish():
    assert gettext_for("es")("Confirm booking") == "Confirmar la reserva"
    assert gettext_for("fr")("Confirm booking") == "Confirm booking"  # no catalogue: the English text


@pytest.mark.parametrize(("picked", "accept", "clinic", "expected"), [
    (None, "es-MX,es;q=0.9,en;q=0.8", None, "es"),
    (None, "fr-FR,es;q=0.5,en;q=0.7", None, "en"),  # quality decides, not order
    ("en", "es", "es", "en"),  # the patient's pick wins
    (None, "fr, de", "es", "es"),  # nothing matches: the clinic's language
    (None, "es;q=0", None, "en"),
    ("../../etc", "x" * 10000, None, "en"),
])
def test_the_page_language_follows_the_pick_then_the_browser_then_the_clinic(picked, accept, clinic, expected):
    assert negotiate(picked, accept, clinic) == expected
