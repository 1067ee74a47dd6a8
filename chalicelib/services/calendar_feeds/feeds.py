"""Issuing, revoking and reading a staff member's calendar feed URL.

The URL carries a 256-bit secret shown once, when it is made; only its SHA-256 is stored. A read finds the
feed through the `by-token` index and is then counted with an update conditioned on the item still holding
that hash, on the table itself: a revoked or replaced URL is refused (404) from the next read on, however
far the index lags. Every read is on the audit chain (ids only); the secret is in no log line or event.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.models.calendar_feed import CalendarFeed
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.booking.queries import require_own_staff
from chalicelib.services.identity.roles import Permission, Role, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.organizations import org_by_id

FEED_PATH = "/v1/calendar-feeds/"
SECRET_BYTES = 32
FEED_READER = "calendar-feed"  # the audit actor of a read: a calendar app holding the URL, not a signed-in user


@dataclass(frozen=True)
class LiveFeed:
    org_id: str
    staff_id: str


def issue(principal: Principal, staff_id: str) -> dict[str, Any]:
    """A new feed URL for `staff_id` (any earlier one stops working). Its secret is in this answer only."""
    _require_manager(principal, staff_id)
    catalog.get_staff(principal.org_id, staff_id)  # 404 for an unknown staff member
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = CalendarFeed(principal.org_id, staff_id, token_hash=token_hash(secret), created_at=clock.now(),
                        created_by=principal.user_id, reads=0)
    feed.save()
    audit.record(principal.org_id, principal.user_id, "calendar_feed.issued", origin=principal.origin,
                 subjects={"staff_id": staff_id})
    return {**feed_view(feed), "url": f"{settings().public_url}{FEED_PATH}{secret}"}


def revoke(principal: Principal, staff_id: str) -> None:
    """Stop the staff member's feed URL at once (the next read is a 404)."""
    _require_manager(principal, staff_id)
    feed = _get(principal.org_id, staff_id)
    feed.delete()
    audit.record(principal.org_id, principal.user_id, "calendar_feed.revoked", origin=principal.origin,
                 subjects={"staff_id": staff_id})


def status(principal: Principal, staff_id: str) -> dict[str, Any]:
    """When the URL was made and how often it was read; never the URL."""
    _require_manager(principal, staff_id)
    return feed_view(_get(principal.org_id, staff_id))


def feed_settings(principal: Principal) -> dict[str, Any]:
    require(principal.role, Permission.POLICY_READ)
    return {"show_initials": bool(org_by_id(principal.org_id).calendar_feed_initials)}


def change_feed_settings(principal: Principal, show_initials: Any) -> dict[str, Any]:
    """The clinic's opt-in to patients' initials in every feed (off by default: no patient data)."""
    require(principal.role, Permission.POLICY_MANAGE)
    if not isinstance(show_initials, bool):
        raise ValidationFailed("'show_initials' must be true or false.", field="show_initials")
    org = org_by_id(principal.org_id)
    org.update(actions=[Organization.calendar_feed_initials.set(show_initials)])
    audit.record(principal.org_id, principal.user_id, "calendar_feed.settings_changed", origin=principal.origin,
                 subjects={"show_initials": str(show_initials).lower()})
    return {"show_initials": show_initials}


def open_feed(secret: str, origin: audit.Origin) -> LiveFeed:
    """The live feed `secret` opens, counted and audited; NotFound for any other string."""
    if not 20 <= len(secret) <= 100:
        raise NotFound()
    hashed = token_hash(secret)
    found = next(iter(CalendarFeed.by_token.query(hashed, limit=1)), None)
    if found is None:
        raise NotFound()
    try:  # the item itself, not the index, decides: a revoked or replaced URL fails this condition
        found.update(actions=[CalendarFeed.reads.add(1), CalendarFeed.last_read_at.set(clock.now())],
                     condition=CalendarFeed.token_hash == hashed)
    except (UpdateError, PutError) as error:
        if _condition_failed(error):
            raise NotFound() from error
        raise
    audit.record(found.org_id, FEED_READER, "calendar_feed.read", origin=origin, subjects={"staff_id": found.staff_id})
    return LiveFeed(found.org_id, found.staff_id)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_view(feed: CalendarFeed) -> dict[str, Any]:
    return {"staff_id": feed.staff_id, "created_at": clock.isoformat(feed.created_at), "reads": int(feed.reads or 0),
            "last_read_at": clock.isoformat(feed.last_read_at) if feed.last_read_at else None}


def _get(org_id: str, staff_id: str) -> CalendarFeed:
    try:
        return CalendarFeed.get(org_id, staff_id, consistent_read=True)
    except CalendarFeed.DoesNotExist as error:
        raise NotFound("No calendar feed for this staff member.") from error


def _require_manager(principal: Principal, staff_id: str) -> None:
    """Owners and admins for anyone; a staff user for the staff members they work as."""
    if principal.role == Role.STAFF:
        require(principal.role, Permission.BOOKINGS_READ)
        require_own_staff(principal, staff_id)  # 403 for anyone else's
        return
    require(principal.role, Permission.CATALOG_MANAGE)


def _condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"
