"""Erasure ends everything of the person (issue 22, item 7): an erased patient's open page, unused link
and stale request can neither ask, change nor be refused as if the record were still there."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models.customer import Customer
from chalicelib.models.self_service import ErasureRequest, SelfServiceToken
from chalicelib.services.erasure import ledger
from chalicelib.services.self_service import erasure_requests, sessions
from chalicelib.services.self_service.sessions import PatientSession
from tests.functional.booking.helpers import ALICE
from tests.functional.erasure.helpers import erase, second_factor_token
from tests.functional.identity.helpers import body, call, token_for
from tests.functional.self_service.helpers import (
    as_patient,
    ask_link,
    book_patient,
    booked_patient,
    error_code,
    events,
    exchange,
    link_token,
    mails_to,
    sign_in,
)


def _owner_mails(patient) -> list[str]:
    return [m for m in mails_to(patient.clinic.accounts["owner"].email) if "erase" in m]


def test_an_erased_patients_open_page_cannot_file_a_new_erasure_request(client, aws_stack):
    patient = booked_patient(client)
    session = sign_in(client, patient)
    admin = second_factor_token(client, patient.clinic.accounts["owner"])
    assert erase(client, admin, patient.customer_id).status_code == 200
    told_before = len(_owner_mails(patient))

    asked = as_patient(client, "POST", patient.slug, "erasure-request", session)

    assert (asked.status_code, error_code(asked)) == (401, "invalid_token")
    assert ErasureRequest.count(patient.clinic.org_id) == 0  # nothing stored
    assert len(_owner_mails(patient)) == told_before  # nobody e-mailed
    assert events(patient.clinic.org_id, "customer.erasure_requested") == []
    for method, path in (("GET", "me"), ("GET", "export"), ("PATCH", "me")):
        answer = as_patient(client, method, patient.slug, path, session, {"name": "X"} if method == "PATCH" else None)
        assert (answer.status_code, error_code(answer)) == (401, "invalid_token")


def test_erasure_ends_every_link_and_session_of_the_patient_and_no_one_elses(client, aws_stack):
    patient = booked_patient(client)
    bob = book_patient(client, patient.clinic, {"name": "Bob Other", "email": "bob@example.org"}, "11:00")
    bobs_session = sign_in(client, bob)
    sign_in(client, patient)
    assert ask_link(client, patient.slug, patient.email).status_code == 202
    unused_link = link_token(patient.email, patient.slug)
    admin = second_factor_token(client, patient.clinic.accounts["owner"])

    assert erase(client, admin, patient.customer_id).status_code == 200

    opened = exchange(client, patient.slug, unused_link)
    assert (opened.status_code, error_code(opened)) == (401, "invalid_token")
    left = [t.customer_id for t in SelfServiceToken.scan()]
    assert patient.customer_id not in left and bob.customer_id in left
    assert as_patient(client, "GET", bob.slug, "me", bobs_session).status_code == 200


def test_a_link_of_a_patient_erased_before_it_is_opened_opens_nothing(client, aws_stack):
    patient = booked_patient(client)
    assert ask_link(client, patient.slug, patient.email).status_code == 202
    token = link_token(patient.email, patient.slug)
    Customer(patient.clinic.org_id, patient.customer_id).delete()  # erased between the sweep and the click

    opened = exchange(client, patient.slug, token)

    assert (opened.status_code, error_code(opened)) == (401, "invalid_token")
    assert [t for t in SelfServiceToken.scan() if t.kind == sessions.SESSION] == []


def test_a_request_against_a_missing_record_writes_nothing_and_mails_no_one(client, aws_stack):
    patient = booked_patient(client)
    sign_in(client, patient)
    org = patient.clinic
    Customer(org.org_id, patient.customer_id).delete()  # erased while a session was still in flight
    racing = PatientSession(org.org_id, patient.customer_id, "h" * 64, clock.now(), patient.clinic.owner.origin)
    mails_before = len(mails_to(ALICE["email"])), len(_owner_mails(patient))

    from chalicelib.models.organization import Organization

    try:
        erasure_requests.ask(Organization.get(org.org_id), racing, None)
        raise AssertionError("a request for a missing record was accepted")
    except NotFound:
        pass

    assert ErasureRequest.count(org.org_id) == 0
    assert (len(mails_to(ALICE["email"])), len(_owner_mails(patient))) == mails_before
    assert events(org.org_id, "customer.erasure_requested") == []


def test_refusing_a_request_whose_record_is_gone_says_so_and_records_no_refusal(client, aws_stack):
    patient = booked_patient(client)
    org = patient.clinic
    request_id = body(as_patient(client, "POST", patient.slug, "erasure-request", sign_in(client, patient)))[
        "erasure_request"]["id"]
    ledger.record(org.org_id, ledger.CUSTOMER, patient.customer_id, "operator")
    Customer(org.org_id, patient.customer_id).delete()  # a stale pending request left by an older release
    owner = token_for(client, org.accounts["owner"])
    mails_before = len(mails_to(ALICE["email"]))

    refused = call(client, "POST", f"/v1/erasure-requests/{request_id}/refuse", owner, {"reason": "We keep it."})

    assert (refused.status_code, error_code(refused)) == (409, "already_erased")
    assert events(org.org_id, "customer.erasure_refused") == []
    assert len(mails_to(ALICE["email"])) == mails_before
    assert ErasureRequest.get(org.org_id, patient.customer_id).status == "erased"
    assert body(call(client, "GET", "/v1/erasure-requests", owner))["erasure_requests"] == []
