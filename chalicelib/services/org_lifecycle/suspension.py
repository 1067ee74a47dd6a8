"""Operators suspend an org (nobody signs in, its pages answer unavailable, its data is kept) and lift
the suspension. The callers (manage.py through jobs/org_accounts.py) audit both on the system chain."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import Conflict, ValidationFailed
from chalicelib.models.organization import Organization

REASON_MAX = 200
DELETING = "the account is being deleted"  # the suspension while a deletion runs (deletion.py)


def suspend(org: Organization, reason: str) -> None:
    """Suspend `org` now for `reason` (the operator's words, shown to operators only)."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > REASON_MAX or not reason.isprintable():
        raise ValidationFailed(f"A reason of 1 to {REASON_MAX} printable characters is required.", field="reason")
    if org.suspended_at is not None:
        raise Conflict("The organization is suspended already.")
    org.update(actions=[Organization.suspended_at.set(clock.now()), Organization.suspension_reason.set(reason)],
               condition=Organization.org_id.exists())


def unsuspend(org: Organization) -> None:
    if org.suspended_at is None:
        raise Conflict("The organization is not suspended.")
    if org.suspension_reason == DELETING:
        raise Conflict("The organization is being deleted; run org-delete again to finish.")
    org.update(actions=[Organization.suspended_at.remove(), Organization.suspension_reason.remove()],
               condition=Organization.org_id.exists())
