"""The front desk's week: seven clinic days from a given day, with names, services, staff and visit status.

Like the day (day_view.py), showing names is ONE audit event per view (`calendar.week_read`) listing
every customer shown, so each patient's access report has one line for the view, not one per row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.booking.day_view import _day_bounds, _names, _row, shown_bookings, shown_staff
from chalicelib.services.booking.queries import require_own_staff
from chalicelib.services.booking.visits import VISIT_STATUSES
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

WEEK_READ = "calendar.week_read"
DAYS = 7


def week_view(principal: Principal, first: date, staff_id: str | None = None) -> dict[str, Any]:
    """Seven days from `first` (in the clinic's zone), whole clinic or one staff member (the staff role:
    only their own); one Query of the start index, names in batches, one audit event listing whom it showed."""
    require(principal.role, Permission.BOOKINGS_READ)
    require(principal.role, Permission.CUSTOMERS_READ)
    require_own_staff(principal, staff_id)
    org = Organization.get(principal.org_id)
    since, _ = _day_bounds(first, org.timezone)
    _, until = _day_bounds(first + timedelta(days=DAYS - 1), org.timezone)
    rows = shown_bookings(principal, staff_id, since, until)
    names = _names(principal.org_id, {b.customer_id for b in rows})
    last = first + timedelta(days=DAYS - 1)
    if names:
        audit.record_shown(principal.org_id, principal.user_id, WEEK_READ, names, origin=principal.origin,
                           subjects={"from": first.isoformat(), "to": last.isoformat(),
                                     "staff_id": staff_id or "all", "count": str(len(names))})
    staff = shown_staff(principal)
    shown = [_row(b, names.get(b.customer_id)) for b in rows]
    return {
        "from": first.isoformat(), "to": last.isoformat(), "timezone": org.timezone,
        "staff": [{"id": m.staff_id, "display_name": m.display_name, "timezone": m.timezone} for m in staff],
        "services": [{"id": s.service_id, "name": s.name, "duration_minutes": s.duration_minutes}
                     for s in catalog.list_services(principal.org_id)],
        "bookings": shown,
        "counts": {status: sum(1 for row in shown if row["visit_status"] == status) for status in VISIT_STATUSES},
    }
