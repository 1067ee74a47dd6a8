"""Booking a series all-or-nothing, reading it, and cancelling one occurrence and all that follow.

Every occurrence is a booking with its own slot locks, written exactly as a single booking is (the booking,
one conditional update per staff-hour lock item it touches, the staff member's schedule version and the
customer's record as conditions), but all of them, the series row and the audit entry in ONE DynamoDB
transaction: either every occurrence is booked or none is. A series that would exceed the transaction's
100 items is refused (book it in parts). Before writing, every occurrence is checked and the conflicts are
listed (`check`, and in the refusal's `reasons`): nothing is written while one is taken or off the hours.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import NotFound, SlotUnavailable, ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import StaffMember
from chalicelib.models.customer import Customer
from chalicelib.models.series import BookingSeries
from chalicelib.models.transactions import commit, new_request_token
from chalicelib.services import audit
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.booking import catalog, queries, slot_locks
from chalicelib.services.booking.availability import Rules, busy_span, is_offered
from chalicelib.services.booking.timeline import GRANULE_SECONDS, granules
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.series.occurrences import Planned, planned

MAX_ITEMS = 100  # DynamoDB's TransactWriteItems limit
MAX_COUNT = 52
FIXED_ITEMS = 4  # the series row, the audit entry, the schedule check, the customer check


@dataclass(frozen=True)
class SeriesRequest:
    customer_id: str
    service_id: str
    staff_id: str
    first_start: datetime
    every_weeks: int
    count: int
    notes: str | None = None


@dataclass(frozen=True)
class Plan:
    occurrences: list[Planned]
    conflicts: list[Planned]
    local_first: datetime
    zone: str
    items: int


def check(principal: Principal, wanted: SeriesRequest) -> dict[str, Any]:
    """Each occurrence's start and whether it is free: the conflicts, before anything is booked."""
    plan = _plan(principal, wanted)
    conflicted = {p.index for p in plan.conflicts}
    return {"occurrences": [{"index": p.index, "local_start": p.local.isoformat(),
                             "start": clock.isoformat(p.start) if p.start else None,
                             "free": p.index not in conflicted} for p in plan.occurrences],
            "conflicts": len(plan.conflicts), "transaction_items": plan.items}


def book_series(principal: Principal, wanted: SeriesRequest) -> BookingSeries:
    """All occurrences in one transaction, or 409 slot_unavailable listing the conflicting starts."""
    plan = _plan(principal, wanted)
    if plan.items > MAX_ITEMS:
        raise ValidationFailed(f"A series is booked in one transaction of at most {MAX_ITEMS} items; "
                               f"this one needs {plan.items}: book it in two parts.", field="count")
    if plan.conflicts:
        raise SlotUnavailable(f"{len(plan.conflicts)} occurrence(s) are not free; nothing was booked.",
                              reasons=[p.local.isoformat() for p in plan.conflicts])
    service = catalog.get_service(principal.org_id, wanted.service_id)
    staff = catalog.get_staff(principal.org_id, wanted.staff_id)
    now = clock.now()
    made = [_occurrence(principal.org_id, wanted, service, p, now) for p in plan.occurrences]
    series = BookingSeries(principal.org_id, uuid.uuid4().hex, customer_id=wanted.customer_id,
                           service_id=wanted.service_id, staff_id=wanted.staff_id, timezone=plan.zone,
                           first_local=plan.local_first.isoformat(), every_weeks=wanted.every_weeks,
                           occurrence_count=wanted.count, booking_ids=[b.booking_id for b in made], sequence=0,
                           created_at=now)
    entry = audit.entry(principal.org_id, principal.user_id, "series.created", origin=principal.origin,
                        subjects={"series_id": series.series_id, "customer_id": wanted.customer_id,
                                  "staff_id": wanted.staff_id, "count": str(wanted.count)})
    token = new_request_token()

    def write(tx: TransactWrite) -> None:
        tx.save(series, condition=BookingSeries.series_id.does_not_exist())
        audit.add_to(tx, entry)
        same = StaffMember.version == staff.version if staff.version else StaffMember.version.does_not_exist()
        tx.condition_check(StaffMember, staff.org_id, staff.staff_id, condition=same)
        tx.condition_check(Customer, principal.org_id, wanted.customer_id, condition=Customer.customer_id.exists())
        for booking in made:  # occurrences are a week apart or more: no two share an hour item
            tx.save(booking, condition=Booking.booking_id.does_not_exist())
            slot_locks.change(tx, calendar.staff_key(principal.org_id, wanted.staff_id), booking.booking_id,
                              int(now.timestamp()), take=booking.granules)

    if not commit(write, token, applied=lambda: _exists(principal.org_id, series.series_id)):
        raise SlotUnavailable("An occurrence was taken meanwhile; nothing was booked.")
    audit.build_after_commit(principal.org_id)
    return series


def get_series(principal: Principal, series_id: str) -> BookingSeries:
    require(principal.role, Permission.BOOKINGS_READ)
    try:
        series = BookingSeries.get(principal.org_id, series_id, consistent_read=True)
    except BookingSeries.DoesNotExist as error:
        raise NotFound("No such series.") from error
    queries.require_own_staff(principal, series.staff_id)
    return series


def occurrences_of(series: BookingSeries) -> list[Booking]:
    found = {b.booking_id: b for b in Booking.batch_get([(series.org_id, i) for i in series.booking_ids])}
    return [found[i] for i in series.booking_ids if i in found]


def cancel_following(principal: Principal, series: BookingSeries, from_booking_id: str,
                     reason: str | None) -> list[Booking]:
    """Cancel `from_booking_id` and every later occurrence still booked (each its own change and notice)."""
    require(principal.role, Permission.BOOKINGS_MANAGE)
    if from_booking_id not in series.booking_ids:
        raise ValidationFailed("'from_booking_id' is not an occurrence of this series.", field="from_booking_id")
    actor = calendar.Actor(principal.org_id, principal.user_id, principal.origin, is_staff=True)
    position = series.booking_ids.index(from_booking_id)
    cancelled = []
    for booking in occurrences_of(series)[position:]:
        if booking.status == calendar.CONFIRMED:
            cancelled.append(calendar.cancel(actor, booking, reason))
    series.update(actions=[BookingSeries.sequence.add(1)])
    audit.record(principal.org_id, principal.user_id, "series.cancelled_from", origin=principal.origin,
                 subjects={"series_id": series.series_id, "booking_id": from_booking_id,
                           "count": str(len(cancelled))})
    return cancelled


def move_occurrence(principal: Principal, series: BookingSeries, booking_id: str, start: datetime) -> Booking:
    """Move one occurrence (its own locks move in its own transaction); the series event gets the exception."""
    require(principal.role, Permission.BOOKINGS_MANAGE)
    if booking_id not in series.booking_ids:
        raise ValidationFailed("'booking_id' is not an occurrence of this series.", field="booking_id")
    actor = calendar.Actor(principal.org_id, principal.user_id, principal.origin, is_staff=True)
    moved = calendar.reschedule(actor, calendar.get_booking(principal.org_id, booking_id), start)
    series.update(actions=[BookingSeries.sequence.add(1)])
    audit.record(principal.org_id, principal.user_id, "series.occurrence_moved", origin=principal.origin,
                 subjects={"series_id": series.series_id, "booking_id": booking_id})
    return moved


def series_view(series: BookingSeries) -> dict[str, Any]:
    return {"id": series.series_id, "customer_id": series.customer_id, "service_id": series.service_id,
            "staff_id": series.staff_id, "timezone": series.timezone, "first_local_start": series.first_local,
            "every_weeks": int(series.every_weeks), "count": int(series.occurrence_count),
            "bookings": [queries.staff_view(b) for b in occurrences_of(series)]}


def _plan(principal: Principal, wanted: SeriesRequest) -> Plan:
    require(principal.role, Permission.BOOKINGS_MANAGE)
    queries.require_own_staff(principal, wanted.staff_id)
    if not 1 <= wanted.every_weeks <= 8:
        raise ValidationFailed("'every_weeks' must be 1 to 8.", field="every_weeks")
    if not 2 <= wanted.count <= MAX_COUNT:
        raise ValidationFailed(f"'count' must be 2 to {MAX_COUNT}.", field="count")
    service = catalog.get_service(principal.org_id, wanted.service_id)
    staff = catalog.get_staff(principal.org_id, wanted.staff_id)
    zone = clock.zone(staff.timezone, "timezone")
    local_first = wanted.first_start.astimezone(zone).replace(tzinfo=None)
    starts = planned(local_first, zone, wanted.every_weeks, wanted.count)
    rules = Rules(now=clock.now(), enforce_notice=False)
    last = max((p.start for p in starts if p.start), default=wanted.first_start)
    window = (wanted.first_start - timedelta(days=1), last + timedelta(days=1))
    taken = _taken(principal.org_id, staff.staff_id, *window)
    conflicts = [p for p in starts if p.start is None or not is_offered(service, staff, p.start, rules)
                 or set(granules(busy_span(service, p.start))) & taken]
    items = FIXED_ITEMS + sum(1 + len(slot_locks.by_hour(granules(busy_span(service, p.start))))
                              for p in starts if p.start)
    return Plan(starts, conflicts, local_first, staff.timezone, items)


def _taken(org_id: str, staff_id: str, since: datetime, until: datetime) -> set[int]:
    low, high = int(since.timestamp()) // GRANULE_SECONDS, int(until.timestamp()) // GRANULE_SECONDS
    return slot_locks.taken_between(calendar.staff_key(org_id, staff_id), low, high, int(clock.now().timestamp()))


def _occurrence(org_id: str, wanted: SeriesRequest, service: Any, occurrence: Planned, now: datetime) -> Booking:
    assert occurrence.start is not None
    booking = Booking(org_id, uuid.uuid4().hex, service_id=service.service_id, staff_id=wanted.staff_id,
                      customer_id=wanted.customer_id, customer_key=f"{org_id}/{wanted.customer_id}",
                      starts_at=occurrence.start,
                      ends_at=occurrence.start + timedelta(minutes=int(service.duration_minutes)),
                      granules=granules(busy_span(service, occurrence.start)), status=calendar.CONFIRMED,
                      sequence=0, created_at=now, updated_at=now)
    booking.seal({"notes": wanted.notes} if wanted.notes else {})
    return booking


def _exists(org_id: str, series_id: str) -> bool:
    try:
        BookingSeries.get(org_id, series_id, consistent_read=True)
    except BookingSeries.DoesNotExist:
        return False
    return True
