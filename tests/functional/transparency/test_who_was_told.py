"""Who has been told of a privacy-policy version (issue 26, item 3): the owner reads, per version, the
staff told by name and the patients as counts only, read back from the notice job's claims; a mail that
failed is not counted, and counts once the next run has sent it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.jobs import policy_notices
from chalicelib.jobs.runner import run_job
from chalicelib.services import notify
from chalicelib.services.identity.users import create_user
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for

BOB = {"name": "Bob Other", "email": "bob@example.org"}


@pytest.fixture
def clinic(aws_stack, client, fake_clock):
    clinic = make_clinic("clinic", roles=("admin", "staff"))
    day = next_weekday()
    book(client, clinic, at(day, "10:00"), customer=ALICE)
    book(client, clinic, at(day, "11:00"), customer=BOB)
    owner = token_for(client, clinic.accounts["owner"])
    post_json(client, "/v1/org/privacy-policies", {"text": "One.", "summary": "First."}, owner)
    post_json(client, "/v1/org/privacy-policies", {"text": "Two.", "summary": "Shorter retention.",
                                                   "effective_at": clock.isoformat(clock.now() + timedelta(days=31))},
              owner)
    return clinic


def told(client, clinic, version: str = "2"):
    return call(client, "GET", f"/v1/org/privacy-policies/{version}/notices",
                token_for(client, clinic.accounts["owner"]))


def test_the_owner_sees_staff_told_by_name_and_patients_as_counts_and_a_failed_mail_is_not_counted(
        client, clinic, fake_clock, monkeypatch):
    real_send = notify.send_letter

    def refusing_bob(to: str, *args, **kwargs):
        if to == BOB["email"]:
            raise RuntimeError("mailbox unavailable")
        real_send(to, *args, **kwargs)

    monkeypatch.setattr(notify, "send_letter", refusing_bob)
    first = run_job("policy_notices", policy_notices.run_policy_notices)
    sent_at = clock.isoformat(fake_clock.now)

    answer = told(client, clinic)
    notices = body(answer)["notices"]
    assert answer.status_code == 200 and not first.ok
    assert notices["version"] == 2 and notices["notices_due"] is True and notices["last_sent_at"] == sent_at
    assert {k: v for k, v in notices["staff"].items() if k != "members"} == {"told": 3, "to_tell": 0}
    assert sorted((m["name"], m["told"], m["told_at"]) for m in notices["staff"]["members"]) == [
        ("Admin Person", True, sent_at), ("Olive Owner", True, sent_at), ("Staff Person", True, sent_at)]
    assert notices["patients"] == {"told": 1, "to_tell": 1, "without_email": 0}  # Bob's mail failed
    shown = json.dumps(notices)
    for private in (ALICE["name"], ALICE["email"], BOB["name"], BOB["email"], "customer"):
        assert private not in shown  # patients as counts only

    monkeypatch.setattr(notify, "send_letter", real_send)
    create_user(clinic.owner, "new@clinic.example", "Nia New", "staff")
    waiting = body(told(client, clinic))["notices"]
    fake_clock.advance(hours=1)
    run_job("policy_notices", policy_notices.run_policy_notices)
    after = body(told(client, clinic))["notices"]

    assert waiting["staff"]["to_tell"] == 1 and ("Nia New", False) in [
        (m["name"], m["told"]) for m in waiting["staff"]["members"]]
    assert after["patients"] == {"told": 2, "to_tell": 0, "without_email": 0}
    assert (after["staff"]["told"], after["staff"]["to_tell"]) == (4, 0)
    assert after["last_sent_at"] == clock.isoformat(fake_clock.now)


def test_a_version_in_force_has_nobody_still_to_tell_and_an_unknown_version_is_404(client, clinic):
    first = body(told(client, clinic, "1"))["notices"]
    unknown, not_a_number = told(client, clinic, "99"), told(client, clinic, "²")

    assert first["notices_due"] is False and first["patients"] == {"told": 0, "to_tell": 0, "without_email": 0}
    assert first["staff"]["to_tell"] == 0 and first["last_sent_at"] is None
    assert (unknown.status_code, body(unknown)["error"]["code"]) == (404, "not_found")
    assert (not_a_number.status_code, body(not_a_number)["error"]["code"]) == (404, "not_found")


def test_staff_without_the_privacy_permission_are_refused(client, clinic):
    refused = call(client, "GET", "/v1/org/privacy-policies/2/notices", token_for(client, clinic.accounts["staff"]))

    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "forbidden")


def test_a_patient_without_an_e_mail_address_is_counted_apart_and_not_as_still_to_tell(client, clinic):
    owner = token_for(client, clinic.accounts["owner"])
    dan = body(post_json(client, "/v1/customers", {"name": "Dan No-Mail"}, owner))["customer"]["id"]
    made = post_json(client, "/v1/bookings", {"service_id": clinic.service["id"], "staff_id": clinic.staff[0]["id"],
                                              "start": at(next_weekday(), "14:00"), "customer_id": dan}, owner)
    assert made.status_code == 201

    report = run_job("policy_notices", policy_notices.run_policy_notices)

    assert report.ok and report.details["policy_notices_sent"] == 5  # three staff, Alice and Bob
    assert body(told(client, clinic))["notices"]["patients"] == {"told": 2, "to_tell": 0, "without_email": 1}
