"""The patient's card in the console: details, bookings and what the signed-in role may do with them.

One read of the record is one audit event (`customer.read`), whatever the card shows; clinical notes
only for the roles that hold customers.notes; the staff role sees only their own patients and, of their
bookings, only those with them. "Who saw this record" is the access report's own audited route.
"""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.models.booking import Booking
from chalicelib.services import customers
from chalicelib.services.booking import catalog
from chalicelib.services.booking.bookings import EXPIRED, effective_status
from chalicelib.services.booking.queries import visible_staff
from chalicelib.services.booking.visits import visit_status
from chalicelib.services.identity.roles import Permission, may
from chalicelib.services.identity.sessions import Principal

MAX_BOOKINGS = 200


def card(principal: Principal, customer_id: str) -> dict[str, Any]:
    """The card (404 for a customer the caller may not see, as for an unknown id)."""
    details = customers.staff_read(principal, customer_id)  # permission, visibility and the audit event
    visible = visible_staff(principal)
    services = {s.service_id: s.name for s in catalog.list_services(principal.org_id)}
    staff = {m.staff_id: m.display_name for m in catalog.list_staff(principal.org_id)}
    found = Booking.by_customer.query(f"{principal.org_id}/{customer_id}", scan_index_forward=False)
    rows = [b for b in found if effective_status(b) != EXPIRED and (visible is None or b.staff_id in visible)]
    return {
        "customer": details,
        "bookings": [{"id": b.booking_id, "start": clock.isoformat(b.starts_at), "end": clock.isoformat(b.ends_at),
                      "service": services.get(b.service_id), "service_id": b.service_id,
                      "staff": staff.get(b.staff_id), "staff_id": b.staff_id,
                      "status": effective_status(b), "visit_status": visit_status(b)} for b in rows[:MAX_BOOKINGS]],
        "may": {"edit_details": may(principal.role, Permission.CUSTOMERS_MANAGE),
                "notes": may(principal.role, Permission.CUSTOMER_NOTES),
                "access_report": may(principal.role, Permission.AUDIT_READ),
                "book": may(principal.role, Permission.BOOKINGS_MANAGE)},
    }
