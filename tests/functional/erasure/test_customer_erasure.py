"""Erasing a customer through the staff API: what goes, what stays, who is told, who may do it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.services.erasure import ledger, mirror
from tests.functional.booking.helpers import ALICE, at, book, held_slots, make_clinic, manage, next_weekday
from tests.functional.erasure.helpers import (
    NOTES,
    erase,
    leaks,
    patient_with_history,
    readable_everywhere,
    second_factor_token,
)
from tests.functional.identity.helpers import body, call, post_json, token_for
from tests.functional.jobs.helpers import mail_to as mails_to


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "staff", "frontdesk"))


@pytest.fixture
def day():
    return next_weekday()


@pytest.fixture
def owner(client, clinic, alice):
    """The owner, signed in with a second factor once the clock has moved to the day of the visits."""
    return second_factor_token(client, clinic.accounts["owner"])


@pytest.fixture
def alice(client, clinic, day, fake_clock):
    patient = patient_with_history(client, clinic, day, token_for(client, clinic.accounts["owner"]))
    bob = book(client, clinic, at(day, "12:00"), customer={"name": "Bob Okafor", "email": "bob@example.org"},
               notes="Bob's own note")
    assert bob.status_code == 201
    fake_clock.now = fake_clock.now.replace(year=day.year, month=day.month, day=day.day, hour=11, minute=0)
    return patient


def test_erasure_leaves_nothing_of_the_patient_readable_in_any_table(client, alice, owner):
    assert len(leaks(readable_everywhere())) == 7  # everything is there to be found before

    answer = erase(client, owner, alice.customer_id)

    assert answer.status_code == 200, answer.body
    assert leaks(readable_everywhere()) == []
    assert "Bob Okafor" in "".join(readable_everywhere())  # another patient is untouched


def test_erasure_reports_what_it_deleted_per_kind(client, clinic, alice, owner):
    report = body(erase(client, owner, alice.customer_id))["erasure"]

    assert report["deleted"] == {"access_grants": 2, "bookings_cancelled": 1, "bookings_scrubbed": 1,
                                 "customers": 1, "holds": 1, "idempotency_records": 1, "slot_locks": 12}
    assert report["cancelled_bookings"] == [alice.future_booking] and report["repeated"] is False
    assert [(e.kind, e.subject_id) for e in ledger.entries(clinic.org_id)] == [("customer", alice.customer_id)]


def test_past_bookings_stay_for_the_calendar_without_the_patient_and_future_ones_free_their_time(
        client, clinic, alice, owner, day):
    erase(client, owner, alice.customer_id)

    past = body(call(client, "GET", f"/v1/bookings/{alice.past_booking}", owner))["booking"]
    future = body(call(client, "GET", f"/v1/bookings/{alice.future_booking}", owner))["booking"]
    assert past["status"] == "confirmed" and past["start"] == at(day, "10:00").replace("+00:00", "Z")
    assert past["customer_id"].startswith("erased-") and "notes" not in past
    assert future["status"] == "cancelled" and future["customer_id"] == past["customer_id"]
    assert Booking.count(clinic.org_id, Booking.booking_id == alice.hold) == 0
    locks = list(held_slots().values())
    assert alice.future_booking not in locks and alice.hold not in locks
    assert book(client, clinic, at(day, "15:00"), customer={"name": "Cy", "email": "cy@example.org"}).status_code == 201


def test_the_patient_and_their_links_are_gone_from_every_answer(client, clinic, alice, owner):
    erase(client, owner, alice.customer_id)

    assert call(client, "GET", f"/v1/customers/{alice.customer_id}", owner).status_code == 404
    assert body(post_json(client, "/v1/customers/search", {"email": ALICE["email"]}, owner))["customers"] == []
    assert manage(client, "GET", f"/v1/public/bookings/{alice.past_booking}", alice.manage_token).status_code == 404
    replay = book(client, clinic, at(next_weekday(), "10:00"), key="alice-first", notes="x")
    assert alice.past_booking not in replay.body.decode()  # the retry key's first answer is gone


def test_the_audit_chain_gains_an_erased_event_with_ids_and_a_reason_category_only(client, alice, owner):
    erase(client, owner, alice.customer_id, "consent_withdrawn")

    events = body(call(client, "GET", "/v1/audit-events?action=customer.erased", owner))["events"]
    assert len(events) == 1
    assert events[0]["subjects"]["customer_id"] == alice.customer_id
    assert events[0]["subjects"]["reason"] == "consent_withdrawn"
    chain = json.dumps([e.attribute_values for e in AuditEvent.scan()], default=str)
    assert leaks(iter([chain])) == []
    assert body(call(client, "GET", "/v1/audit-events/verify", owner))["ok"] is True


def test_the_clinic_is_told_without_the_patients_details(client, clinic, alice, owner):
    admin, frontdesk = (clinic.accounts[role].email for role in ("admin", "frontdesk"))
    before = {address: len(mails_to(address)) for address in (admin, frontdesk)}

    erase(client, owner, alice.customer_id)

    told = mails_to(admin)[before[admin]:]
    assert len(told) == 1 and alice.future_booking in told[0].body and alice.customer_id in told[0].body
    assert leaks(iter([told[0].body, told[0].subject])) == []
    assert len(mails_to(frontdesk)) == before[frontdesk]  # not an admin, and no booking of theirs


def test_no_reminder_or_notice_goes_to_the_erased_patient_afterwards(client, alice, owner, fake_clock):
    from tests.functional.jobs.helpers import invoke

    erase(client, owner, alice.customer_id)
    sent_before = len(mails_to(ALICE["email"]))
    fake_clock.advance(hours=3)  # the cancelled 15:00 booking would be due a reminder now

    assert invoke(client, "appointment_reminders")["ok"] and invoke(client, "policy_notices")["ok"]
    assert len(mails_to(ALICE["email"])) == sent_before


def test_erasing_twice_is_harmless_and_an_unknown_or_other_orgs_customer_is_404(client, clinic, alice, owner):
    first = erase(client, owner, alice.customer_id)
    again = erase(client, owner, alice.customer_id)
    other = make_clinic("other")
    stranger = body(post_json(client, "/v1/customers", {"name": "Dee", "email": "dee@example.org"},
                              second_factor_token(client, other.accounts["owner"])))["customer"]["id"]

    assert first.status_code == again.status_code == 200
    assert body(again)["erasure"]["repeated"] is True
    assert body(again)["erasure"]["erasure_id"] == body(first)["erasure"]["erasure_id"]
    assert erase(client, owner, "no-such-customer").status_code == 404
    assert erase(client, owner, stranger).status_code == 404
    assert Customer.count(other.org_id) == 1


def test_only_owners_and_admins_with_a_second_factor_erase_and_the_reason_is_a_category(client, clinic, alice,
                                                                                       owner):
    frontdesk = token_for(client, clinic.accounts["frontdesk"])
    admin_password_only = token_for(client, clinic.accounts["admin"])

    refused = erase(client, frontdesk, alice.customer_id)
    one_factor = erase(client, admin_password_only, alice.customer_id)
    free_text = erase(client, owner, alice.customer_id, "she%20asked%20on%20the%20phone")
    missing = erase(client, owner, alice.customer_id, None)
    in_body = call(client, "DELETE", f"/v1/customers/{alice.customer_id}", owner, {"reason": "objection"})

    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "forbidden")
    assert (one_factor.status_code, body(one_factor)["error"]["code"]) == (403, "step_up_required")
    assert (free_text.status_code, body(free_text)["error"]["code"]) == (422, "validation_failed")
    assert missing.status_code == 422
    assert in_body.status_code == 200  # the reason may come in the body too


def test_booking_again_after_erasure_makes_a_new_customer_never_linked_to_the_old_visits(client, clinic, alice,
                                                                                       owner, day):
    erase(client, owner, alice.customer_id)

    again = book(client, clinic, at(day + timedelta(days=7), "10:00"))

    new_id = body(call(client, "GET", f"/v1/bookings/{body(again)['booking']['id']}", owner))["booking"]["customer_id"]
    assert again.status_code == 201 and new_id != alice.customer_id
    assert Booking.count(f"{clinic.org_id}/{new_id}", index_name="by-customer") == 1
    assert NOTES not in json.dumps(body(call(client, "GET", f"/v1/customers/{new_id}", owner)))


def test_every_ledger_entry_is_mirrored_with_ids_only_in_both_backup_buckets(client, alice, owner):
    erase(client, owner, alice.customer_id)

    for bucket in mirror.backup_buckets():
        entries = list(mirror.read(bucket))
        assert [e["subject_id"] for e in entries] == [alice.customer_id]
        assert set(entries[0]) == {"org_id", "erasure_id", "kind", "subject_id", "actor", "erased_at"}
