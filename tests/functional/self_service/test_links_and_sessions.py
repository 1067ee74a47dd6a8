"""The self-service link: asked for without enumeration, limited, audited; exchanged once for a
15-minute session that works only at its own clinic (issue 14, item 1)."""

from __future__ import annotations

import threading

import pytest

from chalicelib.services import customers, rate_limits
from chalicelib.services.audit import SYSTEM
from tests.functional.booking.helpers import ALICE, make_clinic
from tests.functional.identity.helpers import body
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


def sent_count() -> int:
    from moto.ses.models import ses_backends

    return len(ses_backends["123456789012"]["us-east-1"].sent_messages)


# --- asking for the link ---------------------------------------------------------------------------

def test_asking_answers_the_same_for_known_and_unknown_addresses_and_mails_only_the_known(client, aws_stack):
    patient = booked_patient(client)
    before = sent_count()

    known = ask_link(client, patient.slug, ALICE["email"].upper())
    after_known = sent_count()
    unknown = ask_link(client, patient.slug, "nobody@example.org")

    assert (known.status_code, known.body) == (unknown.status_code, unknown.body) == (202, known.body)
    assert after_known == before + 1 and sent_count() == after_known
    assert "/my/data/clinic#" in mails_to(ALICE["email"])[-1]  # the address on file, as stored


def test_a_look_alike_address_never_receives_a_patients_link(client, aws_stack):
    clinic = make_clinic("open")
    customers.create_customer(clinic.org_id, customers.CustomerDetails("Alice", "alice@strasse.example"),
                              "seed", SYSTEM)
    before = sent_count()

    assert ask_link(client, "open", "alice@straße.example").status_code == 202  # a different mailbox
    assert ask_link(client, "open", "\uff41lice@strasse.example").status_code == 422  # full-width: refused

    assert sent_count() == before


def test_link_requests_are_limited_per_address(client, aws_stack, from_ip):
    patient = booked_patient(client)
    limit = rate_limits.SELF_SERVICE_LINKS_PER_EMAIL.max_hits
    answers = []
    for attempt in range(limit + 1):
        from_ip(f"198.51.100.{attempt}")  # a new source each time: only the per-address limit counts
        answers.append(ask_link(client, patient.slug, patient.email.upper() if attempt % 2 else patient.email))

    assert [a.status_code for a in answers] == [202] * limit + [429]
    assert len(mails_to(patient.email)) - 1 == limit  # the booking's confirmation, then the links


def test_link_requests_are_limited_per_source_address(client, aws_stack):
    booked_patient(client)
    limit = rate_limits.SELF_SERVICE_LINKS_PER_IP.max_hits
    answers = [ask_link(client, "clinic", f"someone{n}@example.org").status_code for n in range(limit + 1)]

    assert answers == [202] * limit + [429]


def test_link_requests_are_limited_per_org(client, aws_stack, from_ip, monkeypatch):
    booked_patient(client)
    monkeypatch.setattr(rate_limits, "SELF_SERVICE_LINKS_PER_ORG",
                        rate_limits.Limit("self-service-link-org", max_hits=3, window_seconds=3600))
    answers = []
    for n in range(4):
        from_ip(f"203.0.113.{n}")
        answers.append(ask_link(client, "clinic", f"stranger{n}@example.org").status_code)

    assert answers == [202, 202, 202, 429]


def test_issuing_the_link_is_audited_on_the_patients_record_with_ids_only(client, aws_stack):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    ask_link(client, patient.slug, "nobody@example.org")

    [event] = events(patient.clinic.org_id, "customer.self_service_link_issued")
    assert (event.actor, event.subjects.as_dict()) == ("customer", {"customer_id": patient.customer_id})


# --- exchanging it once ----------------------------------------------------------------------------

def test_the_link_opens_one_session_and_a_second_use_is_refused_with_a_stable_code(client, aws_stack):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    token = link_token(patient.email, patient.slug)

    first, replay = exchange(client, patient.slug, token), exchange(client, patient.slug, token)

    assert first.status_code == 201
    assert (replay.status_code, error_code(replay)) == (410, "link_already_used")
    assert "token" not in replay.body.decode()
    [opened] = events(patient.clinic.org_id, "customer.self_service_opened")
    assert opened.subjects["customer_id"] == patient.customer_id


def test_two_racing_exchanges_of_one_link_give_exactly_one_session(client, aws_stack, atomic_dynamodb):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    token = link_token(patient.email, patient.slug)
    statuses: list[int] = []

    def use() -> None:
        statuses.append(exchange(client, patient.slug, token).status_code)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [410] * 7


def test_a_session_works_for_fifteen_minutes_and_not_after(client, aws_stack, fake_clock):
    patient = booked_patient(client)
    session = sign_in(client, patient)

    fake_clock.advance(minutes=14, seconds=50)
    assert as_patient(client, "GET", patient.slug, "me", session).status_code == 200  # not sliding: no renewal
    fake_clock.advance(seconds=11)
    expired = as_patient(client, "GET", patient.slug, "me", session)

    assert (expired.status_code, error_code(expired)) == (401, "session_expired")
    assert as_patient(client, "GET", patient.slug, "export", session).status_code == 401


def test_an_unused_link_dies_after_thirty_minutes(client, aws_stack, fake_clock):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    fake_clock.advance(minutes=31)

    late = exchange(client, patient.slug, link_token(patient.email, patient.slug))

    assert (late.status_code, error_code(late)) == (401, "invalid_token")


def test_a_patients_link_and_session_of_one_clinic_open_nothing_at_another(client, aws_stack):
    at_a = booked_patient(client, "clinic-a")
    at_b = book_patient(client, make_clinic("clinic-b"), ALICE)  # the same person, a patient of both
    ask_link(client, "clinic-a", ALICE["email"])
    token_a = link_token(ALICE["email"], "clinic-a")

    wrong_org = exchange(client, "clinic-b", token_a)
    assert (wrong_org.status_code, error_code(wrong_org)) == (401, "invalid_token")
    session_a = body(exchange(client, "clinic-a", token_a))["session"]["token"]  # not burnt by the attempt at B
    at_b_with_a = as_patient(client, "GET", "clinic-b", "me", session_a)

    assert (at_b_with_a.status_code, error_code(at_b_with_a)) == (401, "invalid_token")
    mine = body(as_patient(client, "GET", "clinic-a", "me", session_a))
    assert mine["clinic"]["slug"] == "clinic-a" and at_a.customer_id != at_b.customer_id
    assert events(at_b.clinic.org_id, "customer.read") == []


def test_a_link_token_is_not_a_session_and_a_session_is_not_a_link(client, aws_stack):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    token = link_token(patient.email, patient.slug)

    assert error_code(as_patient(client, "GET", patient.slug, "me", token)) == "invalid_token"
    session = body(exchange(client, patient.slug, token))["session"]["token"]
    assert error_code(exchange(client, patient.slug, session)) == "invalid_token"


def test_without_a_session_every_patient_route_is_refused(client, aws_stack):
    patient = booked_patient(client)
    for method, path in (("GET", "me"), ("PATCH", "me"), ("POST", "email"), ("POST", "email/confirm"),
                         ("GET", "export"), ("POST", "erasure-request"), ("DELETE", "session")):
        payload = {"GET": None, "DELETE": None}.get(method, {"name": "X"} if path == "me" else
                                                      {"email": "x@example.org"} if path == "email" else
                                                      {"code": "123456"} if path == "email/confirm" else None)
        answer = as_patient(client, method, patient.slug, path, None, payload)
        assert (answer.status_code, error_code(answer)) == (401, "unauthenticated"), (method, path)


def test_signing_out_ends_the_session_at_once(client, aws_stack):
    patient = booked_patient(client)
    session = sign_in(client, patient)

    assert as_patient(client, "DELETE", patient.slug, "session", session).status_code == 204
    after = as_patient(client, "GET", patient.slug, "me", session)

    assert (after.status_code, error_code(after)) == (401, "invalid_token")
    [closed] = events(patient.clinic.org_id, "customer.self_service_closed")
    assert closed.subjects["customer_id"] == patient.customer_id


def test_tokens_never_reach_the_logs(client, aws_stack, log_output):
    patient = booked_patient(client)
    ask_link(client, patient.slug, patient.email)
    token = link_token(patient.email, patient.slug)
    session = body(exchange(client, patient.slug, token))["session"]["token"]
    as_patient(client, "GET", patient.slug, "me", session)
    exchange(client, patient.slug, token)

    logged = log_output.getvalue()
    assert token not in logged and session not in logged and patient.email not in logged


@pytest.mark.parametrize("path", ["/my/data/clinic"])
def test_the_page_holding_the_link_is_never_cached_and_sends_no_referrer(client, aws_stack, path):
    page = client.http.get(path)

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
