"""Who is told that an org's account ends: its staff, and patients with upcoming appointments.

Each person gets one e-mail per event, sent to the address stored on their record. Bodies name the
clinic and dates only: no health data, no text a patient typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import notify

# Named in the answer and the owner's e-mail: the clinic takes its data with it before the grace ends.
EXPORT_ROUTE = "POST /v1/org/exports"


def upcoming_bookings(org_id: str, booked_before: datetime | None = None,
                      booked_after: datetime | None = None) -> list[Booking]:
    """Confirmed appointments still to come, optionally only those booked before or after an instant."""
    now = clock.now()
    return [b for b in Booking.by_start.query(org_id, Booking.starts_at > now)
            if b.status == "confirmed" and (booked_before is None or b.created_at <= booked_before)
            and (booked_after is None or b.created_at > booked_after)]


def tell_staff(org_id: str, subject: str, text: str) -> int:
    """E-mail every enabled user of the org once; returns how many were told."""
    told = 0
    for user in User.query(org_id):
        if not user.disabled:
            notify.send_email(str(user.unseal()["email"]), subject, text)
            told += 1
    return told


def tell_patients(org: Organization, bookings: Iterable[Booking], subject: str, opening: str) -> int:
    """One e-mail per patient, listing their appointments among `bookings`; returns how many were told."""
    by_customer: dict[str, list[Booking]] = {}
    for booking in bookings:
        by_customer.setdefault(booking.customer_id, []).append(booking)
    told = 0
    for customer_id, theirs in by_customer.items():
        address = _address_of(org.org_id, customer_id)
        if address:
            ordered = sorted(theirs, key=lambda b: b.starts_at)
            times = "\n".join(f"  - {_local(b.starts_at, org.timezone)}" for b in ordered)
            notify.send_email(address, subject, f"Hello,\n\n{opening}\n\nYour appointments:\n{times}\n\n"
                                                f"Please contact {org.name} directly to arrange your care.")
            told += 1
    return told


def day(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%d %B %Y")


def _local(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)).strftime('%d %B %Y, %H:%M')} ({zone})"


def _address_of(org_id: str, customer_id: str) -> str | None:
    try:
        email = Customer.get(org_id, customer_id).unseal().get("email")
        return str(email) if email else None
    except Customer.DoesNotExist:
        return None  # erased: nobody to tell
