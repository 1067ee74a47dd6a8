"""The patient downloads everything about them as JSON and asks for erasure; the clinic lists the
requests and refuses one with a reason (issue 14, item 1)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.jobs import policy_notices, reminders
from chalicelib.jobs.runner import JobReport
from chalicelib.models.self_service import EmailChange, ErasureRequest
from chalicelib.services import privacy_policies
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.self_service import erased
from tests.functional.booking.helpers import ALICE, at, next_weekday
from tests.functional.identity.helpers import body, call, token_for
from tests.functional.self_service.helpers import (
    as_patient,
    book_patient,
    booked_patient,
    error_code,
    events,
    mails_to,
    sign_in,
)

BOB = {"name": "Bob Other", "email": "bob@example.org"}


@pytest.fixture
def patient(client, aws_stack):
    return booked_patient(client)


# --- the download ------------------------------------------------------------------------------------

def test_the_download_holds_details_bookings_with_names_and_status_and_the_notices_sent(client, aws_stack, fake_clock):
    patient = booked_patient(client)
    clinic = patient.clinic
    cancelled = book_patient(client, clinic, ALICE, "14:00").booking_id
    calendar.cancel(calendar.Actor(clinic.org_id, "customer", clinic.owner.origin, is_staff=False),
                    calendar.get_booking(clinic.org_id, cancelled), "away")
    book_patient(client, clinic, BOB, "15:00")  # another patient: never in Alice's download
    privacy_policies.publish(clinic.owner, privacy_policies.NewPolicy("We keep records.", "First."))
    privacy_policies.publish(clinic.owner, privacy_policies.NewPolicy(
        "We keep records for 6 years.", "Six years.", effective_at=clock.now() + timedelta(days=31)))
    policy_notices.run_policy_notices(JobReport("policy_notices"))
    fake_clock.now = datetime.fromisoformat(at(next_weekday(), "10:00")) - timedelta(hours=23, minutes=50)
    reminders.run_reminders(JobReport("reminders"))
    session = sign_in(client, patient)

    answer = as_patient(client, "GET", patient.slug, "export", session)

    assert answer.status_code == 200 and answer.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    document = json.loads(answer.body)
    assert document["format"] == "safeslot.patient-export" and document["details"]["email"] == ALICE["email"]
    assert {(b["id"], b["status"], b["service"]["name"], b["staff"]["display_name"]) for b in document["bookings"]} == {
        (patient.booking_id, "confirmed", "Consultation", "Dr Ada"), (cancelled, "cancelled", "Consultation", "Dr Ada")}
    kinds = [notice["kind"] for notice in document["notices"]]
    assert kinds.count("appointment_booked") == 2 and "appointment_cancelled" in kinds
    assert "self_service_link" in kinds and "privacy_policy_notice" in kinds
    assert [n["booking_id"] for n in document["notices"] if n["kind"] == "appointment_reminder"] == [patient.booking_id]
    assert BOB["email"] not in answer.body.decode() and "away" not in answer.body.decode()
    assert document["bookings"][0]["cancellation_reason_held"] or document["bookings"][1]["cancellation_reason_held"]
    [event] = events(clinic.org_id, "customer.exported")
    assert event.subjects.as_dict() == {"customer_id": patient.customer_id}


# --- asking for erasure ------------------------------------------------------------------------------

def test_asking_for_erasure_is_recorded_audited_and_the_clinics_admins_are_told(client, aws_stack):
    patient = booked_patient(client)
    session = sign_in(client, patient)

    first = as_patient(client, "POST", patient.slug, "erasure-request", session)
    again = as_patient(client, "POST", patient.slug, "erasure-request", session)

    assert first.status_code == 201 and body(first)["erasure_request"]["status"] == "pending"
    assert body(again)["erasure_request"]["id"] == body(first)["erasure_request"]["id"]  # one request, not two
    owner_mails = [m for m in mails_to(patient.clinic.accounts["owner"].email) if "erase" in m]
    assert len(owner_mails) == 1 and ALICE["name"] not in owner_mails[0] and ALICE["email"] not in owner_mails[0]
    assert len([m for m in mails_to(ALICE["email"]) if "received your request" in m]) == 1
    [event] = events(patient.clinic.org_id, "customer.erasure_requested")
    assert event.subjects.as_dict() == {"customer_id": patient.customer_id,
                                        "request_id": body(first)["erasure_request"]["id"]}
    seen = body(as_patient(client, "GET", patient.slug, "me", session))
    assert seen["erasure_request"]["status"] == "pending"


def test_admins_list_pending_requests_and_refuse_one_with_a_reason_the_patient_is_told(client, aws_stack):
    patient = booked_patient(client)
    clinic = patient.clinic
    request_id = body(as_patient(client, "POST", patient.slug, "erasure-request", sign_in(client, patient)))[
        "erasure_request"]["id"]
    owner = token_for(client, clinic.accounts["owner"])

    listed = body(call(client, "GET", "/v1/erasure-requests", owner))["erasure_requests"]
    refused = call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", owner,
                   {"reason": "We must keep treatment records for 6 years."})
    twice = call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", owner, {"reason": "Again."})

    assert [(r["id"], r["customer_id"], r["status"]) for r in listed] == [(request_id, patient.customer_id, "pending")]
    assert refused.status_code == 200 and body(refused)["erasure_request"]["status"] == "refused"
    assert twice.status_code == 409
    assert "6 years" in mails_to(ALICE["email"])[-1]
    assert body(call(client, "GET", "/v1/erasure-requests", owner))["erasure_requests"] == []
    assert [r["id"] for r in body(call(client, "GET", "/v1/erasure-requests?status=refused", owner))[
        "erasure_requests"]] == [request_id]
    [event] = events(clinic.org_id, "customer.erasure_refused")
    assert event.subjects.as_dict() == {"customer_id": patient.customer_id, "request_id": request_id}


@pytest.mark.parametrize("role", ["staff", "frontdesk", "auditor"])
def test_only_owners_and_admins_see_or_decide_erasure_requests(client, aws_stack, role):
    from tests.functional.booking.helpers import make_clinic

    clinic = make_clinic("roles", roles=(role,))
    patient = book_patient(client, clinic, ALICE)
    request_id = body(as_patient(client, "POST", "roles", "erasure-request", sign_in(client, patient)))[
        "erasure_request"]["id"]
    token = token_for(client, clinic.accounts[role])

    assert call(client, "GET", "/v1/erasure-requests", token).status_code == 403
    refused = call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", token, {"reason": "No."})
    assert refused.status_code == 403


def test_one_clinics_admins_never_see_or_refuse_another_clinics_requests(client, aws_stack):
    from tests.functional.booking.helpers import make_clinic

    patient = booked_patient(client, "clinic-a")
    request_id = body(as_patient(client, "POST", "clinic-a", "erasure-request", sign_in(client, patient)))[
        "erasure_request"]["id"]
    other = token_for(client, make_clinic("clinic-b").accounts["owner"])

    assert body(call(client, "GET", "/v1/erasure-requests", other))["erasure_requests"] == []
    refused = call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", other, {"reason": "No."})
    assert (refused.status_code, error_code(refused)) == (404, "not_found")


def test_an_executed_erasure_closes_the_request_and_drops_a_pending_change_of_address(client, patient):
    session = sign_in(client, patient)
    as_patient(client, "POST", patient.slug, "erasure-request", session)
    as_patient(client, "POST", patient.slug, "email", session, {"email": "alice.new@example.net"})

    erased.customer_erased(patient.clinic.org_id, patient.customer_id, "user-1")

    assert ErasureRequest.get(patient.clinic.org_id, patient.customer_id).status == "erased"
    signed_out = as_patient(client, "GET", patient.slug, "me", session)
    assert (signed_out.status_code, error_code(signed_out)) == (401, "invalid_token")  # their page ends too
    assert EmailChange.count(patient.clinic.org_id) == 0  # the new address is gone too
    erased.customer_erased(patient.clinic.org_id, "someone-else", "user-1")  # nothing open: quiet


def test_erasing_after_a_refusal_drops_the_refusals_text_about_the_patient(client, patient):
    session = sign_in(client, patient)
    request_id = body(as_patient(client, "POST", patient.slug, "erasure-request", session))["erasure_request"]["id"]
    owner = token_for(client, patient.clinic.accounts["owner"])
    call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", owner, {"reason": "Records kept 6 years."})

    erased.customer_erased(patient.clinic.org_id, patient.customer_id, "user-1")

    [closed] = body(call(client, "GET", "/v1/erasure-requests?status=erased", owner))["erasure_requests"]
    assert closed["id"] == request_id and "refusal_reason" not in closed
    assert ErasureRequest.get(patient.clinic.org_id, patient.customer_id).unseal() == {}


def test_erasing_the_patient_through_the_clinics_route_closes_their_request(client, patient):
    from tests.functional.erasure.helpers import erase, second_factor_token

    session = sign_in(client, patient)
    request_id = body(as_patient(client, "POST", patient.slug, "erasure-request", session))["erasure_request"]["id"]
    admin = second_factor_token(client, patient.clinic.accounts["owner"])

    assert erase(client, admin, patient.customer_id).status_code == 200

    [closed] = body(call(client, "GET", "/v1/erasure-requests?status=erased", admin))["erasure_requests"]
    assert (closed["id"], closed["customer_id"]) == (request_id, patient.customer_id)
    assert body(call(client, "GET", "/v1/erasure-requests", admin))["erasure_requests"] == []
    gone = as_patient(client, "GET", patient.slug, "me", session)
    assert (gone.status_code, error_code(gone)) == (401, "invalid_token")  # the open session ended with them
