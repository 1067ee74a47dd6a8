"""The front desk's day: one clinic day's bookings with patient names, services and staff, in one call.

Showing names is a read of those patients' records: it is ONE audit event per view (`calendar.day_read`)
that lists every customer it showed, so that each patient's access report gets one line for the view,
not one per row, and the trail is not flooded with a read per name (HIPAA 164.312(b)).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import SealedDataErased, ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import StaffMember
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.booking.bookings import EXPIRED, effective_status
from chalicelib.services.booking.queries import require_own_staff, visible_staff
from chalicelib.services.booking.visits import visit_status
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

DAY_READ = "calendar.day_read"
BATCH = 100  # DynamoDB's BatchGetItem limit


def day_view(principal: Principal, day: date, staff_id: str | None = None) -> dict[str, Any]:
    """The clinic's day (in the clinic's time zone), whole or of one staff member; the staff role sees
    only their own. Names are read in batches and the view is audited once, listing whom it showed."""
    require(principal.role, Permission.BOOKINGS_READ)
    require(principal.role, Permission.CUSTOMERS_READ)
    require_own_staff(principal, staff_id)
    org = Organization.get(principal.org_id)
    since, until = _day_bounds(day, org.timezone)
    rows = shown_bookings(principal, staff_id, since, until)
    names = _names(principal.org_id, {b.customer_id for b in rows})
    if names:
        audit.record_shown(principal.org_id, principal.user_id, DAY_READ, names, origin=principal.origin,
                           subjects={"date": day.isoformat(), "staff_id": staff_id or "all", "count": str(len(names))})
    staff = shown_staff(principal)
    return {
        "date": day.isoformat(), "timezone": org.timezone,
        "staff": [{"id": m.staff_id, "display_name": m.display_name, "timezone": m.timezone} for m in staff],
        "services": [{"id": s.service_id, "name": s.name, "duration_minutes": s.duration_minutes}
                     for s in catalog.list_services(principal.org_id)],
        "bookings": [_row(b, names.get(b.customer_id)) for b in rows],
    }


DAY_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 2), date(2199, 12, 30)  # the other routes' instants, a day inside


def parse_day(value: str | None) -> date:
    """A calendar day written as YYYY-MM-DD (no week or compact forms), within the range every route takes."""
    text = value or ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not DAY_FORM.fullmatch(text) or not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationFailed("Parameter 'date' must be a day like 2026-12-07.", field="date")
    return day


def shown_bookings(principal: Principal, staff_id: str | None, since: datetime, until: datetime) -> list[Booking]:
    """The bookings starting in [since, until) that `principal` may see (one staff member's if named), in
    time order: one Query of the start index; expired holds left out."""
    visible = visible_staff(principal)
    rows = [b for b in Booking.by_start.query(principal.org_id, Booking.starts_at.between(since, until))
            if b.starts_at < until and effective_status(b) != EXPIRED
            and (staff_id is None or b.staff_id == staff_id) and (visible is None or b.staff_id in visible)]
    return sorted(rows, key=lambda b: (b.starts_at, b.staff_id))


def shown_staff(principal: Principal) -> list[StaffMember]:
    """The staff members whose columns `principal` may see (the staff role: only their own)."""
    visible = visible_staff(principal)
    return [m for m in catalog.list_staff(principal.org_id) if visible is None or m.staff_id in visible]


def _day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = clock.zone(timezone, "timezone")
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _names(org_id: str, customer_ids: set[str]) -> dict[str, str | None]:
    """Each customer's name (None once erased), read in batches of 100 keys."""
    ids = sorted(customer_ids)
    names: dict[str, str | None] = {}
    for first in range(0, len(ids), BATCH):
        for customer in Customer.batch_get([(org_id, i) for i in ids[first:first + BATCH]]):
            try:
                names[customer.customer_id] = customer.unseal()["name"]
            except SealedDataErased:
                names[customer.customer_id] = None
    return names


def _row(booking: Booking, name: str | None) -> dict[str, Any]:
    return {"id": booking.booking_id, "start": clock.isoformat(booking.starts_at),
            "end": clock.isoformat(booking.ends_at), "service_id": booking.service_id,
            "staff_id": booking.staff_id, "status": effective_status(booking),
            "visit_status": visit_status(booking),
            "customer": {"id": booking.customer_id, "name": name}}
