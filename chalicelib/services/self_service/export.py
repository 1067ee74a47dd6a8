"""Everything SafeSlot holds about one patient, as one JSON document (GDPR Art. 15 and 20, HIPAA 164.524).

Details, every booking (past and future) with its service's and staff member's names and its status, the
notices they were sent, their erasure request and the record's activity. What it knows of notices comes
from what the system records: the audit events that send an e-mail (and a text when the patient opted
in) and the claims the reminder and privacy-notice jobs leave (notice_claims). Free text written about
them (clinical notes, booking notes, cancellation reasons) is flagged, not shown: the clinic releases it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.services import access_report, audit, notice_claims
from chalicelib.services.booking import catalog
from chalicelib.services.booking.bookings import effective_status
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.intake import answers as intake_answers
from chalicelib.services.self_service import details, erasure_requests
from chalicelib.services.self_service.sessions import PatientSession

FORMAT = "safeslot.patient-export"
VERSION = 1
# audit action (with outcome) -> the notice the system sent on it, and whether a text went with it
NOTICES = {
    ("booking.created", "success"): ("appointment_booked", True),
    ("booking.confirmed", "success"): ("appointment_booked", True),
    ("booking.rescheduled", "success"): ("appointment_moved", True),
    ("booking.cancelled", "success"): ("appointment_cancelled", True),
    ("customer.link_issued", "success"): ("my_bookings_link", False),
    ("customer.self_service_link_issued", "success"): ("self_service_link", False),
    ("customer.email_change_requested", "success"): ("email_change_code_to_new_address", False),
    ("customer.email_change_requested", "address_in_use"): ("address_in_use_notice_to_new_address", False),
    ("customer.email_changed", "success"): ("email_changed_notice_to_old_address", False),
    ("customer.erasure_requested", "success"): ("erasure_request_received", False),
    ("customer.erasure_refused", "success"): ("erasure_request_refused", False),
}


def export(org: Organization, session: PatientSession) -> dict[str, Any]:
    """The document; the download is on the audit chain."""
    bookings = list(Booking.by_customer.query(f"{org.org_id}/{session.customer_id}"))
    events = access_report.audit_events_of_customer(org.org_id, session.customer_id)
    names = Names({s.service_id: s.name for s in catalog.list_services(org.org_id, active_only=False)},
                  {m.staff_id: m.display_name for m in catalog.list_staff(org.org_id, active_only=False)})
    document = {
        "format": FORMAT, "version": VERSION, "generated_at": clock.isoformat(clock.now()),
        "clinic": {"slug": org.slug, "name": org.name},
        "details": details.own_details(session),
        "bookings": [_booking(b, names) for b in bookings],
        "notices": _notices(org, session.customer_id, bookings, events),
        "erasure_request": erasure_requests.of_patient(session),
        "record_activity": access_report.activity(org.org_id, events),
        "intake_answers": intake_answers.of_customer(org.org_id, session.customer_id),  # issue 29
    }
    audit.record(org.org_id, "customer", "customer.exported", origin=session.origin,
                 subjects={"customer_id": session.customer_id})
    return document


@dataclass(frozen=True)
class Names:
    """The org's services and staff members by id, read once for every booking."""

    services: dict[str, str]
    staff: dict[str, str]


def _booking(booking: Booking, names: Names) -> dict[str, Any]:
    sealed = booking.unseal()
    return {
        "id": booking.booking_id, "status": effective_status(booking),
        "start": clock.isoformat(booking.starts_at), "end": clock.isoformat(booking.ends_at),
        "service": {"id": booking.service_id, "name": names.services.get(booking.service_id)},
        "staff": {"id": booking.staff_id, "display_name": names.staff.get(booking.staff_id)},
        "created_at": clock.isoformat(booking.created_at), "updated_at": clock.isoformat(booking.updated_at),
        "privacy_policy_version": int(booking.policy_version) if booking.policy_version is not None else None,
        "timezone": booking.patient_timezone, "locale": booking.locale, "texts_opted_in": bool(booking.sms_opt_in),
        "text_number": sealed.get("sms_to"),
        "notes_held": bool(sealed.get("notes")), "cancellation_reason_held": bool(sealed.get("cancel_reason")),
    }


def _notices(org: Organization, customer_id: str, bookings: list[Booking],
             events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    texted = {b.booking_id for b in bookings if b.sms_opt_in}
    found = []
    for event in reversed(events):  # oldest first
        subjects = dict(event["subjects"])
        notice = NOTICES.get((str(event["action"]), str(event["outcome"])))
        if notice:
            kind, may_text = notice
            channels = ["email", "sms"] if may_text and subjects.get("booking_id") in texted else ["email"]
            found.append({"at": event["at"], "kind": kind, "channels": channels,
                          **({"booking_id": subjects["booking_id"]} if "booking_id" in subjects else {})})
    return found + _reminders(org, bookings, texted) + _policy_notices(org.org_id, customer_id)


def _reminders(org: Organization, bookings: list[Booking], texted: set[str]) -> list[dict[str, Any]]:
    offsets = policy_of(org).reminder_offsets_minutes
    wanted = {notice_claims.reminder_key(org.org_id, b.booking_id, sequence, offset): (b.booking_id, offset)
              for b in bookings for sequence in range(int(b.sequence) + 1) for offset in offsets}
    sent = notice_claims.claimed(list(wanted))
    return [{"kind": "appointment_reminder", "booking_id": booking_id, "minutes_before": offset,
             "channels": ["email", "sms"] if booking_id in texted else ["email"]}
            for key, (booking_id, offset) in wanted.items() if key in sent]


def _policy_notices(org_id: str, customer_id: str) -> list[dict[str, Any]]:
    versions = {notice_claims.policy_notice_key(org_id, int(v.version), f"customer/{customer_id}"): int(v.version)
                for v in PolicyVersion.query(org_id)}
    sent = notice_claims.claimed(list(versions))
    return [{"kind": "privacy_policy_notice", "policy_version": version, "channels": ["email"]}
            for key, version in versions.items() if key in sent]
