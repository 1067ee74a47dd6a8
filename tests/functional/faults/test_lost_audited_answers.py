"""Every audited change whose transaction was applied while its answer was lost (the proxy forwards the
TransactWriteItems to DynamoDB, then resets the connection; botocore retries the same call): the caller
hears the truth, the change exists once, its event once, and the retry carried the same ClientRequestToken.
A 409 means nothing was written; a transaction that failed unapplied is a 503."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization, OrgSlug
from chalicelib.models.self_service import ErasureRequest, SelfServiceToken
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.organizations import create_org
from tests.functional.booking.helpers import Clinic
from tests.functional.identity.helpers import body, call, post_json, token_for
from tests.functional.self_service.helpers import (
    as_patient,
    ask_link,
    book_patient,
    code_in,
    exchange,
    link_token,
    mails_to,
    sign_in,
)
from tests.functional.transparency.helpers import enroll_totp, fresh_code, with_password
from tests.harness.fault_proxy import Fault

TRANSACTION = ("dynamodb", "TransactWriteItems")
ALICE = {"name": "Alice Zebrowski", "email": "alice.zebrowski@example.org", "phone": "+14155550123"}


def _lose_the_answer_of_a_transaction_writing(proxy, table: str) -> int:
    """Drop the answer of the next transaction that writes `table`; returns how many calls came before."""
    proxy.inject(Fault(*TRANSACTION, kind="drop_response", times=1, body_contains=f'"{table}"'))
    return len(proxy.calls)


def _retried_with_one_token(proxy, table: str, since: int) -> None:
    """The write reached DynamoDB twice (the lost attempt and botocore's retry) with the same token."""
    calls = [json.loads(c.body) for c in proxy.calls[since:]
             if (c.service, c.operation) == TRANSACTION and f'"{table}"'.encode() in c.body]
    tokens = [c.get("ClientRequestToken") for c in calls]
    assert len(tokens) == 2 and tokens[0] and tokens[0] == tokens[1], tokens


def _events(org_id: str, action: str) -> list[AuditEvent]:
    audit.build(org_id)
    assert AuditOutboxEntry.count(org_id) == 0
    return [e for e in AuditEvent.query(org_id) if e.action == action]


@pytest.fixture
def owner(client, clinic: Clinic) -> str:
    return token_for(client, clinic.accounts["owner"])


def test_a_staff_created_customer_whose_answer_was_lost_is_201_and_stored_once(client, clinic, owner, proxy):
    since = _lose_the_answer_of_a_transaction_writing(proxy, Customer.Meta.table_name)

    created = post_json(client, "/v1/customers", ALICE, owner)

    assert created.status_code == 201, created.body
    customer_id = body(created)["customer"]["id"]
    assert [c.customer_id for c in Customer.scan()] == [customer_id]
    assert [e.subjects["customer_id"] for e in _events(clinic.org_id, "customer.created")] == [customer_id]
    _retried_with_one_token(proxy, Customer.Meta.table_name, since)


def test_a_user_created_whose_answer_was_lost_is_201_not_already_exists(client, clinic, owner, proxy):
    since = _lose_the_answer_of_a_transaction_writing(proxy, User.Meta.table_name)

    created = post_json(client, "/v1/users", {"email": "new@clinic.example", "name": "Nia New", "role": "staff"},
                        owner)

    assert created.status_code == 201, created.body
    user_id = body(created)["user"]["id"]
    assert [u.user_id for u in User.query(clinic.org_id) if u.role == "staff"] == [user_id]
    assert [e.subjects["user_id"] for e in _events(clinic.org_id, "user.created")].count(user_id) == 1
    _retried_with_one_token(proxy, User.Meta.table_name, since)


def test_a_409_for_a_taken_address_means_nothing_was_written_even_with_its_answer_lost(client, clinic, owner,
                                                                                        proxy):
    users_before = User.count(clinic.org_id)
    _lose_the_answer_of_a_transaction_writing(proxy, User.Meta.table_name)

    again = post_json(client, "/v1/users", {"email": clinic.accounts["owner"].email, "name": "Twin", "role": "staff"},
                      owner)

    assert again.status_code == 409 and body(again)["error"]["code"] == "conflict"
    assert User.count(clinic.org_id) == users_before
    assert [e.subjects["user_id"] for e in _events(clinic.org_id, "user.created")] == [
        clinic.accounts["owner"].user_id]


def test_an_audited_transaction_that_failed_unapplied_is_503_and_wrote_nothing(client, clinic, owner, proxy):
    proxy.inject(Fault(*TRANSACTION, kind="reset", body_contains=f'"{Customer.Meta.table_name}"'))

    created = post_json(client, "/v1/customers", ALICE, owner)

    assert created.status_code == 503 and body(created)["error"]["code"] == "storage_unavailable"
    assert created.headers.get("Retry-After")
    proxy.clear()
    assert Customer.count(clinic.org_id) == 0 and _events(clinic.org_id, "customer.created") == []


def test_an_org_created_whose_answer_was_lost_is_created_once(clinic, proxy):
    since = _lose_the_answer_of_a_transaction_writing(proxy, Organization.Meta.table_name)

    org = create_org("second-clinic", "Second Clinic")

    assert OrgSlug.get("second-clinic").org_id == org.org_id
    assert [o.org_id for o in Organization.scan() if o.slug == "second-clinic"] == [org.org_id]
    assert len(_events(org.org_id, "org.created")) == 1
    _retried_with_one_token(proxy, Organization.Meta.table_name, since)


def test_a_self_service_session_whose_answer_was_lost_opens(client, clinic, proxy):
    patient = book_patient(client, clinic, ALICE)
    assert ask_link(client, patient.slug, patient.email).status_code == 202
    _lose_the_answer_of_a_transaction_writing(proxy, SelfServiceToken.Meta.table_name)

    opened = exchange(client, patient.slug, link_token(patient.email, patient.slug))

    assert opened.status_code == 201, opened.body
    session = body(opened)["session"]["token"]
    assert as_patient(client, "GET", patient.slug, "me", session).status_code == 200
    assert len(_events(clinic.org_id, "customer.self_service_opened")) == 1


def test_corrected_details_whose_answer_was_lost_are_reported_changed(client, clinic, proxy):
    patient = book_patient(client, clinic, ALICE)
    session = sign_in(client, patient)
    _lose_the_answer_of_a_transaction_writing(proxy, Customer.Meta.table_name)

    corrected = as_patient(client, "PATCH", patient.slug, "me", session, {"name": "Alice Z."})

    assert corrected.status_code == 200, corrected.body
    assert Customer.get(clinic.org_id, patient.customer_id).unseal()["name"] == "Alice Z."
    assert len(_events(clinic.org_id, "customer.updated")) == 1


def test_an_email_change_whose_answer_was_lost_is_reported_done_not_a_conflict(client, clinic, proxy):
    patient = book_patient(client, clinic, ALICE)
    session = sign_in(client, patient)
    new = "alice.new@example.org"
    assert as_patient(client, "POST", patient.slug, "email", session, {"email": new}).status_code == 202
    _lose_the_answer_of_a_transaction_writing(proxy, Customer.Meta.table_name)

    confirmed = as_patient(client, "POST", patient.slug, "email/confirm", session, {"code": code_in(new)})

    assert confirmed.status_code == 200, confirmed.body
    assert body(confirmed)["details"]["email"] == new
    assert "was changed" in mails_to(ALICE["email"])[-1]  # the old address is told, as on a plain success
    assert len(_events(clinic.org_id, "customer.email_changed")) == 1


def test_an_erasure_request_whose_answer_was_lost_is_recorded_once_and_the_clinic_told(client, clinic, proxy):
    patient = book_patient(client, clinic, ALICE)
    session = sign_in(client, patient)
    _lose_the_answer_of_a_transaction_writing(proxy, ErasureRequest.Meta.table_name)

    asked = as_patient(client, "POST", patient.slug, "erasure-request", session)

    assert asked.status_code == 201, asked.body
    stored = ErasureRequest.get(clinic.org_id, patient.customer_id)
    assert body(asked)["erasure_request"]["id"] == stored.request_id and stored.status == "pending"
    assert len(_events(clinic.org_id, "customer.erasure_requested")) == 1
    assert any("to erase your data" in text for text in mails_to(ALICE["email"]))  # the patient heard


def test_an_org_deletion_asked_and_cancelled_with_lost_answers_is_reported_truthfully(client, clinic, proxy):
    account = clinic.accounts["owner"]
    policy = policy_of(Organization.get(clinic.org_id))
    owner = sessions.start_session(clinic.org_id, account.user_id, "owner", policy, SYSTEM, assurance=2).token
    secret = enroll_totp(client, owner)
    _lose_the_answer_of_a_transaction_writing(proxy, Organization.Meta.table_name)

    asked = post_json(client, "/v1/org/deletion", with_password(fresh_code(secret)), owner)

    assert asked.status_code in (200, 202), asked.body
    assert Organization.get(clinic.org_id).deletion_due_at is not None
    _lose_the_answer_of_a_transaction_writing(proxy, Organization.Meta.table_name)

    cancelled = call(client, "DELETE", "/v1/org/deletion", owner)

    assert cancelled.status_code == 200, cancelled.body
    assert Organization.get(clinic.org_id).deletion_due_at is None
    assert len(_events(clinic.org_id, "org.deletion_requested")) == 1
    assert len(_events(clinic.org_id, "org.deletion_cancelled")) == 1
