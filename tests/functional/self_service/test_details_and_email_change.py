"""What the patient sees and corrects, and a new e-mail address proven before it replaces the old one:
another patient's address never merges or leaks, look-alikes are refused, and nothing done between the
two steps gets around the proof (issue 14, item 1)."""

from __future__ import annotations

import pytest

from chalicelib.models.customer import Customer
from chalicelib.services import customers
from chalicelib.services.audit import SYSTEM
from chalicelib.services.self_service import email_change
from tests.functional.booking.helpers import ALICE
from tests.functional.identity.helpers import body
from tests.functional.self_service.helpers import (
    as_patient,
    book_patient,
    booked_patient,
    code_in,
    error_code,
    events,
    mails_to,
    sign_in,
)

NEW = "alice.new@example.net"
BOB = {"name": "Bob Other", "email": "bob@example.org", "phone": "+442071838750"}


@pytest.fixture
def patient(client, aws_stack):
    return booked_patient(client)


@pytest.fixture
def session(client, patient):
    return sign_in(client, patient)


def details_on_file(patient) -> dict:
    return Customer.get(patient.clinic.org_id, patient.customer_id).unseal()


# --- seeing and correcting ---------------------------------------------------------------------------

def test_the_patient_sees_name_email_and_phone_and_that_notes_are_held_but_not_the_notes(client, patient, session):
    customers.staff_update(patient.clinic.owner, patient.customer_id, {"notes": "Allergic to penicillin"})

    answer = as_patient(client, "GET", patient.slug, "me", session)

    shown = body(answer)["details"]
    assert {k: shown[k] for k in ("name", "email", "phone")} == {k: ALICE[k] for k in ("name", "email", "phone")}
    assert shown["clinical_notes_held"] is True and "penicillin" not in answer.body.decode()
    assert answer.headers["Cache-Control"] == "no-store"
    [read] = [e for e in events(patient.clinic.org_id, "customer.read") if e.actor == "customer"]
    assert read.subjects["customer_id"] == patient.customer_id


def test_name_and_phone_are_corrected_and_the_change_is_audited(client, patient, session):
    answer = as_patient(client, "PATCH", patient.slug, "me", session,
                        {"name": "Alice Z. Smith", "phone": "+442071838750"})

    assert answer.status_code == 200
    assert body(answer)["details"]["name"] == "Alice Z. Smith"
    assert details_on_file(patient)["phone"] == "+442071838750"
    [event] = [e for e in events(patient.clinic.org_id, "customer.updated") if e.actor == "customer"]
    assert event.subjects.as_dict() == {"customer_id": patient.customer_id}
    removed = as_patient(client, "PATCH", patient.slug, "me", session, {"phone": None})
    assert body(removed)["details"]["phone"] is None and "phone" not in details_on_file(patient)


@pytest.mark.parametrize(("change", "field"), [
    ({"phone": "+1 415 555 0123"}, "phone"),  # not E.164
    ({"phone": "+19999999999"}, "phone"),  # E.164 shape, but no such numbering plan
    ({"name": "Alice\nVisit evil.example"}, "name"),
    ({"name": "   "}, "name"),
    ({"email": NEW}, "email"),  # the address changes only through its proof
    ({"notes": "x"}, "notes"),
])
def test_bad_corrections_are_refused_and_nothing_is_written(client, patient, session, change, field):
    before = details_on_file(patient)

    answer = as_patient(client, "PATCH", patient.slug, "me", session, change)

    assert (answer.status_code, body(answer)["error"]["field"]) == (422, field)
    assert details_on_file(patient) == before


# --- changing the e-mail address ---------------------------------------------------------------------

def test_a_new_address_replaces_the_old_only_with_the_code_sent_to_it_and_the_old_one_is_told(client, patient, session):
    asked = as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    assert asked.status_code == 202
    assert details_on_file(patient)["email"] == ALICE["email"]  # nothing changes before the proof

    confirmed = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": code_in(NEW)})

    assert confirmed.status_code == 200 and body(confirmed)["details"]["email"] == NEW
    org_id = patient.clinic.org_id
    assert customers.find_customer_ids_by_email(org_id, NEW) == [patient.customer_id]  # the blind index moved
    assert customers.find_customer_ids_by_email(org_id, ALICE["email"]) == []
    assert "was changed" in mails_to(ALICE["email"])[-1] and NEW not in mails_to(ALICE["email"])[-1]
    for action in ("customer.email_change_requested", "customer.email_changed"):
        assert events(org_id, action)[0].subjects.as_dict() == {"customer_id": patient.customer_id}


def test_another_patients_address_is_neither_merged_nor_revealed(client, patient, session):
    bob = book_patient(client, patient.clinic, BOB, "11:00")
    mails_before = len(mails_to(BOB["email"]))

    taken = as_patient(client, "POST", patient.slug, "email", session, {"email": BOB["email"].upper()})
    fresh = as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})

    assert (taken.status_code, taken.body) == (fresh.status_code, fresh.body)  # the same answer: nothing leaks
    notice = mails_to(BOB["email"])[mails_before:]
    assert len(notice) == 1 and "already belongs to a record" in notice[0]
    assert not any(word.isdigit() and len(word) == 6 for word in notice[0].split())  # no code to the other's box
    assert customers.find_customer_ids_by_email(patient.clinic.org_id, BOB["email"]) == [bob.customer_id]
    assert details_on_file(patient)["email"] == ALICE["email"]


def test_an_address_taken_between_the_two_steps_is_refused_and_nothing_merges(client, patient, session):
    as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    code = code_in(NEW)
    newcomer = book_patient(client, patient.clinic, {"name": "Nina New", "email": NEW}, "12:00")  # meanwhile

    answer = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": code})

    assert (answer.status_code, error_code(answer)) == (409, "email_in_use")
    org_id = patient.clinic.org_id
    assert customers.find_customer_ids_by_email(org_id, NEW) == [newcomer.customer_id]
    assert details_on_file(patient)["email"] == ALICE["email"]
    again = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": code})
    assert error_code(again) == "invalid_token"  # the refused change is gone


def test_a_second_request_replaces_the_first_and_its_code_dies(client, patient, session):
    as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    first_code = code_in(NEW)
    as_patient(client, "POST", patient.slug, "email", session, {"email": "alice.other@example.net"})

    stale = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": first_code})
    if first_code != code_in("alice.other@example.net"):
        assert error_code(stale) == "verification_failed"
    assert details_on_file(patient)["email"] in (ALICE["email"], "alice.other@example.net")
    assert customers.find_customer_ids_by_email(patient.clinic.org_id, NEW) == []


def test_another_session_cannot_finish_a_change_it_did_not_start(client, patient, session):
    as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    other = sign_in(client, patient)  # a second link, e.g. someone who reads the patient's inbox later

    answer = as_patient(client, "POST", patient.slug, "email/confirm", other, {"code": code_in(NEW)})

    assert (answer.status_code, error_code(answer)) == (401, "invalid_token")
    assert details_on_file(patient)["email"] == ALICE["email"]


def test_the_code_dies_with_the_session(client, patient, session, fake_clock):
    as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    fake_clock.advance(minutes=16)

    answer = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": code_in(NEW)})

    assert (answer.status_code, error_code(answer)) == (401, "session_expired")
    assert details_on_file(patient)["email"] == ALICE["email"]


def test_guessing_the_code_is_bounded(client, patient, session):
    as_patient(client, "POST", patient.slug, "email", session, {"email": NEW})
    right = code_in(NEW)
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"

    answers = [error_code(as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": wrong}))
               for _ in range(email_change.MAX_ATTEMPTS + 1)]
    late = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": right})

    assert answers == ["verification_failed"] * email_change.MAX_ATTEMPTS + ["too_many_attempts"]
    assert late.status_code == 401 and details_on_file(patient)["email"] == ALICE["email"]


@pytest.mark.parametrize("look_alike", [
    "\uff41lice.new@example.net",  # full-width letter: NFKC would fold it
    "alice@stra\u017fse.example",  # long s: case folding makes it "s"
    "alice@\uff45xample.net",
])
def test_look_alike_addresses_are_refused_before_any_code_is_sent(client, patient, session, look_alike):
    answer = as_patient(client, "POST", patient.slug, "email", session, {"email": look_alike})

    assert (answer.status_code, body(answer)["error"]["field"]) == (422, "email")
    assert events(patient.clinic.org_id, "customer.email_change_requested") == []


def test_a_different_mailbox_that_looks_alike_is_its_own_address(client, patient, session):
    customers.create_customer(patient.clinic.org_id, customers.CustomerDetails("Sam", "sam@strasse.example"),
                              "seed", SYSTEM)
    as_patient(client, "POST", patient.slug, "email", session, {"email": "sam@straße.example"})

    assert code_in("sam@straße.example")  # ß is not ss: a code, no "in use" notice to the other mailbox
    assert all("already belongs" not in text for text in mails_to("sam@strasse.example"))
