"""The hosted booking page in a real headless Chromium (Debian's `chromium`, driven by Playwright).

A visitor in Berlin books the demo clinic's New York doctor, moves the appointment and cancels it
through the pages alone; the bookings table says what happened after each step.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import emailed_code, mailed_words, sent_mail_bodies

pytestmark = pytest.mark.e2e  # `browser` (Debian's chromium through Playwright) comes from conftest.py


@pytest.fixture
def phone(browser, stack):
    """A phone-sized page in Berlin's time zone that records console errors and every host it calls."""
    context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB",
                                  viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.problems, page.hosts = [], set()
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and page.problems.append(m.text))  # an answered 4xx (a wrong code) is the page's business
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("request", lambda r: page.hosts.add(r.url.split("/")[2]))
    yield page
    context.close()


def bookings_table(credentials) -> list[dict]:
    dynamodb = boto3.client("dynamodb", endpoint_url=credentials["aws_endpoint"], region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    return dynamodb.scan(TableName="safeslot-local-bookings")["Items"]


def a_wednesday() -> date:
    day = datetime.now(UTC).date() + timedelta(days=8)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day


def booked_utc(item: dict) -> str:
    return datetime.strptime(item["starts_at"]["S"][:16], "%Y-%m-%dT%H:%M").strftime("%H:%M")


def pick_day_and_time(page, day: date, hhmm: str) -> None:
    page.fill("#day", day.isoformat())
    page.dispatch_event("#day", "change")
    page.get_by_role("radio", name=hhmm).click()


def test_a_visitor_books_moves_and_cancels_through_the_pages(stack, phone):
    credentials, _ = stack
    page, day = phone, a_wednesday()
    page.goto(f"{credentials['api']}/book/demo")
    page.get_by_role("heading", name="Book with Demo Clinic").wait_for()
    page.get_by_label("Service").select_option(label="Consultation (30 min)")
    page.get_by_label("With").select_option(label="Dr Ana Ruiz")

    pick_day_and_time(page, day, "15:00")  # 09:00 in New York is 15:00 in Berlin in winter
    page.get_by_label("Name").fill("Brigitte Browser")
    page.get_by_label("E-mail", exact=True).fill("brigitte@example.org")
    page.get_by_label("Phone (optional)").fill("+4930901820")
    page.get_by_label("Anything we should know? (optional)").fill("first visit")
    page.get_by_role("button", name="Confirm booking").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    [item] = bookings_table(credentials)
    assert (item["status"]["S"], booked_utc(item)) == ("pending", "14:00")  # held, nobody's yet
    page.get_by_label("Code from the e-mail").fill("000000" if emailed_code(credentials, item["booking_id"]["S"])
                                                   != "000000" else "111111")
    page.get_by_role("button", name="Confirm my booking").click()
    page.get_by_text("That code is not the one we e-mailed.").wait_for()
    page.get_by_label("Code from the e-mail").fill(emailed_code(credentials, item["booking_id"]["S"]))
    page.get_by_role("button", name="Confirm my booking").click()
    page.get_by_role("heading", name="You are booked").wait_for()

    [item] = bookings_table(credentials)
    assert (item["status"]["S"], booked_utc(item)) == ("confirmed", "14:00")
    assert "Brigitte" not in str(item) and "first visit" not in str(item)

    page.get_by_role("link", name="See, move or cancel this booking").click()
    page.get_by_text("Booked", exact=True).wait_for()
    pick_day_and_time(page, day, "16:30")
    page.get_by_role("button", name="Move my appointment").click()
    page.get_by_text("Moved. We e-mailed you the new time.").wait_for()

    [item] = bookings_table(credentials)
    assert (item["status"]["S"], booked_utc(item), item["sequence"]["N"]) == ("confirmed", "15:30", "1")

    page.get_by_label("Reason (optional)").fill("feeling better")
    page.get_by_role("button", name="Cancel my appointment").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    page.get_by_text("Cancelled. We e-mailed you a confirmation.").wait_for()

    [item] = bookings_table(credentials)
    assert item["status"]["S"] == "cancelled"
    assert page.problems == []  # no script errors, no CSP violations
    assert page.hosts == {credentials["api"].split("/")[2]}  # nothing fetched from anywhere else


def test_a_customer_asks_for_their_bookings_and_opens_one_from_the_emailed_link(stack, phone):
    credentials, _ = stack
    page, day = phone, a_wednesday() + timedelta(days=7)
    page.goto(f"{credentials['api']}/book/demo")
    page.get_by_label("Service").select_option(label="Consultation (30 min)")
    page.get_by_label("With").select_option(label="Dr Ana Ruiz")
    pick_day_and_time(page, day, "16:00")
    page.get_by_label("Name").fill("Marta Mine")
    page.get_by_label("E-mail", exact=True).fill("marta@example.org")
    page.get_by_role("button", name="Confirm booking").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    link = [word for body in sent_mail_bodies(credentials) for word in body.split() if "#confirm/" in word][-1]
    page.goto("about:blank")  # the link opens afresh, as from a mail app
    page.goto(link)  # the e-mailed link confirms the hold on the booking page itself
    page.get_by_role("heading", name="You are booked").wait_for()
    assert "#" not in page.url  # the link's token left the address bar

    page.get_by_label("Your e-mail").fill("marta@example.org")
    page.get_by_role("button", name="E-mail me a link to my bookings").click()
    page.get_by_text("If we know this address, a link to its bookings is on its way.").wait_for()
    link = mailed_words(credentials, "/my/bookings#")[0]
    page.goto(link)
    page.get_by_role("link", name="Consultation with Dr Ana Ruiz").click()

    page.get_by_text("Booked", exact=True).wait_for()
    assert page.problems == []


def test_a_link_without_its_token_shows_nothing(stack, phone):
    credentials, _ = stack
    phone.goto(f"{credentials['api']}/manage/some-booking")

    phone.get_by_text("This link is incomplete: open it again from your e-mail.").wait_for()
    assert phone.locator("#booking").is_hidden()


INJECT = """foreign => {
    window.violations = [];
    document.addEventListener('securitypolicyviolation',
                              e => window.violations.push([e.effectiveDirective, e.blockedURI]));
    const inline = document.createElement('script');  // what a value slipped past escaping would become
    inline.textContent = 'window.ran = (window.ran || []).concat("inline script")';
    document.body.appendChild(inline);
    const image = document.createElement('img');
    image.setAttribute('onerror', 'window.ran = (window.ran || []).concat("event handler")');
    image.src = 'data:image/png;base64,broken';
    document.body.appendChild(image);
    const remote = document.createElement('script');
    remote.src = foreign;
    document.body.appendChild(remote);
    setTimeout(() => {  // from a task of the page's own (eval straight from the test's call is exempt)
        try { window.evaluated = eval('"eval ran"'); } catch (refused) { window.evaluated = refused.name; }
    }, 0);
}"""


def test_an_injected_script_does_not_run(stack, phone):
    """In Chromium, on every kind of hosted page: a script injected into the page (inline, an inline event
    handler, eval, or a file from another host) does not run, and the browser names the directive that
    refused it. `script-src * 'unsafe-inline' 'unsafe-eval'` lets all four through."""
    credentials, _ = stack
    api = credentials["api"]
    foreign = f"http://127.0.0.2:{api.rsplit(':', 1)[1]}/static/booking.js"  # another origin, same server
    for path in ("/book/demo", "/manage/some-booking", "/my/bookings", "/my/data/demo", "/privacy/demo"):
        phone.goto(f"{api}{path}")
        phone.wait_for_load_state("networkidle")

        phone.evaluate(INJECT, foreign)
        phone.wait_for_function("() => window.evaluated", timeout=5000)
        with contextlib.suppress(PlaywrightTimeout):  # the reports arrive as events: the asserts say what is missing
            phone.wait_for_function("() => window.violations.length >= 4", timeout=5000)

        assert phone.evaluate("window.ran || []") == [], path
        assert phone.evaluate("window.evaluated") == "EvalError", path
        directives = {directive for directive, _ in phone.evaluate("window.violations")}
        assert directives == {"script-src-elem", "script-src-attr", "script-src"}, (path, directives)
        assert [uri for _, uri in phone.evaluate("window.violations") if uri.startswith("http")] == [foreign]
