"""Running the clinic in the console (issue 26), in a real headless Chromium against the local stack:
an owner's first day from an empty org to a booking page taking bookings, under a policy that requires a
second factor; an admin approving a support grant with a fresh code; an auditor who reads the evidence
and can change nothing. axe-core finds nothing on any screen, in English and Spanish; the owner's
screens are photographed for the README (docs/console-*.png).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import boto3
import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, emailed_code, fresh_code, mailed_setup_code, request, sent_mail_bodies
from tests.e2e.test_console import open_console
from tests.e2e.test_console_account import decoded_qr
from tests.e2e.test_my_data_page import self_service_link
from tests.e2e.test_patient_pages import book_by_api, clean_by_axe
from tests.e2e.test_switch_over import stack_env

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
# The README's pictures are taken again only when asked (SAFESLOT_README_SCREENSHOTS=1): a test run leaves
# the tracked tree alone.
DOCS = ROOT / "docs" if os.environ.get("SAFESLOT_README_SCREENSHOTS") else SCREENSHOTS
NEW_YORK = "America/New_York"
SLUG = "sunrise"
OWNER = {"email": "olivia@sunrise.example", "name": "Olivia Owner"}
PASSWORD = "saffron-glacier-meadow-27"
WAIT = 60_000  # ms: a loaded machine answers slowly


def manage(credentials: dict, *command: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=stack_env(credentials),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(credentials: dict):
    return boto3.client("dynamodb", endpoint_url=credentials["aws_endpoint"], region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def with_authenticator(api: str, org: str, email: str, password: str) -> str:
    """Sign in over the API and add an authenticator app (the account lane's enrolment screen does this in
    the console); returns its secret."""
    status, answer = request("POST", f"{api}/v1/auth/login", {"org": org, "email": email, "password": password})
    assert status == 200 and answer.get("token"), answer
    status, started = request("POST", f"{api}/v1/auth/mfa/totp/enroll", {"password": password}, answer["token"])
    assert status == 200, started
    first_code = {"code": fresh_code(started["secret"], unconfirmed=True)}
    status, confirmed = request("POST", f"{api}/v1/auth/mfa/totp/confirm", first_code, answer["token"])
    assert status == 200, confirmed
    return started["secret"]


def as_if_added_long_ago(credentials: dict, user_id: str) -> None:
    """An authenticator held for weeks: the fresh factor of a grave act must be older than a day (ADR 0015)."""
    dynamodb = table(credentials)
    long_ago = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    for row in dynamodb.scan(TableName="safeslot-local-mfa_factors")["Items"]:
        if row["factor_key"]["S"].startswith(f"{user_id}#"):
            dynamodb.update_item(TableName="safeslot-local-mfa_factors",
                                 Key={"org_id": row["org_id"], "factor_key": row["factor_key"]},
                                 UpdateExpression="SET activated_at = :t",
                                 ExpressionAttributeValues={":t": {"S": long_ago}})


def sign_in(page, api: str, org: str, email: str, password: str, secret: str | None, lang: str = "en") -> None:
    page.goto(f"{api}/console?lang={lang}")
    form = page.locator("#screen-signin")
    form.locator("#org").wait_for(timeout=WAIT)
    form.locator("#org").fill(org)
    form.locator("#email").fill(email)
    form.locator("#password").fill(password)
    form.locator("button[type=submit]").click()
    if secret:
        page.locator("#factor-code").wait_for(timeout=WAIT)
        page.locator("#factor-code").fill(fresh_code(secret))
        page.locator("#factor-submit").click()


def step_up_in_dialog(page, password: str, secret: str) -> None:
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    dialog.wait_for(timeout=WAIT)
    dialog.get_by_label("Your password").fill(password)
    dialog.get_by_label("Code from your authenticator app").fill(fresh_code(secret))
    dialog.get_by_role("button", name="Confirm").click()


def a_weekday_ahead(days: int = 10) -> date:
    day = datetime.now(UTC).date() + timedelta(days=days)
    while day.weekday() != 2:  # a Wednesday
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def empty_clinic(stack):
    """An org an operator just created (manage.py create-org), whose owner set a password from the setup
    code: nothing else exists yet (the owner adds an authenticator in the console)."""
    credentials, _ = stack
    out = manage(credentials, "create-org", "--slug", SLUG, "--name", "Sunrise Clinic", "--timezone", NEW_YORK,
                 "--owner-email", OWNER["email"], "--owner-name", OWNER["name"])
    created = json.loads(out.splitlines()[0])
    setup = {"token": created["owner_setup_token"], "password": PASSWORD}
    assert request("POST", f"{credentials['api']}/v1/auth/setup", setup)[0] == 204
    return created


def authenticator_added_in_the_console(page, api: str) -> str:
    """The owner adds an authenticator app on their account screen, its QR image read from the screen's
    pixels as a phone's camera would (zxing-cpp); returns the secret the app now holds."""
    page.get_by_role("button", name="My account").click()
    page.get_by_role("button", name="Add a sign-in method").click()
    page.locator("#stepup-form").get_by_label("Your password", exact=True).fill(PASSWORD)
    page.locator("#stepup-form").get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="An authenticator app on your phone").check()
    page.locator("#kind-form").get_by_role("button", name="Continue").click()
    uri = decoded_qr(page)
    assert uri.startswith("otpauth://totp/") and "issuer=SafeSlot" in uri
    secret = pyotp.parse_uri(uri).secret
    page.get_by_label("Code from the app").fill(fresh_code(secret, unconfirmed=True))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_role("heading", name="My account").wait_for()
    status, step = request("POST", f"{api}/v1/auth/login", {"org": SLUG, "email": OWNER["email"], "password": PASSWORD})
    assert status == 200 and "totp" in step["methods"]  # the server holds the app as the owner's factor
    return secret


def test_an_owner_runs_their_first_day_from_an_empty_org_to_a_booking_page_taking_bookings(
        stack, browser, axe_source, empty_clinic):
    credentials, _ = stack
    api = credentials["api"]
    context, page = open_console(browser, credentials)
    page.set_default_timeout(WAIT)
    sign_in(page, api, SLUG, OWNER["email"], PASSWORD, None)
    page.get_by_text("Olivia Owner at Sunrise Clinic").wait_for()
    secret = authenticator_added_in_the_console(page, api)

    page.get_by_role("button", name="Your clinic").click()
    clinic = page.locator("#screen-clinic")
    clinic.get_by_role("heading", name="Your clinic").wait_for()
    page.locator("#services-empty").wait_for()  # an empty org: no services, no staff
    clinic.get_by_label("Address").fill("12 Harbor Street\nNew York, NY 10004")
    clinic.get_by_label("Phone", exact=True).fill("+1 212 555 0147")
    clinic.get_by_label("Cancellation policy").fill("Please cancel or move a visit at least a day before.")
    clinic.locator("#profile-languages").get_by_label("English").check()
    clinic.locator("#profile-languages").get_by_label("español").check()
    clinic.get_by_role("button", name="Save the profile").click()
    page.get_by_text("The profile is saved.").wait_for()

    page.locator("#service-form").get_by_label("Name", exact=True).fill("Checkup")
    clinic.get_by_label("Length in minutes").fill("30")
    clinic.get_by_role("button", name="Add the service").click()
    page.get_by_text("Checkup is added.").wait_for()
    staff_form = page.locator("#staff-form")
    staff_form.get_by_label("Name", exact=True).fill("Dr Lena Ortiz")
    assert staff_form.get_by_label("Time zone").input_value() == NEW_YORK
    assert staff_form.get_by_label("Checkup").is_checked() and not staff_form.get_by_label("Sunday").is_checked()
    staff_form.get_by_role("button", name="Add the staff member").click()
    page.get_by_text("Dr Lena Ortiz is added.").wait_for()
    away = a_weekday_ahead(20)
    page.locator("#timeoff-form").get_by_label("Staff member").select_option(label="Dr Lena Ortiz")
    page.get_by_label("First day away").fill(away.isoformat())
    page.get_by_label("Last day away").fill((away + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Add the time off").click()
    page.get_by_text("The time off of Dr Lena Ortiz is saved.").wait_for()
    row = page.get_by_role("row", name=re.compile("Dr Lena Ortiz"))
    assert "Wednesday 09:00\u201317:00" in row.inner_text() and "Checkup" in row.inner_text()
    last_away = away + timedelta(days=2)
    assert f"{away:%b} {away.day}, {away.year} \u2013 {last_away:%b} {last_away.day}, {last_away.year}" \
        in row.inner_text()
    link = page.locator("#booking-link").get_attribute("href")
    assert link == f"{api}/book/{SLUG}"
    assert page.locator("#embed-snippet").input_value().startswith(f'<iframe src="{link}"')
    clean_by_axe(page, axe_source, "console-clinic-desktop")
    page.screenshot(path=str(DOCS / "console-clinic.png"), full_page=True)

    page.get_by_role("button", name="People").click()
    people = page.locator("#screen-people")
    people.get_by_label("Name").fill("Adam Admin")
    people.get_by_label("E-mail").fill("adam@sunrise.example")
    people.get_by_label("Role").select_option("admin")
    people.get_by_role("button", name="Send the invitation").click()
    page.get_by_role("dialog", name="Confirm it is you").wait_for()  # a new admin needs the step-up
    clean_by_axe(page, axe_source, "console-step-up-desktop")
    step_up_in_dialog(page, PASSWORD, secret)
    page.get_by_text("An invitation was sent to adam@sunrise.example.").wait_for()
    page.get_by_role("row", name=re.compile("Adam Admin")).get_by_text("Invited").wait_for()
    assert mailed_setup_code(credentials["aws_endpoint"], "adam@sunrise.example")
    clean_by_axe(page, axe_source, "console-people-desktop")
    page.screenshot(path=str(DOCS / "console-people.png"), full_page=True)

    page.get_by_role("button", name="Security policy").click()
    policy = page.locator("#policy-form")
    expect(policy.get_by_label("Wrong tries before an account locks")).to_have_value("10", timeout=WAIT)
    policy.locator("#policy-require-mfa").get_by_label("Owner").check()
    policy.locator("#policy-require-mfa").get_by_label("Administrator").check()
    policy.get_by_label("Wrong tries before an account locks").fill("5")
    assert policy.get_by_label("Hold a booking until the patient proves their e-mail address").is_checked()
    policy.get_by_role("button", name="Save the policy").click()
    page.get_by_text("The security policy is saved. Every owner was told by e-mail.").wait_for()
    clean_by_axe(page, axe_source, "console-policy-desktop")
    page.screenshot(path=str(DOCS / "console-policy.png"), full_page=True)

    page.get_by_role("button", name="Evidence").click()
    page.get_by_text("No backup has run yet.", exact=False).wait_for()
    clean_by_axe(page, axe_source, "console-evidence-desktop")
    page.screenshot(path=str(DOCS / "console-evidence.png"), full_page=True)
    page.get_by_role("button", name="See the audit trail").first.click()
    page.get_by_role("heading", name="Audit trail").wait_for()
    page.get_by_role("row", name=re.compile("policy.updated")).first.wait_for()
    page.get_by_role("button", name="Verify the chain now").click()
    page.get_by_text(re.compile(r"The chain is intact: \d+ events checked")).wait_for()
    clean_by_axe(page, axe_source, "console-audit-desktop")
    assert page.locator("#alert").is_hidden()  # every read of the audit screen answered
    session = next(c["value"] for c in context.cookies() if c["name"] == "__Host-safeslot-session")
    for version in ({"text": "We keep your data safe.", "summary": "First version."},  # in force at once
                    {"text": "We keep records six years.", "summary": "Records kept six years.",
                     "effective_at": f"{date.today() + timedelta(days=40)}T00:00:00Z"}):
        assert request("POST", f"{api}/v1/org/privacy-policies", version, token=session)[0] == 201
    manage(credentials, "policy-notices")  # the hourly job: the owner and the invited admin are told
    page.get_by_role("button", name="Privacy").click()
    page.get_by_text("Support has not asked for access.").wait_for()
    announced = page.get_by_role("row", name=re.compile("Records kept six years"))
    announced.get_by_text("Staff: 2 told, 0 still to tell").wait_for()  # who has been told (issue 26)
    announced.get_by_text("Patients: 0 told, 0 still to tell").wait_for()
    assert sorted(announced.locator("li").all_text_contents()) == ["Adam Admin", "Olivia Owner"]
    page.get_by_role("row", name=re.compile("Amazon DynamoDB")).wait_for()  # the sub-processors
    page.get_by_text("The clinic's account is open.").wait_for()
    page.get_by_role("button", name="Start the export").wait_for()  # the owner's own settings
    assert page.locator("#alert").is_hidden()
    clean_by_axe(page, axe_source, "console-privacy-desktop")

    for screen, heading in (("Su clínica", "Su clínica"), ("Personas", "Personas"),
                            ("Política de seguridad", "Política de seguridad"), ("Pruebas", "Pruebas"),
                            ("Registro de auditoría", "Registro de auditoría"), ("Privacidad", "Privacidad")):
        if screen == "Su clínica":
            page.goto(f"{api}/console?lang=es")  # the same session, the page in Spanish
        page.get_by_role("button", name=screen, exact=True).click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        clean_by_axe(page, axe_source, f"console-{screen}-es-desktop")
        assert page.locator("#alert").is_hidden(), screen
    assert page.problems == [] and page.hosts == {api.split("/")[2]}

    session = next(c["value"] for c in context.cookies() if c["name"] == "__Host-safeslot-session")
    status, stored = request("GET", f"{api}/v1/org/security-policy", token=session)
    context.close()

    booking = browser.new_context(timezone_id=NEW_YORK, locale="en-US").new_page()
    booking.set_default_timeout(WAIT)
    booking.goto(link)
    booking.get_by_role("heading", name="Book with Sunrise Clinic").wait_for()
    booking.get_by_label("Service").select_option(label="Checkup (30 min)")
    day = a_weekday_ahead(10)
    booking.fill("#day", day.isoformat())
    booking.dispatch_event("#day", "change")
    booking.get_by_role("radio", name=re.compile(r"^10:00\sAM")).click()
    booking.get_by_label("Name").fill("Paula Patient")
    booking.get_by_label("E-mail", exact=True).fill("paula@example.org")
    booking.get_by_role("button", name="Confirm booking").click()
    booking.get_by_role("heading", name="Check your e-mail").wait_for()  # the mailbox proof the policy keeps
    held = [w for b in sent_mail_bodies(credentials) for w in b.split() if "#confirm/" in w][-1]
    booking_id = held.split("#confirm/", 1)[1].split("/")[0]
    booking.get_by_label("Code from the e-mail").fill(emailed_code(credentials, booking_id))
    booking.get_by_role("button", name="Confirm my booking").click()
    booking.get_by_role("heading", name="You are booked").wait_for()
    booking.context.close()

    assert status == 200 and stored["require_mfa"] == ["owner", "admin"] and stored["lockout_threshold"] == 5
    status, step = request("POST", f"{api}/v1/auth/login",
                           {"org": SLUG, "email": OWNER["email"], "password": PASSWORD})
    assert status == 200 and step["mfa_required"] and "token" not in step  # the policy holds for the next sign-in


@pytest.fixture(scope="module")
def demo_owner(stack):
    credentials, _ = stack
    api = credentials["api"]
    status, step = request("POST", f"{api}/v1/auth/login", {"org": "demo", "email": credentials["email"],
                                                            "password": credentials["password"]})
    status, session = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": step["mfa_token"], "method": "totp",
                                                                     "code": fresh_code(credentials["totp_secret"])})
    assert status == 200, session
    token = session["token"]
    step_up = {"password": credentials["password"], "code": fresh_code(credentials["totp_secret"])}
    assert request("POST", f"{api}/v1/auth/step-up", step_up, token)[0] == 200  # new admins need it
    return token


def invited(credentials: dict, owner_token: str, email: str, name: str, role: str) -> dict:
    api = credentials["api"]
    status, created = request("POST", f"{api}/v1/users", {"email": email, "name": name, "role": role}, owner_token)
    assert status == 201, created
    code = mailed_setup_code(credentials["aws_endpoint"], email)
    assert request("POST", f"{api}/v1/auth/setup", {"token": code, "password": PASSWORD})[0] == 204
    return created["user"]


def locked_out_with_two_sessions(credentials: dict, owner_token: str, email: str, name: str) -> dict:
    """A front-desk user signed in twice (two sessions), then locked out by wrong passwords."""
    api = credentials["api"]
    invited(credentials, owner_token, email, name, "frontdesk")
    login = {"org": "demo", "email": email, "password": PASSWORD}
    tokens = [request("POST", f"{api}/v1/auth/login", login)[1]["token"] for _ in range(2)]
    for _ in range(30):
        if request("POST", f"{api}/v1/auth/login", {**login, "password": "not-her-password"})[0] == 429:
            break
    assert request("POST", f"{api}/v1/auth/login", login)[0] == 429  # locked: even the right password
    return {"login": login, "tokens": tokens}


def sees_and_ends_sessions_and_unlocks(page, axe_source: str, api: str, name: str, user: dict) -> None:
    """An admin sees the user locked and their sessions (English and Spanish), ends one, unlocks, ends all;
    the owner's row offers none of it to an admin."""
    alive = lambda: [request("GET", f"{api}/v1/auth/me", token=t)[0] for t in user["tokens"]]  # noqa: E731
    page.get_by_role("button", name="People").click()
    person = page.get_by_role("row", name=re.compile(name))
    person.get_by_text(re.compile("^Locked until ")).wait_for()
    owner_row = page.get_by_role("row", name=re.compile("Demo Owner")).first
    assert owner_row.get_by_role("button").count() == 0  # an owner's sessions and lock are the owners' to manage
    person.get_by_role("button", name=f"Sessions: {name}").click()
    panel = page.locator("#user-sessions")
    panel.get_by_role("heading", name=f"Sessions of {name}").wait_for()
    expect(panel.locator("#user-sessions-rows tr")).to_have_count(2, timeout=WAIT)
    assert "127.0.0.0/24" in panel.inner_text()  # the network, never the address
    clean_by_axe(page, axe_source, "console-user-sessions-locked-desktop")
    panel.get_by_role("button", name=re.compile("^End: ")).first.click()
    page.get_by_text(f"That session of {name} has ended.").wait_for()
    expect(panel.locator("#user-sessions-rows tr")).to_have_count(1, timeout=WAIT)
    assert sorted(alive()) == [200, 401]  # the ended one fails at its next request; the other stays

    page.goto(f"{api}/console?lang=es")
    page.get_by_role("button", name="Personas", exact=True).click()
    person.get_by_text(re.compile("^Bloqueada hasta ")).wait_for()
    person.get_by_role("button", name=f"Sesiones: {name}").click()
    panel.get_by_role("heading", name=f"Sesiones de {name}").wait_for()
    clean_by_axe(page, axe_source, "console-user-sessions-locked-es-desktop")
    person.get_by_role("button", name=f"Desbloquear: {name}").click()
    person.get_by_text("Activa").wait_for()
    assert person.get_by_role("button", name=f"Desbloquear: {name}").count() == 0
    assert request("POST", f"{api}/v1/auth/login", user["login"])[0] == 200  # the server lifted the lock
    person.get_by_role("button", name=f"Sesiones: {name}").click()
    expect(panel.locator("#user-sessions-rows tr")).to_have_count(2, timeout=WAIT)  # one kept, one new
    panel.get_by_role("button", name="Cerrar todas").click()
    panel.get_by_text("No hay ninguna sesión abierta.").wait_for()
    clean_by_axe(page, axe_source, "console-user-sessions-none-es-desktop")
    assert alive() == [401, 401]


def test_an_admin_approves_a_support_grant_with_a_fresh_code(stack, browser, axe_source, demo_owner):
    credentials, _ = stack
    api = credentials["api"]
    admin = invited(credentials, demo_owner, "ada.admin@demo.safeslot.example", "Ada Admin", "admin")
    admin_secret = with_authenticator(api, "demo", "ada.admin@demo.safeslot.example", PASSWORD)
    as_if_added_long_ago(credentials, admin["id"])
    out = manage(credentials, "create-org", "--slug", "safeslot-support", "--name", "SafeSlot Support",
                 "--owner-email", "sam@support.safeslot.example", "--owner-name", "Sam Support", "--vendor")
    vendor = json.loads(out.splitlines()[0])
    setup = {"token": vendor["owner_setup_token"], "password": PASSWORD}
    assert request("POST", f"{api}/v1/auth/setup", setup)[0] == 204
    agent_secret = with_authenticator(api, "safeslot-support", "sam@support.safeslot.example", PASSWORD)
    status, step = request("POST", f"{api}/v1/auth/login", {
        "org": "safeslot-support", "email": "sam@support.safeslot.example", "password": PASSWORD})
    status, agent = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": step["mfa_token"], "method": "totp",
                                                                   "code": fresh_code(agent_secret)})
    assert status == 200, agent
    status, asked = request("POST", f"{api}/v1/support/access-requests",
                            {"org": "demo", "reason": "The clinic reports a calendar that does not load", "hours": 4},
                            agent["token"])
    assert status == 201, asked
    fran_sessions = locked_out_with_two_sessions(credentials, demo_owner, "fran@demo.safeslot.example", "Fran Front")

    context, page = open_console(browser, credentials)
    page.set_default_timeout(WAIT)
    sign_in(page, api, "demo", "ada.admin@demo.safeslot.example", PASSWORD, admin_secret)
    page.get_by_text("Ada Admin at Demo Clinic").wait_for()
    page.get_by_role("button", name="Privacy").click()
    row = page.get_by_role("row", name=re.compile("calendar that does not load"))
    row.get_by_text("Waiting for your decision").wait_for()
    assert page.locator("#owner-only").is_hidden()  # the export and the org's deletion are the owner's
    page.get_by_role("row", name=re.compile("Amazon DynamoDB")).wait_for()
    assert page.locator("#alert").is_hidden()
    page.get_by_role("button", name="People").click()
    page.get_by_role("row", name=re.compile("Ada Admin")).wait_for()
    assert "owner" not in page.locator("#invite-role option").evaluate_all("o => o.map(x => x.value)")
    page.get_by_role("button", name="Privacy").click()
    row.get_by_role("button", name=re.compile("^Approve")).click()
    step_up_in_dialog(page, PASSWORD, admin_secret)  # the fresh code
    page.get_by_text("Support may now read your clinic's data for 4 hours.").wait_for()
    row.get_by_text("Allowed").wait_for()
    clean_by_axe(page, axe_source, "console-support-approved-desktop")
    sees_and_ends_sessions_and_unlocks(page, axe_source, api, "Fran Front", fran_sessions)
    assert page.problems == []
    context.close()

    status, grants = request("GET", f"{api}/v1/org/support-grants", token=demo_owner)
    [grant] = [g for g in grants["grants"] if g["id"] == asked["grant"]["id"]]
    assert (grant["status"], grant["decided_by"]) == ("active", admin["id"])


def test_an_auditor_reads_the_evidence_and_can_change_nothing(stack, browser, axe_source, demo_owner):
    credentials, _ = stack
    api = credentials["api"]
    invited(credentials, demo_owner, "aud@demo.safeslot.example", "Audrey Auditor", "auditor")
    request("POST", f"{api}/v1/auth/login", {"org": "demo", "email": credentials["email"], "password": "wrong-one"})

    context, page = open_console(browser, credentials, size="phone")
    page.set_default_timeout(WAIT)
    sign_in(page, api, "demo", "aud@demo.safeslot.example", PASSWORD, None)
    page.get_by_role("heading", name="Evidence").wait_for()  # an auditor's console opens on the evidence
    failed = page.locator("#evidence-list dd").nth(4)
    failed.wait_for()
    assert int(failed.locator("span").inner_text()) >= 1
    for hidden in ("The day", "Phone booking", "Your clinic", "People", "Security policy", "Privacy"):
        assert page.get_by_role("button", name=hidden, exact=True).count() == 0, hidden
    clean_by_axe(page, axe_source, "console-evidence-auditor-phone")
    page.get_by_role("button", name="See the sign-in attempts").click()
    page.get_by_role("heading", name="Sign-in attempts").wait_for()
    page.get_by_role("row", name=re.compile("bad_password")).first.wait_for()
    clean_by_axe(page, axe_source, "console-audit-auditor-phone")
    assert page.locator("#alert").is_hidden()  # the auditor reads all it is shown

    tried = page.evaluate("""async () => {
        const call = async (method, path, body) => (await fetch(path, {method, headers: {"X-SafeSlot-Client": "console",
            "Content-Type": "application/json"}, body: body && JSON.stringify(body)})).status;
        return [await call("PUT", "/v1/org/profile", {address: "Elsewhere"}),
                await call("PUT", "/v1/org/security-policy", {lockout_threshold: 100}),
                await call("POST", "/v1/users", {email: "x@example.org", name: "X", role: "owner"}),
                await call("POST", "/v1/services", {name: "Free", duration_minutes: 30})];
    }""")
    assert tried == [403, 403, 403, 403]
    assert page.problems == []
    context.close()


def asks_for_erasure(credentials: dict, email: str) -> str:
    """A patient of the demo clinic books, opens their data page with the e-mailed link and asks to be
    erased (as test_my_data_page does in the browser); returns their customer id."""
    api = credentials["api"]
    book_by_api(credentials, email)
    token = unquote(self_service_link(credentials, email).split("#", 1)[1])
    status, opened = request("POST", f"{api}/v1/public/orgs/demo/self-service/session", {"token": token})
    assert status == 201, opened
    status, asked = request("POST", f"{api}/v1/public/orgs/demo/self-service/erasure-request", {},
                            **{"X-Self-Service-Session": opened["session"]["token"]})
    assert status == 201, asked
    return str(asked["erasure_request"]["customer_id"])


def test_an_owner_decides_erasures_publishes_a_policy_and_stops_the_export_and_the_deletion(
        stack, browser, axe_source, demo_owner):
    credentials, _ = stack
    api, secret = credentials["api"], credentials["totp_secret"]
    kept = asks_for_erasure(credentials, "kept.pat@example.org")
    erased = asks_for_erasure(credentials, "gone.pat@example.org")
    owner_id = request("GET", f"{api}/v1/auth/me", token=demo_owner)[1]["user"]["id"]
    as_if_added_long_ago(credentials, owner_id)  # the export and the deletion take a factor held for a while
    context, page = open_console(browser, credentials)
    page.set_default_timeout(WAIT)
    sign_in(page, api, "demo", credentials["email"], credentials["password"], secret)
    page.get_by_text("Demo Owner at Demo Clinic").wait_for()
    page.get_by_role("button", name="Privacy").click()

    refusing = page.get_by_role("row", name=re.compile(kept))
    refusing.get_by_label("Reason for refusing").fill("Records of treatment are kept for 7 years by law.")
    refusing.get_by_role("button", name=f"Refuse: {kept}").click()
    page.get_by_text("The request was refused; the patient is told why.").wait_for()
    expect(refusing).to_have_count(0, timeout=WAIT)
    page.get_by_role("row", name=re.compile(erased)).get_by_role("button", name=f"Erase: {erased}").click()
    page.get_by_text("The patient is erased.").wait_for()
    page.locator("#erasure-empty").wait_for()
    refused = request("GET", f"{api}/v1/erasure-requests?status=refused", token=demo_owner)[1]["erasure_requests"]
    assert [(r["customer_id"], r["refusal_reason"]) for r in refused if r["customer_id"] == kept] == [
        (kept, "Records of treatment are kept for 7 years by law.")]
    assert request("GET", f"{api}/v1/customers/{erased}", token=demo_owner)[0] == 404
    assert request("GET", f"{api}/v1/customers/{kept}", token=demo_owner)[0] == 200

    effective = datetime.now(UTC).date() + timedelta(days=40)
    page.get_by_label("The policy").fill("We keep your visits to care for you, and nothing else.")
    page.get_by_label("What changed").fill("Shorter and plainer")
    page.get_by_label("In effect from").fill(effective.isoformat())
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("The new version is published. Patients are told before it takes effect.").wait_for()
    page.get_by_role("row", name=re.compile("Shorter and plainer")).wait_for()
    versions = request("GET", f"{api}/v1/org/privacy-policies", token=demo_owner)[1]["versions"]
    published = [v["effective_at"][:10] for v in versions if v["summary"] == "Shorter and plainer"]
    assert published == [effective.isoformat()]

    with page.expect_response(lambda r: r.url.endswith("/v1/org/exports") and r.status == 202) as started:
        page.get_by_role("button", name="Start the export").click()
        step_up_in_dialog(page, credentials["password"], secret)  # a fresh code from a mature authenticator
    export_id = started.value.json()["export"]["id"]
    page.get_by_text("The export is being prepared.", exact=False).wait_for()
    clean_by_axe(page, axe_source, "console-export-cooling-off-desktop")
    page.get_by_role("button", name="Stop the export").click()
    page.get_by_text("The export was stopped.").wait_for()
    status, stopped = request("GET", f"{api}/v1/org/exports/{export_id}", token=demo_owner)
    assert (status, stopped["error"]["code"]) == (410, "export_stopped")  # never to be downloaded

    page.get_by_role("button", name="Delete everything in 30 days").click()
    scheduled = page.get_by_text(re.compile("^Everything the clinic holds will be deleted on "))
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    expect(scheduled.or_(dialog)).to_be_visible(timeout=WAIT)
    if dialog.is_visible():  # the step-up of the export may have run out on a slow machine
        step_up_in_dialog(page, credentials["password"], secret)
    scheduled.wait_for()
    assert request("GET", f"{api}/v1/org", token=demo_owner)[1]["org"]["deletion"]["deletes_at"]
    clean_by_axe(page, axe_source, "console-deletion-grace-desktop")
    page.goto(f"{api}/console?lang=es")
    page.get_by_role("button", name="Privacidad", exact=True).click()
    page.locator("#deletion-cancel").wait_for()
    clean_by_axe(page, axe_source, "console-deletion-grace-es-desktop")
    page.locator("#deletion-cancel").click()
    page.locator("#deletion-form").wait_for()
    assert request("GET", f"{api}/v1/org", token=demo_owner)[1]["org"]["deletion"] is None
    assert page.locator("#alert").is_hidden() and page.problems == []
    context.close()
