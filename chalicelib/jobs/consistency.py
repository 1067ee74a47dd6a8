"""Cross-table invariants of a restored backup: every slot lock belongs to a booking that holds it,
and every confirmed booking holds its locks. A backup taken as one instant keeps them; a restore that
breaks them would let two patients book the same time (a missing lock) or block time for nobody
(an orphan lock), so restores check them and fail loudly.

A lock item holds one staff member's hour, each taken 5-minute slot an attribute naming its booking
(services/booking/slot_locks.py); the invariants are checked slot by slot. Locks expire a week after their
hour (TTL, deleted lazily by DynamoDB): only slots and granules still live at the backup's instant are held
to the invariants. Items of the per-granule scheme that a migration left behind hold no slot: they are
ignored (they expire with their TTL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.models.booking import Booking, SlotLock
from chalicelib.services.booking import slot_locks
from chalicelib.services.booking.bookings import CANCELLED, LOCK_KEPT_FOR, staff_key
from chalicelib.services.booking.timeline import GRANULE_SECONDS

EXAMPLES = 3  # ids named in a report (ids only: no personal data)


@dataclass
class Violations:
    orphan_locks: list[str] = field(default_factory=list)  # "<staff key>#<granule>"
    bookings_missing_locks: list[str] = field(default_factory=list)  # booking ids

    @property
    def ok(self) -> bool:
        return not self.orphan_locks and not self.bookings_missing_locks

    def describe(self) -> str:
        return "; ".join(f"{len(ids)} {what} (e.g. {', '.join(ids[:EXAMPLES])})" for what, ids in (
            ("slot locks without their booking", self.orphan_locks),
            ("bookings without their slot locks", self.bookings_missing_locks)) if ids)


def check_bookings_and_locks(raw_bookings: Iterable[dict[str, Any]], raw_locks: Iterable[dict[str, Any]],
                             as_of: datetime) -> Violations:
    """Check the raw items of the bookings and slot-lock tables as they stood at `as_of`."""
    horizon = int(as_of.timestamp() - LOCK_KEPT_FOR.total_seconds()) // GRANULE_SECONDS  # older granules expire
    bookings = {b.booking_id: b for b in map(Booking.from_raw_data, raw_bookings)}
    locks = {(key, granule): str(slot.b) for (key, granule), slot
             in slot_locks.held(map(SlotLock.from_raw_data, raw_locks)).items() if granule >= horizon}
    found = Violations()
    for (key, granule), booking_id in sorted(locks.items()):
        owner = bookings.get(booking_id)
        if owner is None or owner.status == CANCELLED or granule not in owner.granules or key != _key(owner):
            found.orphan_locks.append(f"{key}#{granule}")
    for booking in bookings.values():
        live = [g for g in booking.granules if g >= horizon] if booking.status != CANCELLED else []
        if any(locks.get((_key(booking), int(g))) != booking.booking_id for g in live):
            found.bookings_missing_locks.append(booking.booking_id)
    return found


def _key(booking: Booking) -> str:
    return staff_key(booking.org_id, booking.staff_id)
