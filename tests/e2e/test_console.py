"""The staff console in a real headless Chromium (Debian's `chromium`, driven by Playwright), against the
local stack: signing in with a password and an authenticator code, the forced password change, the day's
calendar, a phone booking, the idle sign-out; axe-core finds nothing on any screen; an injected inline
script does not run and page script cannot read the session cookie.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from tests.e2e.conftest import fresh_code, mailed_setup_code, request
from tests.e2e.test_patient_pages import SIZES, clean_by_axe

pytestmark = pytest.mark.e2e
NEW_YORK = "America/New_York"
DESK = {"email": "desk@demo.safeslot.example", "name": "Dana Desk"}
DESK_PASSWORD = "amber-lantern-orchard-58"


def dynamodb(credentials):
    return boto3.client("dynamodb", endpoint_url=credentials["aws_endpoint"], region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture(scope="module")
def owner_token(stack):
    credentials, _ = stack
    api = credentials["api"]
    status, step = request("POST", f"{api}/v1/auth/login", {"org": "demo", "email": credentials["email"],
                                                            "password": credentials["password"]})
    assert status == 200 and step["mfa_required"], step
    status, session = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": step["mfa_token"], "method": "totp",
                                                                     "code": fresh_code(credentials["totp_secret"])})
    assert status == 200, session
    return session["token"]


@pytest.fixture(scope="module")
def desk(stack, owner_token):
    """A front-desk user of the demo clinic, invited by the owner, who set their password from the e-mail."""
    credentials, _ = stack
    api = credentials["api"]
    status, created = request("POST", f"{api}/v1/users", {**DESK, "role": "frontdesk"}, owner_token)
    assert status == 201, created
    code = mailed_setup_code(credentials["aws_endpoint"], DESK["email"])
    assert request("POST", f"{api}/v1/auth/setup", {"token": code, "password": DESK_PASSWORD})[0] == 204
    return created["user"]


def open_console(browser, credentials, size: str = "desktop", locale: str = "en-US"):
    context = browser.new_context(timezone_id=NEW_YORK, locale=locale, viewport=SIZES[size],
                                  is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    page.problems, page.hosts = [], set()
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and page.problems.append(m.text))
    page.on("request", lambda r: page.hosts.add(r.url.split("/")[2]))
    return context, page


def sign_in(page, credentials, email: str, password: str) -> None:
    page.goto(f"{credentials['api']}/console")
    page.get_by_role("heading", name="Sign in").wait_for()
    form = page.locator("#screen-signin")
    form.get_by_label("Clinic").fill("demo")
    form.get_by_label("E-mail").fill(email)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()


def a_weekday_ahead(days: int = 9) -> date:
    day = datetime.now(UTC).date() + timedelta(days=days)
    while day.weekday() != 1:  # a Tuesday: every demo doctor works
        day += timedelta(days=1)
    return day


def test_the_owner_signs_in_with_password_and_authenticator_code_and_sees_the_day(stack, browser, axe_source):
    credentials, _ = stack
    context, page = open_console(browser, credentials)
    sign_in(page, credentials, credentials["email"], "not-the-password")
    page.get_by_text("The e-mail, password or code is not correct.").wait_for()
    clean_by_axe(page, axe_source, "console-signin-error-desktop")

    page.locator("#screen-signin").get_by_label("Password", exact=True).fill(credentials["password"])
    page.locator("#screen-signin").get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Second step").wait_for()
    clean_by_axe(page, axe_source, "console-second-step-desktop")
    assert page.get_by_label("How do you want to confirm it is you?").input_value() == "totp"
    page.get_by_label("Code", exact=True).fill(fresh_code(credentials["totp_secret"]))
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_text("Demo Owner at Demo Clinic").wait_for()
    clean_by_axe(page, axe_source, "console-day-desktop")
    [cookie] = [c for c in context.cookies() if c["name"] == "__Host-safeslot-session"]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")
    assert page.evaluate("document.cookie") == ""  # page script cannot read the session
    assert page.problems == [] and page.hosts == {credentials["api"].split("/")[2]}

    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
    assert [c for c in context.cookies() if c["name"] == "__Host-safeslot-session"] == []
    context.close()


def test_an_injected_inline_script_does_not_run_and_cannot_carry_the_session_away(stack, browser, desk):
    credentials, _ = stack
    context, page = open_console(browser, credentials)
    sign_in(page, credentials, DESK["email"], DESK_PASSWORD)
    page.get_by_role("heading", name="The day").wait_for()
    violations = page.evaluate("""() => new Promise((resolve) => {
        const seen = [];
        document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective));
        const script = document.createElement("script");
        script.textContent = "window.stolen = document.cookie || 'ran';";
        document.body.append(script);
        const img = document.createElement("div");
        img.innerHTML = '<img src="x" onerror="window.stolen = 1">';
        document.body.append(img);
        setTimeout(() => resolve(seen), 500);
    })""")

    assert page.evaluate("window.stolen") is None
    assert "script-src-elem" in violations or "script-src" in violations
    token = next(c["value"] for c in context.cookies() if c["name"] == "__Host-safeslot-session")
    assert token not in page.content()
    # what script in the page can do with the cookie: only calls that the CSRF defence lets through
    refused = page.evaluate("""async () => (await fetch("/v1/customers", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({name: "X", email: "x@example.org"})}))
        .status""")
    assert refused == 403
    context.close()


def test_an_expired_password_is_changed_before_the_day_opens(stack, browser, owner_token, axe_source):
    credentials, _ = stack
    api = credentials["api"]
    pablo = {"email": "pablo@demo.safeslot.example", "name": "Pablo Password", "role": "frontdesk"}
    status, created = request("POST", f"{api}/v1/users", pablo, owner_token)
    assert status == 201, created
    code = mailed_setup_code(credentials["aws_endpoint"], pablo["email"])
    assert request("POST", f"{api}/v1/auth/setup", {"token": code, "password": DESK_PASSWORD})[0] == 204
    step_up = {"password": credentials["password"], "code": fresh_code(credentials["totp_secret"])}
    assert request("POST", f"{api}/v1/auth/step-up", step_up, owner_token)[0] == 200  # policy changes need it
    assert request("PUT", f"{api}/v1/org/security-policy", {"password_max_age_days": 90}, owner_token)[0] == 200
    long_ago = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    table = dynamodb(credentials)
    [row] = [u for u in table.scan(TableName="safeslot-local-users")["Items"]
             if u["user_id"]["S"] == created["user"]["id"]]
    table.update_item(TableName="safeslot-local-users", Key={"org_id": row["org_id"], "user_id": row["user_id"]},
                      UpdateExpression="SET password_changed_at = :t",
                      ExpressionAttributeValues={":t": {"S": long_ago}})
    context, page = open_console(browser, credentials, size="phone")
    sign_in(page, credentials, pablo["email"], DESK_PASSWORD)

    screen = page.locator("#screen-password")
    screen.get_by_role("heading", name="Choose a new password").wait_for()
    clean_by_axe(page, axe_source, "console-password-change-phone")
    screen.get_by_label("Current password").fill(DESK_PASSWORD)
    screen.get_by_label("New password", exact=True).fill("quartz-meadow-falcon-93")
    screen.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_text("Pablo Password at Demo Clinic").wait_for()
    assert page.problems == []
    context.close()
    status, answer = request("POST", f"{api}/v1/auth/login",
                             {"org": "demo", "email": pablo["email"], "password": "quartz-meadow-falcon-93"})
    assert status == 200 and answer["token"]  # the new password, no longer expired


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_front_desk_books_a_caller_and_sees_them_on_the_days_calendar(stack, browser, desk, axe_source, size):
    credentials, _ = stack
    day = a_weekday_ahead(9 if size == "desktop" else 16)
    caller = {"name": f"Carlos Caller {size}", "email": f"carlos.{size}@example.org"}
    context, page = open_console(browser, credentials, size=size)
    sign_in(page, credentials, DESK["email"], DESK_PASSWORD)
    page.get_by_role("heading", name="The day").wait_for()

    page.get_by_role("button", name="Phone booking").click()
    page = page.locator("#screen-book")  # the booking screen's own fields
    page.get_by_label("Name, phone, date of birth or e-mail").fill(caller["email"])
    page.get_by_role("button", name="Find").click()
    page.page.get_by_text("No patient matches. Add them below.").wait_for()
    page.get_by_label("Name", exact=True).fill(caller["name"])
    page.get_by_role("button", name="Add this patient").click()
    page.get_by_text(f"Appointment for {caller['name']}").wait_for()
    page.get_by_label("Service").select_option(label="Consultation (30 min)")
    page.get_by_label("With", exact=True).select_option(label="Dr Ana Ruiz")
    page.get_by_label("Day", exact=True).fill(day.isoformat())
    page.get_by_label("Day", exact=True).dispatch_event("change")
    page.get_by_role("radio", name=re.compile(r"^10:00\sAM · Dr Ana Ruiz$")).check()  # CLDR: U+202F before AM
    tab = page.page
    clean_by_axe(tab, axe_source, f"console-phone-booking-{size}")
    page.get_by_role("button", name="Book", exact=True).click()
    tab.get_by_text(re.compile(rf"Booked: {caller['name']} at 10:00\sAM · Dr Ana Ruiz\.")).wait_for()
    page = tab

    page.get_by_role("button", name="The day").click()
    page.locator("#day-date").fill(day.isoformat())
    page.get_by_role("button", name="Show").click()
    row = page.get_by_role("row", name=caller["name"])
    row.wait_for()
    assert "Consultation" in row.inner_text() and "Dr Ana Ruiz" in row.inner_text() and "Booked" in row.inner_text()
    clean_by_axe(page, axe_source, f"console-day-with-booking-{size}")
    assert page.problems == [] and page.hosts == {credentials["api"].split("/")[2]}
    context.close()


def test_the_console_warns_before_the_idle_timeout_and_signs_out_when_it_passes(stack, browser, desk, axe_source):
    credentials, _ = stack
    context, page = open_console(browser, credentials)
    page.clock.install()
    sign_in(page, credentials, DESK["email"], DESK_PASSWORD)
    page.get_by_role("heading", name="The day").wait_for()
    page.locator("#day-table:not([hidden]), #day-empty:not([hidden])").wait_for()  # a later answer restarts the count
    token = next(c["value"] for c in context.cookies() if c["name"] == "__Host-safeslot-session")

    page.clock.run_for("27:30")  # the demo clinic's idle limit is 30 minutes: a warning 2 minutes before
    page.get_by_role("alertdialog", name="Are you still there?").wait_for()
    clean_by_axe(page, axe_source, "console-idle-warning-desktop")
    page.clock.run_for("02:00")
    signed_out = page.get_by_text("You were signed out after a time without activity.")
    for _ in range(60):  # the sign-out awaits the server: on a loaded machine, timers after it need the clock
        if signed_out.is_visible():
            break
        page.clock.run_for(1000)
        page.wait_for_timeout(500)
    signed_out.wait_for()
    page.get_by_role("heading", name="Sign in").wait_for()

    status, answer = request("GET", f"{credentials['api']}/v1/auth/me", token=token)
    assert (status, answer["error"]["code"]) == (401, "unauthenticated")  # ended on the server too
    context.close()


def test_the_console_speaks_spanish_to_a_spanish_browser(stack, browser, axe_source):
    credentials, _ = stack
    context, page = open_console(browser, credentials, size="phone", locale="es-ES")
    page.goto(f"{credentials['api']}/console")
    page.get_by_role("heading", name="Iniciar sesión").wait_for()
    clean_by_axe(page, axe_source, "console-signin-es-phone")
    page.get_by_label("Idioma").select_option("en")
    page.get_by_role("heading", name="Sign in").wait_for()
    context.close()
