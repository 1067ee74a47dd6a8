"""What leaves the booking flow: e-mails with calendar files, rate limits, and what is stored or logged."""

from __future__ import annotations

import base64
import email
import json

import boto3
import icalendar
import pytest

from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


@pytest.fixture
def day():
    return next_weekday()


def sent_messages() -> list[email.message.Message]:
    from moto.ses.models import ses_backends

    return [email.message_from_string(m.raw_data) for m in ses_backends["123456789012"]["us-east-1"].sent_messages
            if hasattr(m, "raw_data")]


def invite(message: email.message.Message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def text_of(message: email.message.Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def test_confirmation_move_and_cancellation_mails_carry_one_calendar_event(client, clinic, day):
    answer = body(book(client, clinic, at(day, "10:00"), notes="sore knee"))
    booking_id, token = answer["booking"]["id"], token_of(answer["manage_url"])
    manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token, {"start": at(day, "14:00")})
    manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})

    confirmed, moved, cancelled = sent_messages()
    events = [invite(m) for m in (confirmed, moved, cancelled)]

    assert [str(c["METHOD"]) for c in events] == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [c.walk("VEVENT")[0] for c in events]
    assert {str(e["UID"]) for e in vevents} == {f"{booking_id}@safeslot"}
    assert [int(e["SEQUENCE"]) for e in vevents] == [0, 1, 2]
    assert vevents[0].decoded("DTSTART").isoformat() == f"{day}T10:00:00+00:00"
    assert vevents[1].decoded("DTSTART").isoformat() == f"{day}T14:00:00+00:00"
    assert answer["manage_url"] in text_of(confirmed)
    assert "/manage/" in text_of(moved) and f"/book/{clinic.slug}" in text_of(cancelled)
    for message in (confirmed, moved, cancelled):
        assert message["To"] == ALICE["email"]
        assert "sore knee" not in message.as_string()


def test_a_failing_mail_server_leaves_the_booking_made(client, clinic, day, monkeypatch, log_output):
    from chalicelib.services.booking import mail

    def refuse(*_args, **_kwargs):
        raise RuntimeError("SES is down")
    monkeypatch.setattr(mail, "send_letter", refuse)

    response = book(client, clinic, at(day, "10:00"))

    assert response.status_code == 201
    assert "booking e-mail failed" in log_output.getvalue()


def test_public_writes_are_limited_per_address(client, clinic, day, from_ip, fake_clock):
    from_ip("203.0.113.9")
    answers = [book(client, clinic, at(day, "09:00"), key=f"k{i}") for i in range(21)]

    assert answers[0].status_code == 201
    assert {a.status_code for a in answers[1:20]} == {409}  # the same slot: refused, but not throttled
    assert (answers[20].status_code, body(answers[20])["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(answers[20].headers["Retry-After"]) <= 900
    from_ip("203.0.113.10")
    assert book(client, clinic, at(day, "09:00"), key="k0").status_code == 201  # the first answer, replayed


def test_public_reads_are_limited_per_address(client, clinic, from_ip, fake_clock):
    from_ip("203.0.113.11")
    codes = [client.http.get("/v1/public/orgs/clinic").status_code for _ in range(121)]

    assert codes[:120] == [200] * 120 and codes[120] == 429


def test_link_requests_are_limited_per_address_and_per_email(client, clinic, from_ip, fake_clock):
    def ask(address: str):
        return client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                                body=json.dumps({"email": address})).status_code

    from_ip("203.0.113.12")
    assert [ask(ALICE["email"]) for _ in range(4)] == [202, 202, 202, 429]  # 3 an hour per address
    assert [ask(f"x{i}@example.org") for i in range(2)] == [202, 429]  # 5 in 15 minutes per IP


def test_tables_hold_no_customer_detail_in_plaintext(client, clinic, day):
    answer = body(book(client, clinic, at(day, "10:00"), notes="Diabetic, needle phobia"))
    manage(client, "POST", f"/v1/public/bookings/{answer['booking']['id']}/cancel", token_of(answer["manage_url"]),
           {"reason": "Hospital admission"})
    secrets = [ALICE["name"], ALICE["email"], ALICE["phone"], "Diabetic", "needle", "Hospital",
               token_of(answer["manage_url"])]
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")

    dump = ""
    for table in dynamodb.list_tables()["TableNames"]:
        dump += json.dumps(dynamodb.scan(TableName=table)["Items"], default=str)

    for secret in secrets:
        for form in (secret, secret.lower(), base64.b64encode(secret.encode()).decode()):
            assert form not in dump, secret


def test_manage_tokens_and_personal_data_never_reach_the_logs(client, clinic, day, log_output):
    answer = body(book(client, clinic, at(day, "10:00"), notes="sore knee"))
    token = token_of(answer["manage_url"])
    manage(client, "GET", f"/v1/public/bookings/{answer['booking']['id']}", token)
    manage(client, "GET", f"/v1/public/bookings/{answer['booking']['id']}", "wrong-token")

    logged = log_output.getvalue()
    assert logged  # requests were logged
    for secret in (token, ALICE["email"], ALICE["name"], "sore knee", "wrong-token"):
        assert secret not in logged
