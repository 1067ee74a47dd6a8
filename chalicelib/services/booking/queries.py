"""Reading bookings and free time: public slots, a staff calendar, a customer's own bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import Forbidden, ValidationFailed
from chalicelib.models.booking import AccessGrant, Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.booking.availability import Rules, Slot, open_slots
from chalicelib.services.booking.bookings import CANCELLED, PENDING, get_booking, public_view
from chalicelib.services.booking.catalog import MAX_SPAN_MINUTES
from chalicelib.services.booking.timeline import GRANULE_SECONDS, Interval, viewer_window
from chalicelib.services.identity.roles import Permission, Role, may, require
from chalicelib.services.identity.sessions import Principal

MAX_DAYS = 62
SHOWN_SEALED = ("cancel_reason", "sms_to")  # a booking's sealed fields any reader of it sees (not the notes)


@dataclass(frozen=True)
class SlotQuery:
    service_id: str
    first: date
    last: date
    timezone: str
    staff_id: str | None = None


def find_slots(org_id: str, query: SlotQuery) -> list[dict[str, str]]:
    """Free starts for a service, every staff member (or one), shown in the viewer's zone.

    Three reads whatever the team's size (ADR 0019): the service, the staff (one Query, or one GetItem),
    and what blocks their time (one Query on the bookings' busy-by-start index)."""
    zone = clock.zone(query.timezone, "tz")
    if not 0 <= (query.last - query.first).days < MAX_DAYS:
        raise ValidationFailed(f"'to' must be on or after 'from', at most {MAX_DAYS} days in all.", field="to")
    window = viewer_window(query.first, query.last, zone)
    service = catalog.get_service(org_id, query.service_id)
    staff = _staff_giving(org_id, service, query.staff_id)
    taken = taken_by_staff(org_id, window) if staff else {}
    found: list[Slot] = []
    rules = Rules(now=clock.now())
    for member in staff:
        found += open_slots(service, member, window, rules, taken.get(member.staff_id, frozenset()))
    found.sort(key=lambda slot: (slot.start, slot.staff_id))
    return [{"start": s.start.astimezone(zone).isoformat(), "end": s.end.astimezone(zone).isoformat(),
             "staff_id": s.staff_id} for s in found]


def taken_by_staff(org_id: str, window: Interval) -> dict[str, frozenset[int]]:
    """Each staff member's locked granules around `window` (buffers reach outside it), in one Query.

    A booking holds exactly the locks its `granules` list (they are written and freed in one
    transaction): a cancelled one holds none, a pending hold only until its time runs out (the lock's
    `hold_until`, whole seconds). A booking holding a granule of the reach starts at most one span before
    it, so the Query reaches one span further."""
    reach = timedelta(minutes=MAX_SPAN_MINUTES)
    low = int((window.start - reach).timestamp()) // GRANULE_SECONDS
    high = int((window.end + reach).timestamp()) // GRANULE_SECONDS
    now = clock.now().timestamp()
    taken: dict[str, set[int]] = {}
    for booking in Booking.busy_by_start.query(
            org_id, Booking.starts_at.between(window.start - 2 * reach, window.end + 2 * reach)):
        if _blocks(booking, now):
            taken.setdefault(booking.staff_id, set()).update(
                int(g) for g in booking.granules or [] if low <= int(g) <= high)
    return {staff_id: frozenset(held) for staff_id, held in taken.items()}


def _blocks(booking: Booking, now: float) -> bool:
    """Whether the booking's locks are held now (as `bookings._take_locks` reads them)."""
    if booking.status == PENDING:
        return booking.hold_expires_at is not None and int(booking.hold_expires_at.timestamp()) >= now
    return booking.status != CANCELLED


def staff_calendar(principal: Principal, since: datetime, until: datetime, staff_id: str | None,
                   status: str | None) -> list[dict[str, Any]]:
    """Bookings starting in [since, until), optionally of one staff member or status."""
    require(principal.role, Permission.BOOKINGS_READ)
    if not timedelta(0) < until - since <= timedelta(days=MAX_DAYS):
        raise ValidationFailed(f"'to' must be after 'from', at most {MAX_DAYS} days later.", field="to")
    visible = visible_staff(principal)
    found = Booking.by_start.query(principal.org_id, Booking.starts_at.between(since, until))
    return [staff_view(b) for b in found
            if b.starts_at < until and (staff_id is None or b.staff_id == staff_id)
            and (status is None or b.status == status) and (visible is None or b.staff_id in visible)]


def staff_booking(principal: Principal, booking_id: str, permission: Permission) -> Booking:
    """One booking the caller may see (the staff role: only their own), or 404/403."""
    require(principal.role, permission)
    booking = get_booking(principal.org_id, booking_id)
    require_own_staff(principal, booking.staff_id)
    return booking


def require_own_staff(principal: Principal, staff_id: str | None) -> None:
    """The staff role acts only on the staff members linked to their user."""
    visible = visible_staff(principal)
    if visible is not None and staff_id is not None and staff_id not in visible:
        raise Forbidden()


def staff_detail(principal: Principal, booking: Booking) -> dict[str, Any]:
    """A booking with what the caller may see of its sealed fields: an audited read, like a customer's details.

    What the patient typed (`notes`) is health information: only roles with the notes permission see it,
    and the staff role only on the bookings they treat (HIPAA 164.514(d)). A pending hold's typed contact
    and its verification code are never shown: whoever read the code could attach the hold to a stranger."""
    audit.record(principal.org_id, principal.user_id, "booking.read", origin=principal.origin,
                 subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id})
    return {**staff_view(booking), **sealed_view(booking, notes=may_read_notes(principal, booking))}


def sealed_view(booking: Booking, notes: bool) -> dict[str, Any]:
    """The sealed fields a person may be shown: the cancel reason and number for texts, the notes only
    when `notes`; never a hold's contact or code."""
    sealed = booking.unseal()
    return {name: sealed[name] for name in (*SHOWN_SEALED, *(("notes",) if notes else ())) if name in sealed}


def may_read_notes(principal: Principal, booking: Booking) -> bool:
    """Roles with the notes permission; for the staff role, only as the booking's treating staff member."""
    if not may(principal.role, Permission.CUSTOMER_NOTES):
        return False
    visible = visible_staff(principal)
    return visible is None or booking.staff_id in visible


def staff_view(booking: Booking) -> dict[str, Any]:
    return {**public_view(booking), "customer_id": booking.customer_id,
            "created_at": clock.isoformat(booking.created_at), "updated_at": clock.isoformat(booking.updated_at),
            "policy_version": int(booking.policy_version) if booking.policy_version is not None else None}


def visible_staff(principal: Principal) -> set[str] | None:
    """None: every staff member's bookings; else the staff ids a staff-role user works as."""
    if principal.role != Role.STAFF:
        return None
    return catalog.staff_ids_of_user(principal.org_id, principal.user_id)


def customer_bookings(grant: AccessGrant, origin: audit.Origin, language: str | None = None) -> list[dict[str, Any]]:
    """Every booking of the grant's customer, newest first, with what the page shows of each (audited)."""
    key = f"{grant.org_id}/{grant.customer_id}"
    found = Booking.by_customer.query(key, scan_index_forward=False)
    shown = [booking_page_view(grant.org_id, b, language) for b in found if grant.booking_id in (None, b.booking_id)]
    audit.record(grant.org_id, "customer", "customer.bookings_read", origin=origin,
                 subjects={"customer_id": grant.customer_id})
    return shown


def customer_read(booking: Booking, origin: audit.Origin) -> None:
    """Put a customer's own read of one booking (through a secret link) on the audit chain."""
    audit.record(booking.org_id, "customer", "booking.read", origin=origin,
                 subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id})


def booking_page_view(org_id: str, booking: Booking, language: str | None = None) -> dict[str, Any]:
    """A booking with the names the manage page shows next to it (the service's in `language`)."""
    service = catalog.cached_service(org_id, booking.service_id)  # names only: the hot-path cache will do
    staff = catalog.cached_staff_member(org_id, booking.staff_id)
    return {**public_view(booking), "service": public_service(service, language), "staff": public_staff(staff)}


def public_service(service: Service, language: str | None = None) -> dict[str, Any]:
    name = catalog.service_name(service, language) if language else service.name
    return {"id": service.service_id, "name": name, "duration_minutes": service.duration_minutes}


def public_staff(member: StaffMember) -> dict[str, Any]:
    return {"id": member.staff_id, "display_name": member.display_name, "timezone": member.timezone,
            "service_ids": list(member.service_ids or [])}


def _staff_giving(org_id: str, service: Service, staff_id: str | None) -> list[StaffMember]:
    if not service.active:
        return []
    staff = [catalog.get_staff(org_id, staff_id)] if staff_id else catalog.list_staff(org_id, active_only=True)
    return [m for m in staff if m.active and service.service_id in (m.service_ids or [])]
