"""Slot locks by staff hour (architecture decision 4, ADR 0002): what a booking writes so that two bookings
of one staff member's time can never both commit.

A booking's busy span is cut into 5-minute granules (`timeline.granules`, kept on the booking). Each granule
is one attribute `mNN` of the lock item of its staff member's hour: a booking takes its granules with ONE
conditional update per hour item it touches (a one-hour span: one item on the hour, two otherwise), each
attribute set only if it is absent or held by a pending hold whose time has passed. DynamoDB evaluates the
whole condition on the item atomically, so two bookings sharing any granule cannot both commit; bookings of
different granules of one hour touch the same item and may meet a TransactionConflict, which
`transactions.commit` retries (it is not "time taken").

A booking gives its granules back (cancel, reschedule, erasure, retention) by removing its attributes, each on
the condition that it is absent or still its own: nobody removes another booking's slot.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.models.booking import HeldSlot, SlotLock

GRANULE_MINUTES = 5
GRANULES_PER_HOUR = 12
HOUR_SECONDS = 3600
LOCK_KEPT_FOR = timedelta(days=7)  # after its hour has passed (TTL)
RELEASE_TRIES = 3  # a release outside a transaction re-reads when a slot changed hands meanwhile

Locks = type[SlotLock]  # the model, or a copy bound to a restored table (erasure of a restored backup)


def hour_of(granule: int) -> int:
    return granule // GRANULES_PER_HOUR


def slot_name(granule: int) -> str:
    """The attribute of `granule` in its hour's item: "m00".."m55", minutes past the hour."""
    return f"m{granule % GRANULES_PER_HOUR * GRANULE_MINUTES:02d}"


def by_hour(granules: Iterable[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for granule in sorted({int(g) for g in granules}):
        grouped.setdefault(hour_of(granule), []).append(granule)
    return grouped


def held(locks: Iterable[SlotLock]) -> dict[tuple[str, int], HeldSlot]:
    """Every slot the lock items hold, by (staff key, granule)."""
    found = {}
    for lock in locks:
        for index in range(GRANULES_PER_HOUR):
            granule = int(lock.hour) * GRANULES_PER_HOUR + index
            slot = getattr(lock, slot_name(granule))
            if slot is not None:
                found[(lock.staff_key, granule)] = slot
    return found


def blocks(slot: HeldSlot, now: int) -> bool:
    """Whether a held slot keeps others out at `now`: a booking's always, a pending hold's until its time."""
    return slot.h is None or int(slot.h) >= now


def change(tx: TransactWrite, key: str, booking_id: str, now: int, take: Iterable[int] = (),
           release: Iterable[int] = (), hold_until: int | None = None, locks: Locks = SlotLock) -> None:
    """Add to `tx` one update per hour item touched: `take` each granule if it is free (never held, or held
    by a pending hold whose time has passed), `release` each granule still held by `booking_id`."""
    taking, releasing = by_hour(take), by_hour(release)
    for hour in sorted(taking.keys() | releasing.keys()):
        actions: list[Any] = []
        conditions: list[Any] = []
        for granule in taking.get(hour, []):
            slot = getattr(locks, slot_name(granule))
            actions.append(slot.set(HeldSlot(b=booking_id, h=hold_until)))
            conditions.append(slot.does_not_exist() | (slot.h < now))
        for granule in releasing.get(hour, []):
            slot = getattr(locks, slot_name(granule))
            actions.append(slot.remove())
            conditions.append(slot.does_not_exist() | (slot.b == booking_id))
        if hour in taking:
            actions.append(locks.ttl.set((hour + 1) * HOUR_SECONDS + int(LOCK_KEPT_FOR.total_seconds())))
        tx.update(locks(key, hour), actions=actions, condition=functools.reduce(operator.and_, conditions))


def confirm(tx: TransactWrite, key: str, booking_id: str, granules: Iterable[int]) -> None:
    """Add to `tx` what makes a proven hold's slots a booking's: their expiry goes, if still its own."""
    for hour, taken in by_hour(granules).items():
        slots = [getattr(SlotLock, slot_name(granule)) for granule in taken]
        tx.update(SlotLock(key, hour), actions=[slot.h.remove() for slot in slots],
                  condition=functools.reduce(operator.and_, [slot.b == booking_id for slot in slots]))


def taken_now(key: str, granules: Iterable[int], now: int) -> bool:
    """Whether any of `granules` is held now (one consistent BatchGet of its hour items)."""
    wanted = {int(g) for g in granules}
    items = SlotLock.batch_get([(key, hour) for hour in by_hour(wanted)], consistent_read=True)
    return any(granule in wanted and blocks(slot, now) for (_, granule), slot in held(items).items())


def taken_between(key: str, first: int, last: int, now: int) -> set[int]:
    """The granules held now from `first` to `last` (one consistent Query of the hour items)."""
    items = SlotLock.query(key, SlotLock.hour.between(hour_of(first), hour_of(last)), consistent_read=True)
    return {granule for (_, granule), slot in held(items).items() if first <= granule <= last and blocks(slot, now)}


def release_own(key: str, booking_id: str, granules: Iterable[int], locks: Locks = SlotLock) -> int:
    """Outside a transaction (retention, erasure of a hold): remove the slots of `granules` that `booking_id`
    still holds, leaving any another booking took since (an expired hold's). Returns the slots removed."""
    released = 0
    for hour, wanted in by_hour(granules).items():
        released += _release_hour(locks, key, hour, booking_id, set(wanted))
    return released


def _release_hour(locks: Locks, key: str, hour: int, booking_id: str, wanted: set[int]) -> int:
    for _ in range(RELEASE_TRIES):
        try:
            item = locks.get(key, hour, consistent_read=True)
        except locks.DoesNotExist:
            return 0
        own = [granule for (_, granule), slot in held([item]).items() if granule in wanted and slot.b == booking_id]
        if not own:
            return 0
        slots = [getattr(locks, slot_name(granule)) for granule in own]
        try:
            item.update(actions=[slot.remove() for slot in slots],
                        condition=functools.reduce(operator.and_, [slot.b == booking_id for slot in slots]))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue  # a slot changed hands meanwhile: read again
        return len(own)
    raise RuntimeError(f"the locks of booking {booking_id} kept changing while they were released")
