"""Who saw my record: the reads and changes of one customer's record, from the org's audit trail
(HIPAA 164.528's accounting of disclosures, self-service). Nothing about anyone else is shown: only
events that name this customer, and of each only when, who (a role or, if the org says so, a name)
and what kind of action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models.booking import AccessGrant
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit, customers
from chalicelib.services.booking.day_view import DAY_READ
from chalicelib.services.booking.grants import grant_for
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.support.grants import ACTOR_PREFIX as SUPPORT_PREFIX
from chalicelib.services.transparency_settings import settings_of

REPORT_YEARS = 6  # 164.528 asks for six years; retention keeps the trail at least that long
REPORT_ACTION = "customer.access_report"
# action -> (kind of action, what it was), in words a patient understands
ACTIONS = {
    "customer.read": ("read", "Your contact details were viewed"),
    "booking.read": ("read", "An appointment's details were viewed"),
    "customer.created": ("change", "Your record was created"),
    "customer.updated": ("change", "Your contact details were changed"),
    "booking.created": ("change", "An appointment was booked"),
    "booking.rescheduled": ("change", "An appointment was moved"),
    "booking.cancelled": ("change", "An appointment was cancelled"),
    REPORT_ACTION: ("report", "This access report was produced"),
    "customer.exported": ("read", "You downloaded your data"),
    "customer.email_changed": ("change", "Your e-mail address was changed"),
    DAY_READ: ("read", "Your name was shown on the clinic's calendar of the day"),
    "customer.erasure_requested": ("change", "You asked for your data to be erased"),
    "customer.erasure_refused": ("change", "The clinic refused to erase your data"),
    # reads that showed many patients at once name each of them (audit.record_shown)
    "org.exported": ("read", "The clinic exported all of its records, yours among them"),
    "support.read": ("read", "Your appointment times were viewed in the clinic's calendar"),
    # the front desk's console (issue 25): one line per view or search that showed the patient
    "calendar.week_read": ("read", "Your name was shown on the clinic's calendar of the week"),
    "customer.searched": ("read", "Your record was found in a search of the clinic's patients"),
    "booking.visit_status_changed": ("change", "An appointment was marked arrived, completed or missed"),
}
ROLE_WORDS = {"owner": "clinic owner", "admin": "clinic administrator", "staff": "clinician",
              "frontdesk": "front desk", "auditor": "auditor"}


@dataclass(frozen=True)
class Reader:
    """How the report names whoever acted: a role, and a name when the org's setting allows it."""

    names_staff: bool
    _users: dict[str, User | None] = field(default_factory=dict)  # one read per person, not per event

    def describe(self, org_id: str, actor: str) -> dict[str, str]:
        if actor == "customer":
            return {"kind": "you"}
        if actor.startswith(SUPPORT_PREFIX):
            return {"kind": "vendor_support", "role": "SafeSlot support (granted by the clinic)"}
        if actor not in self._users:
            self._users[actor] = _user(org_id, actor)
        user = self._users[actor]
        if user is None:
            return {"kind": "system", "role": "SafeSlot (automatic)"}
        shown = {"kind": "staff", "role": ROLE_WORDS.get(user.role, user.role)}
        return {**shown, "name": user.unseal()["name"]} if self.names_staff else shown


def audit_events_of_customer(org_id: str, customer_id: str, years: int = REPORT_YEARS) -> list[dict[str, Any]]:
    """Every audit event of the org that names this customer as its subject (alone, or among the customers
    an export or a calendar read showed), newest first.

    The one query the report needs, kept here so that it can follow the audit trail's own indexes."""
    window = audit.EventFilter(since=clock.now() - timedelta(days=365 * years), limit=10**9)
    return [event for event in audit.matching_events(org_id, window)
            if audit.names_customer(dict(event["subjects"]), customer_id)]  # type: ignore[call-overload]


def report_for_link(token: str | None, origin: audit.Origin) -> dict[str, Any]:
    """The report of the customer whose "all my bookings" link this is (a one-booking link is not enough)."""
    grant: AccessGrant = grant_for(token)
    if grant.booking_id is not None:
        raise NotFound("Ask for a link to all your bookings to see this report.")
    return _report(grant.org_id, grant.customer_id, "customer", origin)


def report_for_staff(principal: Principal, customer_id: str) -> dict[str, Any]:
    """The same report, produced by the clinic for a customer who asks (owner, admin, auditor)."""
    require(principal.role, Permission.AUDIT_READ)
    customers.contact_of(principal.org_id, customer_id)  # 404 for an unknown customer
    return _report(principal.org_id, customer_id, principal.user_id, principal.origin)


def _report(org_id: str, customer_id: str, requested_by: str, origin: audit.Origin) -> dict[str, Any]:
    audit.record(org_id, requested_by, REPORT_ACTION, origin=origin, subjects={"customer_id": customer_id})
    return {"customer_id": customer_id, "years": REPORT_YEARS,
            "entries": activity(org_id, audit_events_of_customer(org_id, customer_id))}


def activity(org_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's entries for these events of one customer (the caller audits its own read)."""
    reader = Reader(settings_of(Organization.get(org_id)).access_report_names_staff)
    entries = [_entry(org_id, event, reader) for event in events]
    return [e for e in entries if e]


def _entry(org_id: str, event: dict[str, Any], reader: Reader) -> dict[str, Any] | None:
    action = str(event["action"])
    if action not in ACTIONS or event["outcome"] != "success":
        return None
    kind, what = ACTIONS[action]
    return {"at": event["at"], "kind": kind, "action": action, "what": what,
            "by": reader.describe(org_id, str(event["actor"]))}


def _user(org_id: str, user_id: str) -> User | None:
    try:
        return User.get(org_id, user_id)
    except User.DoesNotExist:
        return None
