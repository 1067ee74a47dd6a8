"""The front desk's day in a real headless Chromium against the local stack, signed in as the demo users
`make run` seeds: a phone booking for a caller without e-mail (in under a minute), finding a patient by a
name typed differently from how it was stored, the card, the week with visit statuses, and a staff-role
user who sees only their own patients. axe-core finds nothing on these screens, in English and Spanish,
at phone and desktop widths; each checked state is photographed (docs/ takes the README's pictures).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import SCREENSHOTS, request
from tests.e2e.test_console import a_weekday_ahead, open_console, sign_in
from tests.e2e.test_patient_pages import clean_by_axe

pytestmark = pytest.mark.e2e
DOCS = Path(__file__).resolve().parents[2] / "docs"


def api_token(credentials, role: str) -> str:
    user = credentials["team"][role]
    status, session = request("POST", f"{credentials['api']}/v1/auth/login",
                              {"org": "demo", "email": user["email"], "password": user["password"]})
    assert status == 200 and session.get("token"), session
    return session["token"]


@pytest.fixture(scope="module")
def desk_token(stack):
    return api_token(stack[0], "frontdesk")


@pytest.fixture(scope="module")
def staff_ids(stack, desk_token):
    status, org = request("GET", f"{stack[0]['api']}/v1/public/orgs/demo")
    assert status == 200
    return {m["display_name"]: m["id"] for m in org["staff"]}, {s["name"]: s["id"] for s in org["services"]}


def add_patient(credentials, token, patient) -> dict:
    status, answer = request("POST", f"{credentials['api']}/v1/customers", patient, token)
    assert status == 201, answer
    return answer["customer"]


def book(credentials, token, customer_id, staff_id, service_id, start) -> dict:
    body = {"customer_id": customer_id, "staff_id": staff_id, "service_id": service_id, "start": start}
    key = {"Idempotency-Key": start + customer_id}
    status, answer = request("POST", f"{credentials['api']}/v1/bookings", body, token, **key)
    assert status == 201, answer
    return answer["booking"]


def keep_for_docs(state: str, name: str) -> None:
    """The README's screenshots are the ones axe checked (retaken with SAFESLOT_README_SCREENSHOTS=1, so a test
    run leaves the tracked docs alone)."""
    if os.environ.get("SAFESLOT_README_SCREENSHOTS") == "1":
        shutil.copyfile(SCREENSHOTS / f"{state}.png", DOCS / name)


def signed_in(browser, credentials, role: str, size: str = "desktop"):
    user = credentials["team"][role]
    context, page = open_console(browser, credentials, size=size)
    sign_in(page, credentials, user["email"], user["password"])
    page.get_by_role("heading", name="The day").wait_for(timeout=60_000)
    return context, page


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_front_desk_books_a_caller_who_has_only_a_phone_in_under_a_minute(stack, browser, axe_source, size):
    credentials, _ = stack
    day = a_weekday_ahead(10 if size == "desktop" else 17)
    caller = f"Paula Phoneonly {size}"
    context, page = signed_in(browser, credentials, "frontdesk", size)
    started = time.monotonic()

    page.get_by_role("button", name="Phone booking").click()
    screen = page.locator("#screen-book")
    screen.get_by_label("Name, phone, date of birth or e-mail").fill("+1 (415) 555-0188" if size == "desktop"
                                                                      else "+1 415 555 0189")
    screen.get_by_role("button", name="Find").click()
    page.get_by_text("No patient matches. Add them below.").wait_for(timeout=60_000)
    screen.get_by_label("Name", exact=True).fill(caller)
    assert screen.get_by_label("E-mail (optional)").input_value() == ""
    screen.get_by_role("button", name="Add this patient").click()
    screen.get_by_text(f"Appointment for {caller}").wait_for(timeout=60_000)
    screen.get_by_label("Service").select_option(label="Consultation (30 min)")
    screen.get_by_label("With", exact=True).select_option(label="Dr Ana Ruiz")
    screen.get_by_label("Day", exact=True).fill(day.isoformat())
    screen.get_by_label("Day", exact=True).dispatch_event("change")
    screen.get_by_role("radio", name=re.compile(r"^11:00\sAM · Dr Ana Ruiz$")).check(timeout=60_000)
    screen.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text(re.compile(rf"Booked: {caller} at 11:00\sAM · Dr Ana Ruiz\.")).wait_for(timeout=60_000)

    assert time.monotonic() - started < 60
    clean_by_axe(page, axe_source, f"console-phone-only-booking-{size}")
    if size == "desktop":
        keep_for_docs("console-phone-only-booking-desktop", "console-phone-booking.png")
    assert page.problems == []
    context.close()


VARIANTS = [("desktop", "en"), ("phone", "en"), ("desktop", "es"), ("phone", "es")]


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_a_patient_is_found_by_a_name_typed_differently_and_their_card_opens(
        stack, browser, axe_source, desk_token, staff_ids, size, language):
    credentials, _ = stack
    stored = f"José Núñez-García {size} {language}"
    patient = add_patient(credentials, desk_token, {"name": stored, "date_of_birth": "1980-03-07"})
    staff, services = staff_ids
    book(credentials, desk_token, patient["id"], staff["Dr Ana Ruiz"], services["Consultation"],
         f"{a_weekday_ahead(24).isoformat()}T{13 + VARIANTS.index((size, language))}:00:00-05:00")
    context, page = signed_in(browser, credentials, "frontdesk", size)
    if language == "es":
        page.get_by_label("Language").select_option("es")
        page.get_by_role("heading", name="El día").wait_for(timeout=60_000)
    words = {"en": ("Patients", "Name, phone, date of birth or e-mail", "Find", "Appointments"),
             "es": ("Pacientes", "Nombre, teléfono, fecha de nacimiento o correo electrónico", "Buscar", "Citas")}
    nav, box, find, appointments = words[language]

    page.get_by_role("button", name=nav, exact=True).click()
    screen = page.locator("#screen-patients")
    screen.get_by_label(box).fill(f"  JOSE   nunez garcia {size.upper()} {language} ")
    screen.get_by_role("button", name=find).click()
    result = screen.get_by_role("button", name=re.compile(re.escape(stored)))
    result.wait_for(timeout=60_000)
    clean_by_axe(page, axe_source, f"console-patients-{language}-{size}")
    if (size, language) == ("desktop", "en"):
        keep_for_docs("console-patients-en-desktop", "console-patients.png")
    result.click()
    page.get_by_role("heading", name=stored).wait_for(timeout=60_000)
    page.get_by_role("heading", name=appointments).wait_for()
    assert page.locator("#card-rows tr").count() == 1
    assert page.locator("#card-notes-form").is_hidden()  # the front desk does not see clinical notes
    clean_by_axe(page, axe_source, f"console-card-{language}-{size}")
    if (size, language) == ("desktop", "en"):
        keep_for_docs("console-card-en-desktop", "console-card.png")
    assert page.problems == []
    context.close()


def test_the_front_desk_marks_an_arrival_on_the_week(stack, browser, axe_source, desk_token, staff_ids):
    credentials, _ = stack
    staff, services = staff_ids
    day = a_weekday_ahead(31)
    patient = add_patient(credentials, desk_token, {"name": "Wendy Weekly"})
    book(credentials, desk_token, patient["id"], staff["Dr Ana Ruiz"], services["Consultation"],
         f"{day.isoformat()}T10:00:00-05:00")
    context, page = signed_in(browser, credentials, "frontdesk")

    page.get_by_role("button", name="The week").click()
    page.locator("#week-date").fill(day.isoformat())
    page.locator("#screen-week").get_by_role("button", name="Show").click()
    status = page.get_by_label(re.compile(r"^Visit of Wendy Weekly"))
    status.wait_for(timeout=60_000)
    status.select_option("arrived")
    page.get_by_text("Wendy Weekly: Arrived.").wait_for(timeout=60_000)
    clean_by_axe(page, axe_source, "console-week-desktop")
    keep_for_docs("console-week-desktop", "console-week.png")
    assert page.problems == []
    context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_staff_user_sees_only_their_own_patients(stack, browser, axe_source, desk_token, staff_ids, size):
    credentials, _ = stack
    staff, services = staff_ids
    day = a_weekday_ahead(38 if size == "desktop" else 45)
    mine = add_patient(credentials, desk_token, {"name": f"Mina Mine {size}"})
    theirs = add_patient(credentials, desk_token, {"name": f"Otto Other {size}"})
    book(credentials, desk_token, mine["id"], staff["Dr Ana Ruiz"], services["Consultation"], f"{day}T10:00:00-05:00")
    book(credentials, desk_token, theirs["id"], staff["Dr Ben Okafor"], services["Consultation"],
         f"{day}T09:00:00-05:00")
    context, page = signed_in(browser, credentials, "staff", size)

    page.get_by_role("button", name="The week").click()
    page.locator("#week-date").fill(day.isoformat())
    page.locator("#screen-week").get_by_role("button", name="Show").click()
    page.get_by_role("button", name=f"Mina Mine {size}").wait_for(timeout=60_000)
    assert page.get_by_text(f"Otto Other {size}").count() == 0
    clean_by_axe(page, axe_source, f"console-week-staff-{size}")

    page.get_by_role("button", name="Patients", exact=True).click()
    screen = page.locator("#screen-patients")
    assert screen.locator("#patients-add").is_hidden()  # only the office adds patients
    screen.get_by_label("Name, phone, date of birth or e-mail").fill(f"otto other {size}")
    screen.get_by_role("button", name="Find").click()
    page.get_by_text("No patient matches. Check the spelling, or add them.").wait_for(timeout=60_000)
    screen.get_by_label("Name, phone, date of birth or e-mail").fill(f"mina mine {size}")
    screen.get_by_role("button", name="Find").click()
    screen.get_by_role("button", name=re.compile(f"Mina Mine {size}")).click()
    page.get_by_label("Clinical notes").wait_for(timeout=60_000)  # a clinician sees the notes
    clean_by_axe(page, axe_source, f"console-card-staff-{size}")
    assert page.problems == []
    context.close()
