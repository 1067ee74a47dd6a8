"""What a support person may see while a grant lives: read-only views, each read on the clinic's audit
chain under the support person's own id and the grant's id (the clinic lists them per grant). The notes
patients and clinicians wrote are health information: shown only when the grant says so (HIPAA 164.514(d))."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.services import audit, customers
from chalicelib.services.booking import catalog
from chalicelib.services.booking.bookings import get_booking
from chalicelib.services.booking.queries import sealed_view, staff_view
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.support.grants import grant_by_id

MAX_DAYS = 31
READ_ACTIONS = ("support.read", "booking.read", "customer.read")


def calendar(support: Principal, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Bookings starting in [since, until): times, ids and status (no notes). The read's event names
    every customer it showed, so that each finds it in their access report (HIPAA 164.528)."""
    if not timedelta(0) < until - since <= timedelta(days=MAX_DAYS):
        raise ValidationFailed(f"'to' must be after 'from', at most {MAX_DAYS} days later.", field="to")
    found = [b for b in Booking.by_start.query(support.org_id, Booking.starts_at.between(since, until))
             if b.starts_at < until]
    audit.record_shown(support.org_id, support.user_id, "support.read", (b.customer_id for b in found),
                       subjects={"grant_id": support.session_id, "resource": "bookings"}, origin=support.origin)
    return [staff_view(b) for b in found]  # served once the chain holds who was shown


def booking(support: Principal, booking_id: str) -> dict[str, Any]:
    """One booking; its notes only if the grant includes them."""
    found = get_booking(support.org_id, booking_id)
    _read(support, "booking.read", booking_id=booking_id, customer_id=found.customer_id)
    return {**staff_view(found), **sealed_view(found, notes=_grant_shows_notes(support))}


def customer(support: Principal, customer_id: str) -> dict[str, Any]:
    """One customer's details; the clinical notes only if the grant includes them."""
    details = customers.contact_of(support.org_id, customer_id)
    _read(support, "customer.read", customer_id=customer_id)
    shown = {"id": customer_id, **asdict(details)}
    if not _grant_shows_notes(support):
        shown.pop("notes")
    return shown


def services(support: Principal) -> list[dict[str, Any]]:
    _read(support, "support.read", resource="services")
    return [catalog.service_view(s) for s in catalog.list_services(support.org_id)]


def _grant_shows_notes(support: Principal) -> bool:
    """Whether the caller's grant (its id is the support session's) lets them read notes."""
    return bool(grant_by_id(support.session_id).notes)


def _read(support: Principal, action: str, **subjects: str) -> None:
    """Audit first: a read the chain cannot record is not served."""
    audit.record(support.org_id, support.user_id, action, origin=support.origin,
                 subjects={"grant_id": support.session_id, **subjects})
