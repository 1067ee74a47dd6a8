"""What became of an appointment: booked, arrived, no-show, completed or cancelled (the visit status).

The front desk and the staff (the staff role: their own bookings) set it; each change is audited with
the booking in one transaction. A cancelled booking stays cancelled (cancel it through its own route);
counts per staff member and status over a span are the clinic's visit report.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import BookingCancelled, ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.services import audit
from chalicelib.services.booking.bookings import CANCELLED, CONFIRMED
from chalicelib.services.booking.queries import MAX_DAYS, staff_booking, visible_staff
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

BOOKED, ARRIVED, NO_SHOW, COMPLETED = "booked", "arrived", "no_show", "completed"
SETTABLE = (BOOKED, ARRIVED, NO_SHOW, COMPLETED)  # cancelling is the cancel route's (it frees the time)
VISIT_STATUSES = (*SETTABLE, CANCELLED)
CHANGED = "booking.visit_status_changed"


def visit_status(booking: Booking) -> str:
    """The visit status a confirmed or cancelled booking shows."""
    if booking.status != CONFIRMED:
        return CANCELLED if booking.status == CANCELLED else str(booking.status)
    return str(booking.visit_status or BOOKED)


def set_visit_status(principal: Principal, booking_id: str, status: str) -> dict[str, Any]:
    """Mark a booking arrived, no-show, completed or booked again; audited with the change, or neither."""
    if status not in SETTABLE:
        raise ValidationFailed(f"Field 'status' must be one of {', '.join(SETTABLE)}.", field="status")
    booking = staff_booking(principal, booking_id, Permission.BOOKINGS_MANAGE)
    if booking.status != CONFIRMED:
        raise BookingCancelled()
    changed = audit.entry(principal.org_id, principal.user_id, CHANGED, origin=principal.origin,
                          subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id,
                                    "staff_id": booking.staff_id, "status": status})
    stored = None if status == BOOKED else status
    try:
        with audit.audited_transaction(changed) as tx:
            tx.update(booking, actions=[Booking.visit_status.remove() if stored is None
                                        else Booking.visit_status.set(stored),
                                        Booking.updated_at.set(clock.now())],
                      condition=Booking.status == CONFIRMED)
    except TransactWriteError as error:  # cancelled meanwhile
        raise BookingCancelled() from error
    booking.visit_status = stored
    return {"id": booking.booking_id, "visit_status": visit_status(booking)}


def visit_report(principal: Principal, since: datetime, until: datetime) -> dict[str, Any]:
    """Counts of visits per staff member and status for bookings starting in [since, until); no names."""
    require(principal.role, Permission.BOOKINGS_READ)
    if not timedelta(0) < until - since <= timedelta(days=MAX_DAYS * 6):
        raise ValidationFailed(f"'to' must be after 'from', at most {MAX_DAYS * 6} days later.", field="to")
    visible = visible_staff(principal)
    counts: Counter[tuple[str, str]] = Counter()
    for booking in Booking.by_start.query(principal.org_id, Booking.starts_at.between(since, until)):
        if booking.starts_at < until and booking.status in (CONFIRMED, CANCELLED) and (
                visible is None or booking.staff_id in visible):
            counts[(booking.staff_id, visit_status(booking))] += 1
    staff_ids = sorted({staff for staff, _ in counts})
    return {"from": clock.isoformat(since), "to": clock.isoformat(until),
            "totals": {status: sum(n for (_, s), n in counts.items() if s == status) for status in VISIT_STATUSES},
            "staff": [{"staff_id": staff, "counts": {s: counts[(staff, s)] for s in VISIT_STATUSES}}
                      for staff in staff_ids]}
