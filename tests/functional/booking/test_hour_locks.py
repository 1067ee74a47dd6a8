"""Slot locks by staff hour (decision 4, ADR 0002): one lock item per staff member and hour, each taken
5-minute slot an attribute of it. Races run on a DynamoDB-atomic store (`atomic_dynamodb`: moto's own
transactions are not isolated), so their outcomes prove our conditions, not moto's luck."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import botocore.client
import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from chalicelib.errors import SlotUnavailable, StorageUnavailable
from chalicelib.models.base import transaction
from chalicelib.models.booking import Booking, SlotLock
from chalicelib.models.transactions import new_request_token
from chalicelib.services import customers
from chalicelib.services.audit import SYSTEM
from chalicelib.services.booking import bookings, slot_locks
from chalicelib.services.booking.bookings import Actor, Hold, NewBooking
from tests.functional.booking.helpers import at, held_slots, make_clinic, next_weekday

CALLERS = 50


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()  # a 30-minute service; Dr Ada works 09:00-17:00 UTC on weekdays


@pytest.fixture
def customer(clinic) -> str:
    return customers.create_customer(clinic.org_id, customers.CustomerDetails("Carla Race", "carla@example.org"),
                                     "test")


def _actor(clinic) -> Actor:
    return Actor(clinic.org_id, "front-desk", SYSTEM, is_staff=True)


def _book(clinic, customer: str, start: str) -> str:
    """The booking's id, or the refusal's error name."""
    request = NewBooking(clinic.service["id"], datetime.fromisoformat(start), clinic.staff[0]["id"])
    try:
        _, answer = bookings.book(_actor(clinic), customer, request)
    except (SlotUnavailable, StorageUnavailable) as error:
        return type(error).__name__
    return str(answer["booking"]["id"])


def _granules_of(booking_id: str, clinic) -> set[int]:
    return {int(g) for g in Booking.get(clinic.org_id, booking_id).granules}


def _race(clinic, customer: str, starts: list[str]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(starts)) as pool:
        return list(pool.map(lambda start: _book(clinic, customer, start), starts))


def test_fifty_callers_for_one_time_give_exactly_one_booking(clinic, customer, atomic_dynamodb):
    outcomes = _race(clinic, customer, [at(next_weekday(), "10:00")] * CALLERS)

    winners = [o for o in outcomes if o not in ("SlotUnavailable", "StorageUnavailable")]
    assert len(winners) == 1 and outcomes.count("SlotUnavailable") == CALLERS - 1
    assert [b.booking_id for b in Booking.scan() if b.status == "confirmed"] == winners
    assert set(held_slots().values()) == set(winners) and len(held_slots()) == 6  # 30 minutes


def test_fifty_callers_for_overlapping_times_across_two_hours_never_overlap(clinic, customer, atomic_dynamodb):
    day = next_weekday()
    starts = [at(day, f"{10 + n % 24 // 12}:{n % 12 * 5:02d}") for n in range(CALLERS)]  # 10:00..11:55, twice

    outcomes = _race(clinic, customer, starts)

    winners = [o for o in outcomes if o not in ("SlotUnavailable", "StorageUnavailable")]
    spans = [_granules_of(w, clinic) for w in winners]
    assert len(winners) >= 2 and "StorageUnavailable" not in outcomes  # every loser lost to an overlap
    assert sum(len(s) for s in spans) == len(set().union(*spans))  # no granule in two bookings
    owners = {g: w for w, s in zip(winners, spans, strict=True) for g in s}
    assert {g: b for (_, g), b in held_slots().items()} == owners


def test_adjacent_bookings_in_one_hour_made_at_once_both_succeed(clinic, customer, atomic_dynamodb):
    day = next_weekday()

    outcomes = _race(clinic, customer, [at(day, "10:00"), at(day, "10:30")])

    assert "SlotUnavailable" not in outcomes and "StorageUnavailable" not in outcomes
    assert SlotLock.count() == 1  # one hour item holds both
    assert sorted(held_slots().values()) == sorted([outcomes[0]] * 6 + [outcomes[1]] * 6)


class _NeighbourCommitsMeanwhile:
    """DynamoDB's answer when another transaction writes the same hour item at that instant: the neighbour's
    booking commits while ours is in flight, and ours is cancelled with TransactionConflict on that item."""

    def __init__(self, book_neighbour: Any) -> None:
        self.book_neighbour, self.conflicts, self.inside = book_neighbour, 0, threading.local()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = botocore.client.BaseClient._make_api_call

        def call(client: Any, operation: str, params: Any) -> Any:
            locks = [i for i, e in enumerate(params.get("TransactItems", []))
                     if next(iter(e.values()))["TableName"].endswith("slot_locks")]
            if operation != "TransactWriteItems" or not locks or self.conflicts or getattr(self.inside, "on", False):
                return original(client, operation, params)
            self.conflicts += 1
            self.inside.on = True
            try:
                self.book_neighbour()
            finally:
                self.inside.on = False
            reasons = [{"Code": "TransactionConflict" if i == locks[0] else "None"}
                       for i in range(len(params["TransactItems"]))]
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": reasons}, operation)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)


def test_a_transaction_conflict_on_the_hour_item_is_tried_again_not_answered_as_taken(clinic, customer,
                                                                                    monkeypatch):
    day = next_weekday()
    neighbour: list[str] = []
    conflict = _NeighbourCommitsMeanwhile(lambda: neighbour.append(_book(clinic, customer, at(day, "10:00"))))
    conflict.install(monkeypatch)

    ours = _book(clinic, customer, at(day, "10:30"))

    assert conflict.conflicts == 1
    assert ours not in ("SlotUnavailable", "StorageUnavailable") and neighbour[0] not in ("SlotUnavailable",)
    assert sorted(held_slots().values()) == sorted([neighbour[0]] * 6 + [ours] * 6)


def test_a_conflict_with_a_booking_of_the_same_time_ends_as_taken(clinic, customer, monkeypatch):
    day = next_weekday()
    neighbour: list[str] = []
    conflict = _NeighbourCommitsMeanwhile(lambda: neighbour.append(_book(clinic, customer, at(day, "10:15"))))
    conflict.install(monkeypatch)

    ours = _book(clinic, customer, at(day, "10:30"))

    assert ours == "SlotUnavailable"
    assert set(held_slots().values()) == {neighbour[0]}


def test_an_expired_holds_slots_are_taken_by_a_new_booking(clinic, customer, fake_clock):
    start = at(next_weekday(), "10:00")
    hold = Hold(contact={}, verification={}, expires_at=fake_clock.now + timedelta(minutes=15),
                on_commit=lambda booking: None)
    _, held = bookings.book(_actor(clinic), bookings.UNVERIFIED, NewBooking(
        clinic.service["id"], datetime.fromisoformat(start), clinic.staff[0]["id"]), hold=hold)
    assert _book(clinic, customer, start) == "SlotUnavailable"  # the hold blocks its time while it runs

    fake_clock.advance(minutes=16)
    taken = _book(clinic, customer, start)

    assert taken != "SlotUnavailable" and taken != held["booking"]["id"]
    assert set(held_slots().values()) == {taken}


def test_cancelling_frees_exactly_its_own_slots_and_a_neighbour_in_the_hour_keeps_its(clinic, customer):
    day = next_weekday()
    first, neighbour = _book(clinic, customer, at(day, "10:00")), _book(clinic, customer, at(day, "10:30"))

    bookings.cancel(_actor(clinic), bookings.get_booking(clinic.org_id, first), None)

    assert set(held_slots().values()) == {neighbour} and len(held_slots()) == 6
    assert _book(clinic, customer, at(day, "10:30")) == "SlotUnavailable"
    assert _book(clinic, customer, at(day, "10:00")) not in ("SlotUnavailable", "StorageUnavailable")


def test_a_booking_across_an_hour_boundary_holds_slots_of_both_hours(clinic, customer):
    day = next_weekday()

    across = _book(clinic, customer, at(day, "10:45"))  # 10:45-11:15

    assert sorted(int(lock.hour) for lock in SlotLock.scan()) == sorted(
        {g // 12 for g in _granules_of(across, clinic)}) and SlotLock.count() == 2
    assert _book(clinic, customer, at(day, "11:00")) == "SlotUnavailable"
    assert _book(clinic, customer, at(day, "10:30")) == "SlotUnavailable"
    assert _book(clinic, customer, at(day, "11:15")) not in ("SlotUnavailable", "StorageUnavailable")
    assert _book(clinic, customer, at(day, "10:15")) not in ("SlotUnavailable", "StorageUnavailable")


def test_rescheduling_inside_one_hour_moves_the_slots_in_one_update(clinic, customer):
    day = next_weekday()
    booking_id = _book(clinic, customer, at(day, "10:00"))

    moved = bookings.reschedule(_actor(clinic), bookings.get_booking(clinic.org_id, booking_id),
                                datetime.fromisoformat(at(day, "10:15")))

    assert {g for _, g in held_slots()} == {int(g) for g in moved.granules} == _granules_of(booking_id, clinic)
    assert set(held_slots().values()) == {booking_id}
    assert _book(clinic, customer, at(day, "10:00")) == "SlotUnavailable"  # 10:00-10:30 meets 10:15


def test_the_lock_table_keeps_its_key_schema_so_a_deployed_table_is_not_replaced(clinic):
    import boto3

    described = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=SlotLock.Meta.table_name)

    assert {(k["AttributeName"], k["KeyType"]) for k in described["Table"]["KeySchema"]} == {
        ("staff_key", "HASH"), ("granule", "RANGE")}  # the range key holds the hour now, under its old name


def test_giving_back_an_expired_holds_slots_leaves_those_a_new_booking_took(clinic, customer, fake_clock):
    day = next_weekday()
    hold = Hold(contact={}, verification={}, expires_at=fake_clock.now + timedelta(minutes=15),
                on_commit=lambda booking: None)
    _, held = bookings.book(_actor(clinic), bookings.UNVERIFIED, NewBooking(
        clinic.service["id"], datetime.fromisoformat(at(day, "10:00")), clinic.staff[0]["id"]), hold=hold)
    fake_clock.advance(minutes=16)
    taker = _book(clinic, customer, at(day, "10:15"))  # 10:15-10:45 takes three of the hold's slots
    expired = bookings.get_booking(clinic.org_id, held["booking"]["id"])

    released = slot_locks.release_own(bookings.staff_key(clinic.org_id, expired.staff_id), expired.booking_id,
                                      expired.granules)  # as retention and erasure give a hold's time back

    assert released == 3
    assert set(held_slots().values()) == {taker} and len(held_slots()) == 6


def test_a_release_inside_a_transaction_never_removes_another_bookings_slot(clinic, customer):
    day = next_weekday()
    owner = _book(clinic, customer, at(day, "10:00"))
    key, granule = next(iter(held_slots()))

    with pytest.raises(TransactWriteError), transaction(new_request_token()) as tx:
        slot_locks.change(tx, key, "another-booking", 0, release=[granule])

    assert held_slots()[(key, granule)] == owner
