"""A booking, a reschedule and a cancellation each commit with their audit entry in one transaction,
and keep their event whatever happens to the chain step after the commit."""

from __future__ import annotations

import json

import pytest
from pynamodb.connection.base import Connection

from chalicelib.models.audit import AuditEvent
from chalicelib.services.audit import chain
from tests.functional.booking.helpers import at, book, make_clinic, manage, next_weekday, token_of


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


@pytest.fixture
def transactions(monkeypatch) -> list[dict[str, list[str]]]:
    """Every TransactWriteItems sent: the tables it puts to, updates and deletes from."""
    sent: list[dict[str, list[str]]] = []
    original = Connection.transact_write_items

    def recorded(self, condition_check_items, delete_items, put_items, update_items, *args, **kwargs):
        sent.append({kind: [item["TableName"].removeprefix("safeslot-test-") for item in items]
                     for kind, items in (("put", put_items), ("update", update_items), ("delete", delete_items))})
        return original(self, condition_check_items, delete_items, put_items, update_items, *args, **kwargs)

    monkeypatch.setattr(Connection, "transact_write_items", recorded)
    return sent


def events(org_id: str) -> list[AuditEvent]:
    return list(AuditEvent.query(org_id, AuditEvent.seq > 0))


def test_a_booking_is_one_transaction_holding_its_audit_entry(client, clinic, transactions):
    assert chain._take_lease(clinic.org_id, "busy-writer")  # no chain step after the commit: count only the booking
    transactions.clear()

    response = book(client, clinic, at(next_weekday(), "10:00"))

    assert response.status_code == 201
    [booking_tx] = [t for t in transactions if "bookings" in t["put"]]
    assert booking_tx["put"].count("audit_outbox") == 1
    assert len(transactions) == 1  # nothing else transactional: no append to the chain in the request


def test_a_booking_whose_chain_step_cannot_run_keeps_its_event(client, clinic, fake_clock):
    assert chain._take_lease(clinic.org_id, "a-writer-that-died")
    before = len(events(clinic.org_id))

    created = json.loads(book(client, clinic, at(next_weekday(), "10:00")).body)
    assert len(events(clinic.org_id)) == before  # committed, not yet chained
    fake_clock.advance(seconds=chain.LEASE_SECONDS + 1)
    chain.build(clinic.org_id)

    last = events(clinic.org_id)[-1]
    assert (last.action, last.subjects.as_dict()["booking_id"]) == ("booking.created", created["booking"]["id"])


def test_reschedule_and_cancel_commit_with_their_entries(client, clinic, transactions):
    created = json.loads(book(client, clinic, at(next_weekday(), "10:00")).body)
    token, booking_id = token_of(created["manage_url"]), created["booking"]["id"]
    transactions.clear()

    moved = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token,
                   {"start": at(next_weekday(), "11:00")})
    cancelled = manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})

    assert (moved.status_code, cancelled.status_code) == (200, 200), (moved.body, cancelled.body)
    changes = [t for t in transactions if "bookings" in t["update"]]
    assert len(changes) == 2 and all(t["put"].count("audit_outbox") == 1 for t in changes)
    assert [e.action for e in events(clinic.org_id)][-2:] == ["booking.rescheduled", "booking.cancelled"]


def test_a_refused_booking_leaves_no_entry(client, clinic):
    start = at(next_weekday(), "10:00")
    assert book(client, clinic, start).status_code == 201
    before = len(events(clinic.org_id))

    assert book(client, clinic, start).status_code == 409

    assert len(events(clinic.org_id)) == before and chain.pending(clinic.org_id) == []
