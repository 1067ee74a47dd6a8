"""Availability in constant calls (issue 24, ADR 0019): a month of a whole team's slots costs the same
three DynamoDB reads as one member's, and answers exactly what the per-member lock reads answered."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import botocore.client
import pytest

from chalicelib import clock
from chalicelib.errors import SlotUnavailable
from chalicelib.services import customers
from chalicelib.services.audit import SYSTEM
from chalicelib.services.booking import bookings, catalog, queries, slot_locks
from chalicelib.services.booking.availability import Rules, Slot, open_slots
from chalicelib.services.booking.catalog import MAX_SPAN_MINUTES
from chalicelib.services.booking.timeline import GRANULE_SECONDS, Interval, viewer_window
from tests.functional.booking.helpers import Clinic, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body

TEAM, DAYS = 20, 31
ZONES = ("UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata")


@contextlib.contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            counts[operation] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield counts
    finally:
        botocore.client.BaseClient._make_api_call = original


def slots_as_before(org_id: str, query: queries.SlotQuery) -> list[dict[str, str]]:
    """The answer as the slots query gave it before: one Query of each member's lock partition."""
    zone = clock.zone(query.timezone, "tz")
    window = viewer_window(query.first, query.last, zone)
    service = catalog.get_service(org_id, query.service_id)
    staff = [catalog.get_staff(org_id, query.staff_id)] if query.staff_id else catalog.list_staff(org_id, True)
    found: list[Slot] = []
    for member in (m for m in staff if m.active and service.service_id in (m.service_ids or [])):
        found += open_slots(service, member, window, Rules(now=clock.now()), _locked(org_id, member.staff_id, window))
    found.sort(key=lambda slot: (slot.start, slot.staff_id))
    return [{"start": s.start.astimezone(zone).isoformat(), "end": s.end.astimezone(zone).isoformat(),
             "staff_id": s.staff_id} for s in found]


def _locked(org_id: str, staff_id: str, window: Interval) -> frozenset[int]:
    reach = timedelta(minutes=MAX_SPAN_MINUTES)
    low = int((window.start - reach).timestamp()) // GRANULE_SECONDS
    high = int((window.end + reach).timestamp()) // GRANULE_SECONDS
    return frozenset(slot_locks.taken_between(f"{org_id}/{staff_id}", low, high, int(clock.now().timestamp())))


@pytest.fixture
def team(aws_stack, fake_clock) -> Clinic:
    """Twenty staff across zones that change their clocks, buffers around each visit, time off and a
    changed day, booked, cancelled, moved and held (one hold still running, one run out)."""
    clinic = make_clinic("team", verify_email=True, buffer_before_minutes=5, buffer_after_minutes=10,
                         min_notice_minutes=0)
    for i in range(1, TEAM):
        clinic.add_staff(f"Dr {i}", ZONES[i % len(ZONES)])
    return clinic


def _fill(client: Any, clinic: Clinic, fake_clock: Any) -> None:
    first = next_weekday()
    staff = [m["id"] for m in clinic.staff]
    catalog.update_staff(clinic.owner, staff[1], {"time_off": [
        {"start": at(first, "00:00"), "end": at(first + timedelta(days=3), "00:00")}]})
    catalog.update_staff(clinic.owner, staff[2], {"exceptions": [
        {"date": (first + timedelta(days=1)).isoformat(), "intervals": [{"start": "13:00", "end": "15:00"}]}]})
    actor = bookings.Actor(clinic.org_id, clinic.owner.user_id, SYSTEM, is_staff=True)
    customer_id = customers.create_customer(clinic.org_id, customers.CustomerDetails("Pat Doe", "pat@example.org"),
                                            "test")
    made = []
    for n, staff_id in enumerate(staff[:10]):
        day = first + timedelta(days=n % 7)
        for start in ("09:00", "11:30", "14:05"):
            wanted = bookings.NewBooking(clinic.service["id"], datetime.fromisoformat(at(day, start, _zone(n))),
                                         staff_id)
            try:
                _, answer = bookings.book(actor, customer_id, wanted)
            except SlotUnavailable:  # off that member's hours (their zone): not booked
                continue
            made.append(bookings.get_booking(clinic.org_id, answer["booking"]["id"]))
    bookings.cancel(actor, made[0], "moved away")
    bookings.reschedule(actor, made[1], made[1].starts_at + timedelta(days=8), staff_id=staff[15])
    late = _late()
    expired = book(client, clinic, at(late, "10:00"), staff_id=staff[5],
                   customer={"name": "Old Hold", "email": "old@example.org"})
    assert expired.status_code == 202, expired.body
    fake_clock.advance(minutes=16)
    held = book(client, clinic, at(late, "10:00"), staff_id=staff[10],
                customer={"name": "New Hold", "email": "new@example.org"})
    assert held.status_code == 202, held.body
    assert len(made) > 10


def _late() -> date:
    return next_weekday(next_weekday() + timedelta(days=18))


def _zone(n: int) -> str:
    return ZONES[n % len(ZONES)]


def test_a_month_of_a_whole_team_costs_the_same_three_reads_as_one_member(client, team, fake_clock):
    _fill(client, team, fake_clock)
    first = next_weekday()
    last = first + timedelta(days=DAYS - 1)
    whole = queries.SlotQuery(team.service["id"], first, last, "UTC")
    one = queries.SlotQuery(team.service["id"], first, last, "UTC", staff_id=team.staff[10]["id"])

    with dynamodb_calls() as team_calls:
        team_slots = queries.find_slots(team.org_id, whole)
    with dynamodb_calls() as member_calls:
        member_slots = queries.find_slots(team.org_id, one)

    assert sum(team_calls.values()) == sum(member_calls.values()) <= 3, (team_calls, member_calls)
    assert team_calls["Query"] == 2 and team_calls["GetItem"] == 1  # the service; the staff; what blocks them
    assert len({s["staff_id"] for s in team_slots}) == TEAM and len(team_slots) > 1000
    assert member_slots == [s for s in team_slots if s["staff_id"] == team.staff[10]["id"]]


def test_slots_answer_what_the_lock_reads_answered_with_bookings_time_off_and_holds(client, team, fake_clock):
    _fill(client, team, fake_clock)
    first = next_weekday()
    for zone in ("UTC", "America/New_York", "Australia/Lord_Howe"):
        for staff_id in (None, team.staff[1]["id"], team.staff[5]["id"], team.staff[10]["id"], team.staff[15]["id"]):
            query = queries.SlotQuery(team.service["id"], first - timedelta(days=1), first + timedelta(days=DAYS - 2),
                                      zone, staff_id=staff_id)
            assert queries.find_slots(team.org_id, query) == slots_as_before(team.org_id, query), (zone, staff_id)


def test_a_running_hold_blocks_its_time_and_a_run_out_one_or_a_cancelled_booking_does_not(client, team, fake_clock):
    _fill(client, team, fake_clock)
    late = _late()
    staff = [m["id"] for m in team.staff]

    def starts(staff_id: str) -> set[str]:
        query = queries.SlotQuery(team.service["id"], late, late, "UTC", staff_id=staff_id)
        return {s["start"][11:16] for s in queries.find_slots(team.org_id, query)}

    assert "10:00" not in starts(staff[10]) and "09:30" not in starts(staff[10])  # held (with its buffers)
    assert "10:00" in starts(staff[5])  # that hold ran out
    fake_clock.advance(minutes=15)
    assert "10:00" in starts(staff[10])  # and now this one too


def test_another_orgs_bookings_never_block_this_orgs_slots(client, aws_stack, fake_clock):
    ours, theirs = make_clinic("ours"), make_clinic("theirs")
    day = next_weekday()
    assert book(client, theirs, at(day, "10:00")).status_code == 201
    answer = body(client.http.get(f"/v1/public/orgs/ours/slots?service_id={ours.service['id']}&from={day}&to={day}"))
    assert f"{day}T10:00:00+00:00" in {s["start"] for s in answer["slots"]}
