"""A patient who reads Spanish or Arabic books, manages and opens "my data" on a phone, in headless Chromium.

Every state is checked by axe-core (WCAG 2.1 A/AA, 0 violations) and for English: no text of the English
catalogue (whose translation differs) may show on the page, and the clinic's own words (service names,
cancellation policy) come in the patient's language too. Arabic pages are right to left (dir="rtl").
After any error the focus is on the message that explains it.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from chalicelib.i18n import LOCALES
from tests.e2e.conftest import mailed_words, request, sent_mail_bodies
from tests.e2e.test_patient_pages import clean_by_axe, focused_id, latest_code, open_page

pytestmark = pytest.mark.e2e
PLACEHOLDER = re.compile(r"%\(\w+\)s")
LANGUAGES = {"es": {"locale": "es-US", "dir": "ltr", "service": "Consulta", "policy": "Puede cancelar"},
             "ar": {"locale": "ar-EG", "dir": "rtl", "service": "استشارة", "policy": "يمكنك الإلغاء"}}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request) -> str:
    return request.param


@cache
def english_texts(language: str) -> tuple[re.Pattern, ...]:
    """Patterns of the English catalogue's patient-facing texts (or their fixed parts) that `language` says
    otherwise (the console's texts, such as "Person", never show on a patient's page; staff names may)."""
    from tests.unit.test_catalogues import is_console, texts_in_the_code

    console_only = {text for text, paths in texts_in_the_code().items() if all(is_console(p) for p in paths)}
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        translated = {str(m.id): str(m.string) for m in read_po(source, locale=language) if m.id and m.string}
    patterns = []
    for text, translation in translated.items():
        if translation == text or text in console_only:
            continue
        parts = [p.strip(" .,:;()") for p in PLACEHOLDER.split(text)] if "%(" in text else [text]
        patterns += [re.compile(rf"(?<!\w){re.escape(p)}(?!\w)") for p in parts if len(p) >= 8 or
                     ("%(" not in text and len(p) >= 3)]
    return tuple(patterns)


def no_english(page, language: str, state: str) -> None:
    shown = page.evaluate("document.title + '\\n' + document.body.innerText")
    shown = shown.replace("Demo Clinic", "")  # the clinic's own name is a name in every language
    found = [p.pattern for p in english_texts(language) if p.search(shown)]
    assert found == [], f"{state}: English on a {language} page"


def check(page, axe_source: str, language: str, state: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == LANGUAGES[language]["dir"]
    no_english(page, language, state)
    clean_by_axe(page, axe_source, f"{state}-{language}-phone")


def open_in(browser, language: str):
    return open_page(browser, "phone", locale=LANGUAGES[language]["locale"],
                     extra_http_headers={"Accept-Language": LANGUAGES[language]["locale"]})


def test_a_patient_books_and_manages_in_their_language_on_a_phone(stack, browser, axe_source, language):
    credentials, _ = stack
    expected = LANGUAGES[language]
    context, page = open_in(browser, language)
    page.goto(f"{credentials['api']}/book/demo")
    page.locator("#slots [role=radio]").first.wait_for()
    assert expected["policy"] in page.locator("#booking-policy").inner_text()  # before booking
    assert expected["service"] in page.locator("#service option").first.inner_text()
    check(page, axe_source, language, "book")
    day_height = page.evaluate("document.getElementById('slots').getBoundingClientRect().height")
    assert day_height <= 2 * 844, day_height  # a day of times fits in about two phone screens
    assert page.locator("#slots .slot-group").count() >= 1

    page.locator("#confirm").click()  # nothing filled in: every problem is said, and focus is on the summary
    page.locator("#confirm-error").wait_for()
    assert focused_id(page) == "confirm-error"
    check(page, axe_source, language, "book-errors")

    page.locator("#slots [role=radio]").first.click()
    page.locator("#name").fill("Lucía Núñez" if language == "es" else "ليلى حداد")
    page.locator("#email").fill(f"patient.{language}@example.org")
    page.locator("#confirm").click()
    page.locator("#check-title").wait_for()
    check(page, axe_source, language, "book-check-email")

    page.locator("#code").fill(latest_code(credentials))
    page.locator("#confirm-code").click()
    page.locator("#done-title").wait_for()
    assert expected["service"] in page.locator("#done-text").inner_text()
    check(page, axe_source, language, "booked")
    manage = page.locator("#manage-link").get_attribute("href")
    assert page.problems == []
    context.close()

    context, page = open_in(browser, language)
    page.goto(manage if manage.startswith("http") else f"{credentials['api']}{manage}")
    page.locator("#booking:not([hidden])").wait_for()
    page.locator("#slots [role=radio], #slots p").first.wait_for()
    assert page.locator("#booking-service").inner_text() == expected["service"]
    assert expected["policy"] in page.locator("#policy").inner_text()
    check(page, axe_source, language, "manage")
    page.locator("#cancel").click()
    check(page, axe_source, language, "manage-cancel")
    page.locator("#cancel-yes").click()
    page.locator("#status").filter(has_text=re.compile(r"\S")).wait_for()
    check(page, axe_source, language, "manage-cancelled")
    assert page.problems == []
    context.close()


def test_a_time_just_taken_moves_the_focus_to_its_message(stack, browser, axe_source, language):
    credentials, _ = stack
    context, page = open_in(browser, language)
    page.route("**/v1/public/orgs/demo/bookings", lambda route: route.fulfill(
        status=409, content_type="application/json",
        body='{"error": {"code": "slot_unavailable", "message": "That time was just taken."}}'))
    page.goto(f"{credentials['api']}/book/demo")
    page.locator("#slots [role=radio]").first.click()
    page.locator("#name").fill("Taken Time")
    page.locator("#email").fill("taken@example.org")
    page.locator("#confirm").click()
    page.locator("#confirm-error").filter(has_text=re.compile(r"\S")).wait_for()
    assert focused_id(page) == "confirm-error" and page.locator("#slots-error").is_visible()
    check(page, axe_source, language, "book-slot-taken")
    context.close()


def test_my_data_opens_in_their_language_and_the_mail_speaks_it_too(stack, browser, axe_source, language):
    credentials, _ = stack
    email = f"data.{language}@example.org"
    api = credentials["api"]
    # a patient of the clinic first, booked on the page in that language
    context, page = open_in(browser, language)
    page.goto(f"{api}/book/demo")
    page.locator("#slots [role=radio]").first.click()
    page.locator("#name").fill("Data Person")
    page.locator("#email").fill(email)
    page.locator("#confirm").click()
    page.locator("#check-title").wait_for()  # the hold is made and its code mailed
    page.locator("#code").fill(latest_code(credentials))
    page.locator("#confirm-code").click()
    page.locator("#done-title").wait_for()
    context.close()

    before = len(sent_mail_bodies(credentials))
    request("POST", f"{api}/v1/public/orgs/demo/self-service/link", {"email": email},
            **{"Accept-Language": LANGUAGES[language]["locale"]})
    link = mailed_words(credentials, "/my/data/demo#", after=before)[-1]
    mail = [body for body in sent_mail_bodies(credentials)[before:] if link in body][-1]
    assert "Here is your link" not in mail and "demo-clinic.example" in mail  # the clinic's words, its reply address

    context, page = open_in(browser, language)
    page.goto(link)
    page.locator("#shown-email").get_by_text(email).wait_for()
    check(page, axe_source, language, "my-data")
    page.locator("#erase").click()
    check(page, axe_source, language, "my-data-erase-confirm")
    assert page.problems == []
    context.close()


def test_an_unknown_clinic_has_a_page_saying_so(stack, browser, axe_source, language):
    credentials, _ = stack
    context, page = open_in(browser, language)
    answer = page.goto(f"{credentials['api']}/book/no-such-clinic")
    assert answer.status == 404
    assert page.locator("#booking-form").count() == 0
    check(page, axe_source, language, "clinic-not-found")
    context.close()
