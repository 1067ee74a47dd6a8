"""The org's data as plain, decrypted records, read a page at a time (queries on the org's key, never a scan).

Each function yields what one file of the export holds, with exactly the fields `layout` documents.
Secrets stay out: no password hashes, second-factor secrets, session tokens or verification codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.errors import SealedDataErased
from chalicelib.models.base import SealedModel
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.models.user import User
from chalicelib.services import privacy_policies
from chalicelib.services.audit import chain
from chalicelib.services.booking import catalog
from chalicelib.services.booking.bookings import effective_status
from chalicelib.services.identity import users


def organization(org: Organization) -> dict[str, Any]:
    return {"org_id": org.org_id, "slug": org.slug, "name": org.name, "timezone": org.timezone,
            "created_at": clock.isoformat(org.created_at),
            "security_policy": _plain(org.security_policy), "transparency": _plain(org.transparency),
            "profile": dict(org.profile or {})}


def user_records(org_id: str) -> Iterator[dict[str, Any]]:
    for user in User.query(org_id):
        yield users.describe(user)


def service_records(org_id: str) -> Iterator[dict[str, Any]]:
    for service in Service.query(org_id):
        yield catalog.service_view(service)


def staff_records(org_id: str) -> Iterator[dict[str, Any]]:
    for member in StaffMember.query(org_id):
        yield catalog.staff_view(member)


def customer_records(org_id: str) -> Iterator[dict[str, Any]]:
    for customer in Customer.query(org_id):
        sealed, readable = opened(customer)
        yield {"customer_id": customer.customer_id, "name": sealed.get("name"), "email": sealed.get("email"),
               "phone": sealed.get("phone"), "notes": sealed.get("notes"),
               "date_of_birth": sealed.get("date_of_birth"), "created_at": clock.isoformat(customer.created_at),
               "last_visit_at": clock.isoformat(customer.last_visit_at) if customer.last_visit_at else None,
               "readable": readable}


@dataclass(frozen=True)
class Names:
    """Names that make a booking row readable on its own: customers, services, staff."""

    customers: dict[str, str | None]
    services: dict[str, str]
    staff: dict[str, str]


def booking_rows(org_id: str) -> Iterator[Booking]:
    return Booking.query(org_id)


def booking_record(booking: Booking, names: Names) -> dict[str, Any]:
    sealed, readable = opened(booking)
    contact = sealed.get("contact") or {}
    return {
        "booking_id": booking.booking_id, "status": effective_status(booking),
        "starts_at": clock.isoformat(booking.starts_at), "ends_at": clock.isoformat(booking.ends_at),
        "service_id": booking.service_id, "service_name": names.services.get(booking.service_id),
        "staff_id": booking.staff_id, "staff_name": names.staff.get(booking.staff_id),
        "customer_id": booking.customer_id,
        "customer_name": names.customers.get(booking.customer_id) or contact.get("name"),
        "notes": sealed.get("notes"), "cancel_reason": sealed.get("cancel_reason"),
        "contact_email": contact.get("email"), "contact_phone": contact.get("phone"),
        "sms_to": sealed.get("sms_to"), "sms_opt_in": bool(booking.sms_opt_in),
        "patient_timezone": booking.patient_timezone, "locale": booking.locale,
        "policy_version": int(booking.policy_version) if booking.policy_version is not None else None,
        "sequence": int(booking.sequence or 0),
        "created_at": clock.isoformat(booking.created_at), "updated_at": clock.isoformat(booking.updated_at),
        "readable": readable,
    }


def policy_records(org_id: str) -> Iterator[dict[str, Any]]:
    for version in PolicyVersion.query(org_id):
        yield privacy_policies.describe(version)


def audit_records(org_id: str) -> Iterator[dict[str, Any]]:
    """The chained events as stored (ids only, never contents), oldest first."""
    for event in chain.events(org_id):
        yield chain.as_record(event)


def opened(row: SealedModel) -> tuple[dict[str, Any], bool]:
    """The row's sealed fields, and whether they could be opened: a row whose key material was destroyed
    (an erased person) is exported with its ids and without its personal fields, never as an error.
    Tampered data still fails the export (SealedDataInvalid): the job reports it and alerts."""
    if row.sealed is None:
        return {}, True
    try:
        return row.unseal(), True
    except SealedDataErased:
        return {}, False


def _plain(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)
