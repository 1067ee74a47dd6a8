"""Nobody learns who is a patient by timing (issue 22, item 5): every "we sent you an e-mail if..." route
does the same AWS calls for a known and an unknown address and queues the rest (ADR 0016).

The timing itself is measured over HTTP against the local stack (tests/e2e/test_mail_timing.py); here the
work is counted, call by call, which does not drift between machines."""

from __future__ import annotations

import collections
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.models.organization import Organization
from chalicelib.services.audit import Origin
from chalicelib.services.booking.links import send_my_bookings_link
from chalicelib.services.identity import password_reset
from chalicelib.services.self_service import links
from tests.functional.ending.helpers import run
from tests.functional.identity.helpers import body
from tests.functional.self_service.helpers import booked_patient, mails_to

JSON = {"Content-Type": "application/json"}
ORIGIN = Origin("192.0.2.44", "test")


@contextlib.contextmanager
def aws_calls() -> Iterator[collections.Counter[str]]:
    """Every AWS call made inside the block, as "service:Operation"."""
    calls: collections.Counter[str] = collections.Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def queued_bodies() -> list[str]:
    answer = aws.client("sqs").receive_message(QueueUrl=settings().mail_queue_url, MaxNumberOfMessages=10,
                                               VisibilityTimeout=0)  # a peek: the consumer still gets them
    return [m["Body"] for m in answer.get("Messages", [])]


@pytest.fixture
def patient(client):
    return booked_patient(client)


def ask_all_three(org: Organization, email: str) -> None:
    links.request_link(org, email, ORIGIN, None)
    send_my_bookings_link(org, email, ORIGIN)
    password_reset.request_reset(org.slug, email, ORIGIN)


def test_a_known_and_an_unknown_address_cost_the_same_aws_calls(patient):
    org = Organization.get(patient.clinic.org_id)
    owner = patient.clinic.accounts["owner"].email
    ask_all_three(org, "warm-up@example.org")  # the index key is unwrapped once per container

    with aws_calls() as known_patient:
        ask_all_three(org, patient.email)
    with aws_calls() as known_user:
        ask_all_three(org, owner)
    with aws_calls() as unknown:
        ask_all_three(org, "nobody-here@example.org")

    assert known_patient == known_user == unknown
    assert not any(call.startswith(("ses:", "kms:")) or call.endswith(("PutItem", "Query", "TransactWriteItems"))
                   for call in unknown)  # nothing is looked up, sealed, written or sent in the request
    assert unknown["sqs:SendMessage"] == 3


def test_queued_messages_name_no_address_and_the_consumer_sends_to_the_one_on_file(patient, drain_mail_queue):
    org = Organization.get(patient.clinic.org_id)
    links.request_link(org, patient.email.upper(), ORIGIN, "de")

    [queued] = queued_bodies()
    assert "@" not in queued and patient.email.split("@")[0] not in queued.lower()
    assert json.loads(queued)["kind"] == "self_service_link"
    before = len(mails_to(patient.email))
    assert drain_mail_queue() == 1
    assert len(mails_to(patient.email)) == before + 1


def test_every_email_route_answers_alike_and_the_queued_mail_reaches_a_known_address(client, patient):
    clinic = patient.clinic
    routes = [(f"/v1/public/orgs/{clinic.slug}/self-service/link", {}),
              (f"/v1/public/orgs/{clinic.slug}/my-bookings", {}),
              ("/v1/auth/password/forgot", {"org": clinic.slug})]
    owner = clinic.accounts["owner"].email
    for path, extra in routes:
        known = client.http.post(path, headers=JSON, body=json.dumps({**extra, "email": owner if extra
                                                                     else patient.email}))
        unknown = client.http.post(path, headers=JSON, body=json.dumps({**extra, "email": "ghost@example.org"}))
        assert (known.status_code, body(known)) == (unknown.status_code, body(unknown))
        assert known.status_code == 202
    assert len(mails_to(patient.email)) >= 3 and len(mails_to(owner)) == 1  # booking, link, link; reset code
    assert mails_to("ghost@example.org") == []


def test_a_suspended_clinics_password_forgot_answers_202_and_mails_nothing(client, patient, capsys):
    owner = patient.clinic.accounts["owner"].email
    code, _ = run(capsys, "org-suspend", "--org", patient.clinic.slug, "--reason", "Invoice 2026-11 unpaid")
    assert code == 0

    answer = client.http.post("/v1/auth/password/forgot", headers=JSON,
                              body=json.dumps({"org": patient.clinic.slug, "email": owner}))
    unknown = client.http.post("/v1/auth/password/forgot", headers=JSON,
                               body=json.dumps({"org": "no-such-clinic", "email": owner}))

    assert (answer.status_code, body(answer)) == (unknown.status_code, body(unknown))
    assert answer.status_code == 202
    assert mails_to(owner) == []


def test_a_message_the_code_did_not_write_is_refused_by_the_consumer(aws_stack):
    from chalicelib.jobs import queued_mail

    for bad in ['{"kind": "wire_money", "org_id": "x", "email_index": "y"}', '["self_service_link"]',
                '{"kind": "password_reset", "org_id": 7, "email_index": "y"}']:
        with pytest.raises(ValueError):
            queued_mail.handle(bad)


def test_nothing_queued_gives_the_turn_back(patient, monkeypatch):
    from chalicelib.errors import RateLimited
    from chalicelib.services import mail_queue, rate_limits

    org = Organization.get(patient.clinic.org_id)

    def refused(_message: Any) -> None:
        raise RuntimeError("SQS is down")

    monkeypatch.setattr(links, "enqueue", refused)
    for _ in range(rate_limits.SELF_SERVICE_LINKS_PER_EMAIL.max_hits + 2):
        with pytest.raises(RuntimeError):
            links.request_link(org, patient.email, ORIGIN, None)
    monkeypatch.setattr(links, "enqueue", mail_queue.enqueue)

    links.request_link(org, patient.email, ORIGIN, None)  # none of the failed ones used a turn
    links.request_link(org, patient.email, ORIGIN, None)
    links.request_link(org, patient.email, ORIGIN, None)
    with pytest.raises(RateLimited):
        links.request_link(org, patient.email, ORIGIN, None)
