"""An org's account status: active, suspended by an operator, or scheduled for deletion by its owner.

A suspended org is refused everywhere its people or patients reach it (sign-in, sessions, public API,
hosted pages) with 423 `org_suspended`; its data is kept. During a deletion's grace the org works as
usual and says so in `GET /v1/org`, so that every page can show a banner.
"""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.errors import OrgSuspended
from chalicelib.models.organization import Organization

ACTIVE = "active"
SUSPENDED = "suspended"
DELETION_SCHEDULED = "deletion_scheduled"


def status_of(org: Organization) -> str:
    if org.suspended_at is not None:
        return SUSPENDED
    if org.deletion_due_at is not None:
        return DELETION_SCHEDULED
    return ACTIVE


def refuse_if_suspended(org: Organization) -> Organization:
    """`org`, unless an operator suspended it: then 423 org_suspended."""
    if org.suspended_at is not None:
        raise OrgSuspended()
    return org


def describe(org: Organization) -> dict[str, Any]:
    """The org as its own staff see it, with its status and, while one is scheduled, the deletion."""
    deletion = None
    if org.deletion_due_at is not None:
        deletion = {"requested_at": clock.isoformat(org.deletion_requested_at),
                    "requested_by": org.deletion_requested_by, "deletes_at": clock.isoformat(org.deletion_due_at)}
    return {"id": org.org_id, "slug": org.slug, "name": org.name, "timezone": org.timezone,
            "status": status_of(org), "deletion": deletion}
