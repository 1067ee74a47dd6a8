"""The hosted pages as a patient uses them, on a phone (390 px) and a desktop (1280 px), in headless Chromium.

Keyboard only, errors in view next to the button, a slow link, Spanish from Accept-Language, the
confirmation naming the doctor, add-to-calendar, cancelling with its policy. axe-core (from npm)
checks every state for WCAG 2.1 A/AA violations, and each page is photographed at both sizes into
.local/screenshots/ (gitignored).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from tests.e2e.conftest import SCREENSHOTS, book_and_confirm, emailed_code, mailed_words, request, sent_mail_bodies

pytestmark = pytest.mark.e2e
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
NEW_YORK = "America/New_York"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(params=sorted(SIZES))
def size(request) -> str:
    return request.param


def open_page(browser, size: str, locale: str = "en-US", **options):
    context = browser.new_context(timezone_id=NEW_YORK, locale=locale, viewport=SIZES[size],
                                  is_mobile=size == "phone", has_touch=size == "phone", accept_downloads=True,
                                  **options)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and page.problems.append(m.text))  # an answered 4xx is the page's business, not a script error
    return context, page


def clean_by_axe(page, axe_source: str, state: str) -> None:
    """0 WCAG A/AA violations; the page is photographed in that state too."""
    page.evaluate(axe_source)
    violations = page.evaluate("async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
                               ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))",
                               WCAG)
    assert violations == [], state
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{state}.png"), full_page=True)


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def latest_code(credentials) -> str:
    """The code of the newest hold's verification e-mail."""
    link = [word for body in sent_mail_bodies(credentials) for word in body.split() if "#confirm/" in word][-1]
    return emailed_code(credentials, link.split("#confirm/", 1)[1].split("/")[0])


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.getAttribute('role')")


def tab_to(page, element_id: str, limit: int = 30) -> int:
    """Press Tab until `element_id` has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return presses
    raise AssertionError(f"Tab never reached #{element_id}")


def test_a_patient_books_with_the_keyboard_alone(stack, browser, axe_source, size):
    credentials, _ = stack
    context, page = open_page(browser, size)
    page.goto(f"{credentials['api']}/book/demo")
    page.locator("#slots [role=radio]").first.wait_for()
    clean_by_axe(page, axe_source, f"book-{size}")

    assert tab_to(page, "service") and page.evaluate("document.activeElement.value")
    tab_to(page, "radio")  # past the day (Chromium tabs through its month, day and year)
    first = page.evaluate("document.activeElement.dataset.start")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(ring.removesuffix("px")) >= 2  # a visible focus ring on the time in focus
    chosen = page.locator("#slots [aria-checked=true]")
    assert chosen.count() == 1 and chosen.get_attribute("data-start") > first
    who = chosen.locator(".who").inner_text()
    assert who.startswith("Dr ")  # "anyone available" says who each time is with
    page.keyboard.press("Tab")
    assert focused_id(page) == "name"
    page.keyboard.type("Kim Keyboard")
    page.keyboard.press("Tab")
    page.keyboard.type(f"kim.{size}@example.org")
    tab_to(page, "confirm")
    page.keyboard.press("Enter")

    page.locator("#check-title").wait_for()  # the time is held until the mailbox is proven
    assert focused_id(page) == "check-title"
    clean_by_axe(page, axe_source, f"book-check-email-{size}")
    page.keyboard.press("Tab")
    page.keyboard.type(latest_code(credentials))
    page.keyboard.press("Enter")
    page.locator("#done-title").wait_for()
    assert focused_id(page) == "done-title"
    assert f"Consultation with {who}" in page.locator("#done-text").inner_text()  # the confirmation names the doctor
    clean_by_axe(page, axe_source, f"booked-{size}")

    with page.expect_download() as download:
        page.get_by_role("button", name="Add to calendar").click()
    ics = Path(download.value.path()).read_bytes()
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == datetime.fromisoformat(chosen.get_attribute("data-start")).astimezone(UTC)
    assert "350 Fifth Avenue" in str(vobject.readOne(ics.decode()).vevent.location.value)
    assert page.problems == []
    context.close()


def test_errors_show_next_to_their_field_and_in_view_next_to_the_button(stack, browser, axe_source, size):
    credentials, _ = stack
    context, page = open_page(browser, size)
    page.goto(f"{credentials['api']}/book/demo")
    page.locator("#slots [role=radio]").first.click()
    page.get_by_label("Name", exact=True).fill("Len Landline")
    page.get_by_label("E-mail", exact=True).fill("not an address")
    page.get_by_role("button", name="Confirm booking").click()

    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert "email-error" in page.locator("#email").get_attribute("aria-describedby")
    assert page.locator("#email-error").inner_text().endswith("Please enter an e-mail address like name@example.com.")
    assert in_viewport(page, "#confirm-error") and in_viewport(page, "#confirm")
    clean_by_axe(page, axe_source, f"book-errors-{size}")

    # the server's verdict lands on its field too: a landline cannot take texts
    page.get_by_label("E-mail", exact=True).fill("len@example.org")
    page.get_by_label("Phone (optional)").fill("+49 30 901820")  # a Berlin landline
    page.get_by_label("Also text me the confirmation and reminders (reply STOP to end them)").check()
    page.get_by_role("button", name="Confirm booking").click()
    page.locator("#phone-error").wait_for()
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert "mobile number" in page.locator("#confirm-error").inner_text() and in_viewport(page, "#confirm-error")
    assert "Field '" not in page.content() and "Failed to fetch" not in page.content()
    assert page.locator("#email").get_attribute("aria-invalid") is None
    assert page.problems == []
    context.close()


def test_a_slow_link_shows_the_times_loading_and_the_first_day_with_free_times_opens(stack, browser, size):
    credentials, _ = stack
    context, page = open_page(browser, size)
    held = []
    page.route("**/slots?**", lambda route: held.append(route))
    page.goto(f"{credentials['api']}/book/demo")
    page.get_by_text("Loading free times…").wait_for()
    assert page.locator("#slots").get_attribute("aria-busy") == "true"
    assert page.locator("#slots [role=radio]").count() == 0  # no old times stay highlighted
    for route in held:
        route.continue_()
    page.unroute("**/slots?**")
    page.locator("#slots [role=radio]").first.wait_for()

    today = datetime.now(ZoneInfo(NEW_YORK)).date()
    service = page.locator("#service").input_value()
    status, answer = request("GET", f"{credentials['api']}/v1/public/orgs/demo/slots?service_id={service}"
                             f"&from={today}&to={today + timedelta(days=13)}&tz={NEW_YORK}")
    assert status == 200 and page.locator("#day").input_value() == answer["slots"][0]["start"][:10]
    context.close()


def test_the_page_is_spanish_for_a_spanish_browser_until_the_patient_picks_english(stack, browser, axe_source, size):
    credentials, _ = stack
    context, page = open_page(browser, size, locale="es-ES", extra_http_headers={"Accept-Language": "es"})
    page.goto(f"{credentials['api']}/book/demo")
    page.get_by_role("heading", name="Reservar con Demo Clinic").wait_for()
    page.locator("#slots [role=radio]").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Confirmar la reserva").is_visible()
    clean_by_axe(page, axe_source, f"book-es-{size}")

    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Book with Demo Clinic").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


def book_by_api(credentials, email: str) -> tuple[str, str]:
    api = credentials["api"]
    _, org = request("GET", f"{api}/v1/public/orgs/demo")
    service = org["services"][0]["id"]
    day = datetime.now(UTC).date() + timedelta(days=9)
    _, found = request("GET", f"{api}/v1/public/orgs/demo/slots?service_id={service}&from={day}"
                       f"&to={day + timedelta(days=7)}&tz={NEW_YORK}")
    status, answer = book_and_confirm(credentials, {
        "service_id": service, "start": found["slots"][-1]["start"], "staff_id": found["slots"][-1]["staff_id"],
        "customer": {"name": "Pat Patient", "email": email}, "timezone": NEW_YORK})
    assert status == 200, answer
    return answer["booking"]["id"], answer["manage_url"]


def test_cancelling_asks_first_and_shows_the_clinics_policy(stack, browser, axe_source, size):
    credentials, _ = stack
    _, manage_url = book_by_api(credentials, f"pat.{size}@example.org")
    context, page = open_page(browser, size)
    page.goto(manage_url)
    page.get_by_text("Booked", exact=True).wait_for()
    page.locator("#slots [role=radio], #slots p").first.wait_for()
    clean_by_axe(page, axe_source, f"manage-{size}")

    page.get_by_role("button", name="Cancel my appointment").click()
    assert page.get_by_text("Cancel this appointment? This cannot be undone.").is_visible()
    assert "Cancel or move up to 24 hours before" in page.locator("#policy").inner_text()
    clean_by_axe(page, axe_source, f"manage-cancel-{size}")
    page.get_by_role("button", name="No, keep it").click()
    assert page.get_by_text("Booked", exact=True).is_visible()

    page.get_by_role("button", name="Cancel my appointment").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.get_by_text("Cancelled. We e-mailed you a confirmation.").wait_for()
    clean_by_axe(page, axe_source, f"manage-cancelled-{size}")
    assert page.problems == []
    context.close()


def my_bookings_link(credentials) -> str:
    return mailed_words(credentials, "/my/bookings#")[0]


def test_the_list_of_ones_bookings_at_both_sizes(stack, browser, axe_source):
    credentials, _ = stack
    book_by_api(credentials, "lister@example.org")
    request("POST", f"{credentials['api']}/v1/public/orgs/demo/my-bookings", {"email": "lister@example.org"})
    link = my_bookings_link(credentials)
    for size in sorted(SIZES):
        context, page = open_page(browser, size)
        page.goto(link)
        page.locator("#my-bookings a").first.wait_for()
        clean_by_axe(page, axe_source, f"my-bookings-{size}")
        context.close()
