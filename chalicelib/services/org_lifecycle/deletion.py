"""The owner ends the org's account: a deletion request (with a fresh second factor) that deletes
everything after a 30-day grace, cancellable by an owner until then (GDPR Art. 17 as the model).

During the grace the org works as usual; its staff are told at once, and so are patients with
upcoming appointments (which are cancelled at the deletion, not before). The owner is pointed at the
export. `delete_org` is the deletion itself, used by the daily job and by operators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.crypto import shred_keys
from chalicelib.errors import Conflict
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.erasure import ledger
from chalicelib.services.identity import reauth
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.org_lifecycle import notices, purge
from chalicelib.services.org_lifecycle.status import describe
from chalicelib.services.org_lifecycle.suspension import DELETING
from chalicelib.services.organizations import org_by_id

GRACE = timedelta(days=30)
ALREADY_SCHEDULED = "A deletion is already scheduled; cancel it first to change it."


def request_deletion(principal: Principal, proof: dict[str, Any]) -> dict[str, Any]:
    """Schedule the org's deletion GRACE from now; needs an owner signed in with a second factor who
    proves one again now (authenticator code or security key, under the account's lockout)."""
    require(principal.role, Permission.ORG_DELETION)
    if org_by_id(principal.org_id).deletion_due_at is not None:  # before the factor is spent
        raise Conflict(ALREADY_SCHEDULED)
    reauth.require_fresh_factor(principal, "org.deletion_request", proof)
    now = clock.now()
    org = _schedule(principal, now, now + GRACE)
    told = {"staff": notices.tell_staff(org.org_id, f"{org.name}'s SafeSlot account will be deleted",
                                        _staff_text(org)),
            "patients": notices.tell_patients(org, notices.upcoming_bookings(org.org_id), notices.CLOSING)}
    return {"org": describe(org), "export": notices.EXPORT_ROUTE, "told": told}


def cancel_deletion(principal: Principal) -> dict[str, Any]:
    """Cancel a scheduled deletion; the staff and the patients told of it hear that it is off."""
    require(principal.role, Permission.ORG_DELETION)
    org = org_by_id(principal.org_id)
    requested_at = org.deletion_requested_at
    entry = audit.entry(org.org_id, principal.user_id, "org.deletion_cancelled", origin=principal.origin)
    try:
        with audit.audited_transaction(entry) as tx:
            tx.update(org, actions=[Organization.deletion_due_at.remove(), Organization.deletion_requested_at.remove(),
                                    Organization.deletion_requested_by.remove()],
                      condition=Organization.deletion_due_at.exists() & Organization.suspended_at.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("No deletion is scheduled.") from error
    org.refresh(consistent_read=True)
    notices.tell_staff(org.org_id, f"{org.name}'s SafeSlot account will not be deleted",
                       f"The deletion of {org.name}'s SafeSlot account was cancelled. Nothing changes.")
    notices.tell_patients(org, notices.upcoming_bookings(org.org_id, booked_before=requested_at), notices.KEPT)
    return {"org": describe(org)}


def claim_due(org: Organization, now: datetime) -> bool:
    """Lock a due org out before deleting it (a cancel racing with the job loses, or wins whole)."""
    try:
        org.update(actions=[Organization.suspended_at.set(now), Organization.suspension_reason.set(DELETING)],
                   condition=Organization.deletion_due_at <= now)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_org(org: Organization, actor: str) -> dict[str, int]:
    """Delete every item of the org in every table and destroy its key material; the erasure ledger
    records it first, so that every later restore deletes it again. Returns items deleted per table.
    Patients with upcoming appointments who were not told at the request are told now."""
    not_told = notices.upcoming_bookings(org.org_id, booked_after=org.deletion_requested_at)
    notices.tell_patients(org, not_told, notices.CANCELLED)
    ledger.record(org.org_id, ledger.ORG, org.org_id, actor)
    counts = purge.delete_org_items(org.org_id, purge.live_tables())
    shred_keys.destroy_org(org.org_id)  # the org key and every subject key: backups stay unreadable
    return counts


def _schedule(principal: Principal, now: datetime, due: datetime) -> Organization:
    org = Organization(principal.org_id)
    entry = audit.entry(principal.org_id, principal.user_id, "org.deletion_requested",
                        subjects={"deletes_at": clock.isoformat(due)}, origin=principal.origin)
    try:
        with audit.audited_transaction(entry) as tx:
            tx.update(org, actions=[Organization.deletion_requested_at.set(now),
                                    Organization.deletion_requested_by.set(principal.user_id),
                                    Organization.deletion_due_at.set(due)],
                      condition=Organization.org_id.exists() & Organization.deletion_due_at.does_not_exist())
    except TransactWriteError as error:
        raise Conflict(ALREADY_SCHEDULED) from error
    org.refresh(consistent_read=True)
    return org


def _staff_text(org: Organization) -> str:
    when = notices.day(org.deletion_due_at, org.timezone)
    return (f"An owner of {org.name} asked SafeSlot to delete the clinic's account. On {when} every record "
            f"of {org.name} is deleted for good: patients, appointments, users and the audit trail.\n\n"
            f"Until then everything works as usual, and an owner can cancel the deletion "
            f"(DELETE /v1/org/deletion). To keep a copy of the clinic's data, an owner exports it first "
            f"({notices.EXPORT_ROUTE}).")

