"""Retention deletes exactly what each org's policy says, lists it first on a dry run, and audits it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.jobs import retention
from chalicelib.jobs.runner import run_job
from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.services import audit
from chalicelib.services.identity.policy import change_policy
from tests.functional.booking.helpers import at, book, held_slots, make_clinic, next_weekday
from tests.functional.identity.helpers import body, put_policy, token_for
from tests.functional.jobs.helpers import invoke


@pytest.fixture
def clinic(client, fake_clock):
    """A clinic with Alice's booking next week and Bob's the week after; the policy is set per test."""
    clinic = make_clinic()
    day = next_weekday()
    alice = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    bob = body(book(client, clinic, at(day + timedelta(days=7), "10:00"),
                    customer={"name": "Bob", "email": "bob@example.org"}))["booking"]["id"]
    clinic.bookings = {"alice": alice, "bob": bob}
    clinic.day = day
    return clinic


def test_nothing_is_deleted_by_default(client, clinic, fake_clock):
    fake_clock.advance(days=3000)

    invoke(client, "daily_retention")

    assert Booking.count() == 2 and Customer.count() == 2


def test_bookings_go_the_set_number_of_days_after_they_end_and_a_dry_run_only_lists_them(client, clinic,
                                                                                       fake_clock):
    change_policy(clinic.owner, {"booking_retention_days": 30})
    fake_clock.advance(days=(clinic.day - fake_clock.now.date()).days + 31, hours=12)  # Alice's +31 d, Bob's +24 d

    listed = run_job("retention", lambda report: retention.run_retention(report, dry_run=True)).as_dict()
    assert listed["would_delete"]["clinic"]["bookings"] == [clinic.bookings["alice"]]
    assert Booking.count() == 2

    deleted = invoke(client, "daily_retention")

    assert deleted["deleted"]["clinic"]["bookings"] == [clinic.bookings["alice"]]
    assert [b.booking_id for b in Booking.scan()] == [clinic.bookings["bob"]]
    assert set(held_slots().values()) <= {clinic.bookings["bob"]}
    assert Customer.count() == 2  # customers follow their own setting
    event = [e for e in AuditEvent.query(clinic.org_id) if e.action == "retention.deleted"][-1]
    assert event.subjects["bookings"] == "1" and event.actor == "job:retention"


def test_customers_go_with_their_bookings_after_their_last_appointment(client, clinic, fake_clock):
    change_policy(clinic.owner, {"customer_retention_days": 60})
    fake_clock.advance(days=(clinic.day - fake_clock.now.date()).days + 64)  # Alice +64 d, Bob +57 d

    report = invoke(client, "daily_retention")

    alice_ids = report["deleted"]["clinic"]
    assert len(alice_ids["customers"]) == 1 and alice_ids["bookings"] == [clinic.bookings["alice"]]
    remaining = [c.customer_id for c in Customer.scan()]
    assert len(remaining) == 1
    assert [b.customer_id for b in Booking.scan()] == remaining


def test_login_attempts_older_than_ninety_days_are_deleted(client, clinic, fake_clock):
    from tests.functional.identity.helpers import login

    login(client, clinic.accounts["owner"])
    fake_clock.advance(days=91)
    login(client, clinic.accounts["owner"])

    invoke(client, "daily_retention")

    assert LoginAttempt.count(clinic.org_id) == 1


def test_audit_retention_below_six_years_is_refused(client, clinic):
    owner = token_for(client, clinic.accounts["owner"])

    response = put_policy(client, owner, {"audit_retention_days": 365})

    assert (response.status_code, body(response)["error"]["field"]) == (422, "audit_retention_days")


def test_audit_events_older_than_the_setting_go_and_the_chain_still_verifies(client, clinic, fake_clock):
    old_events = AuditEvent.count(clinic.org_id) - 1  # every event so far, the chain head aside
    fake_clock.advance(days=2191)
    audit.record(clinic.org_id, "someone", "recent.event")

    invoke(client, "daily_retention")

    remaining = [e.action for e in AuditEvent.query(clinic.org_id) if e.seq]
    assert remaining[0] == "recent.event" and len(remaining) == 2  # and the retention event itself
    assert old_events > 5
    assert audit.verify(clinic.org_id).ok


def test_a_customer_outlasts_their_deleted_bookings_by_the_customer_retention(client, fake_clock):
    """Bookings kept 30 days, customers 365: a returning customer's record must stay a year after their
    last visit, not vanish once that visit's booking is deleted (it fell back to when they were created)."""
    clinic = make_clinic()
    change_policy(clinic.owner, {"booking_retention_days": 30, "customer_retention_days": 365})
    first = next_weekday()
    book(client, clinic, at(first, "10:00"))
    fake_clock.advance(days=400)  # the same patient comes back more than a year later
    day = next_weekday(fake_clock.now.date() + timedelta(days=2))
    book(client, clinic, at(day, "10:00"))
    visit_end = datetime.fromisoformat(at(day, "10:30"))

    for days_after_last_visit in (31, 32, 200, 364):
        fake_clock.now = visit_end + timedelta(days=days_after_last_visit)
        invoke(client, "daily_retention")
        assert Customer.count() == 1, f"the customer was deleted {days_after_last_visit} days after their visit"
    assert Booking.count() == 0  # both bookings went on the booking schedule

    fake_clock.now = visit_end + timedelta(days=366)
    report = invoke(client, "daily_retention")

    assert Customer.count() == 0
    assert len(report["deleted"]["clinic"]["customers"]) == 1
