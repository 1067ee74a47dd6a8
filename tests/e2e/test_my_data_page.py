"""The patient's own data page (/my/data/{slug}) as a patient uses it, in headless Chromium at phone and
desktop sizes: the e-mailed link opens it once and leaves the address bar, the details are corrected,
a new address is proven with its code, everything downloads as JSON, erasure is asked for, and a second
use of the link is refused. axe-core checks each state for WCAG 2.1 A/AA violations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import mailed_words, request, sent_mail_bodies
from tests.e2e.test_patient_pages import SIZES, book_by_api, clean_by_axe, open_page

pytestmark = pytest.mark.e2e


@pytest.fixture(params=sorted(SIZES))
def size(request) -> str:
    return request.param


def self_service_link(credentials, email: str) -> str:
    before = len(sent_mail_bodies(credentials))
    request("POST", f"{credentials['api']}/v1/public/orgs/demo/self-service/link", {"email": email})
    return mailed_words(credentials, "/my/data/demo#", after=before)[-1]


def code_for_new_address(credentials) -> str:
    body = [b for b in sent_mail_bodies(credentials) if "enter this code on the page" in b][-1]
    return next(word for word in body.split() if word.isdigit() and len(word) == 6)


def test_a_patient_sees_corrects_downloads_and_asks_for_erasure(stack, browser, axe_source, size):
    credentials, _ = stack
    email = f"self.{size}@example.org"
    book_by_api(credentials, email)
    link = self_service_link(credentials, email)
    context, page = open_page(browser, size)

    page.goto(link)
    page.locator("#shown-email").get_by_text(email).wait_for()
    assert "#" not in page.url  # the token left the address bar (and the history) at once
    assert page.locator("#shown-name").inner_text() == "Pat Patient"
    clean_by_axe(page, axe_source, f"my-data-{size}")

    page.get_by_label("Phone (optional)").fill("+1 415 555 0123")
    page.get_by_role("button", name="Save my details").click()
    page.locator("#shown-phone").get_by_text("+14155550123").wait_for()

    page.get_by_label("New e-mail address").fill(f"new.{size}@example.org")
    page.get_by_role("button", name="Send a code to the new address").click()
    page.get_by_label("The 6-digit code we sent to the new address").wait_for()
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type("000000" if code_for_new_address(credentials) != "000000" else "111111")
    page.get_by_role("button", name="Confirm the new address").click()
    page.locator("#code-error").get_by_text("That code is not the one we e-mailed", exact=False).wait_for()
    clean_by_axe(page, axe_source, f"my-data-wrong-code-{size}")
    page.get_by_label("The 6-digit code we sent to the new address").fill(code_for_new_address(credentials))
    page.get_by_role("button", name="Confirm the new address").click()
    page.locator("#shown-email").get_by_text(f"new.{size}@example.org").wait_for()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    document = json.loads(Path(download.value.path()).read_text())
    assert document["details"]["email"] == f"new.{size}@example.org" and len(document["bookings"]) == 1
    assert document["bookings"][0]["staff"]["display_name"].startswith("Dr ")

    page.get_by_role("button", name="Ask the clinic to erase my data").click()
    clean_by_axe(page, axe_source, f"my-data-erase-confirm-{size}")
    page.get_by_role("button", name="Yes, ask for erasure").click()
    page.get_by_text("You asked for erasure; the clinic has not decided yet.").wait_for()
    assert page.problems == []
    context.close()

    again, replay = open_page(browser, size)
    replay.goto(link)  # the same link, a second time
    replay.get_by_text("This link was already used. Ask for a new one below.").wait_for()
    assert replay.locator("#ask-form").is_visible() and not replay.locator("#data").is_visible()
    clean_by_axe(replay, axe_source, f"my-data-link-used-{size}")
    again.close()


def test_the_page_asks_for_a_link_in_spanish_and_says_the_same_for_any_address(stack, browser, axe_source):
    credentials, _ = stack
    context, page = open_page(browser, "desktop", locale="es-ES", extra_http_headers={"Accept-Language": "es"})
    page.goto(f"{credentials['api']}/my/data/demo")
    page.get_by_role("heading", name="Reciba un enlace a sus datos").wait_for()
    page.get_by_label("Correo electrónico", exact=True).fill("nadie@example.org")
    page.get_by_role("button", name="Envíenme un enlace").click()
    page.get_by_text("Si la clínica conoce esta dirección, le llegará un enlace.", exact=False).wait_for()
    clean_by_axe(page, axe_source, "my-data-ask-es")
    assert page.problems == []
    context.close()
