"""Customers' secret links: a manage link per booking, and a short "all my bookings" link.

The token is 256 random bits shown once (in an e-mail or the booking answer); only its SHA-256 is
stored. It travels in the URL fragment, which browsers never send, and reaches the API in the
`X-Manage-Token` header, so it never sits in a query string, an access log or a Referer.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import NotFound, Unauthenticated
from chalicelib.models.booking import AccessGrant, Booking
from chalicelib.models.organization import Organization
from chalicelib.services.identity.sessions import token_hash  # the same SHA-256 of an opaque secret
from chalicelib.services.org_lifecycle.status import refuse_if_suspended

BOOKING_LINK_AFTER_END = timedelta(days=30)
CUSTOMER_LINK_LIFETIME = timedelta(hours=1)


def new_grant(org_id: str, customer_id: str, booking_id: str | None, expires_at: datetime) -> tuple[str, AccessGrant]:
    """A fresh token and its (unsaved) grant."""
    token = secrets.token_urlsafe(32)
    grant = AccessGrant(token_hash(token), org_id=org_id, customer_id=customer_id, booking_id=booking_id,
                        expires_at=expires_at, ttl=int(expires_at.timestamp()))
    return token, grant


def booking_grant(booking: Booking) -> tuple[str, AccessGrant]:
    return new_grant(booking.org_id, booking.customer_id, booking.booking_id,
                     booking.ends_at + BOOKING_LINK_AFTER_END)


def customer_link(org_id: str, customer_id: str) -> str:
    """Save a one-hour grant to every booking of the customer; returns its page URL."""
    token, grant = new_grant(org_id, customer_id, None, clock.now() + CUSTOMER_LINK_LIFETIME)
    grant.save()
    return f"{settings().public_url}/my/bookings#{token}"


def manage_url(booking_id: str, token: str) -> str:
    return f"{settings().public_url}/manage/{booking_id}#{token}"


def grant_for(token: str | None) -> AccessGrant:
    """The live grant of `token`; a missing token is 401, an unknown or expired one 404."""
    grant = _live_grant(token)
    refuse_if_suspended(Organization.get(grant.org_id))
    return grant


def _live_grant(token: str | None) -> AccessGrant:
    """`grant_for` without the org's suspension check (its caller reads the org itself)."""
    if not token:
        raise Unauthenticated("Send the link's token in the X-Manage-Token header.")
    try:
        grant = AccessGrant.get(token_hash(token))
    except AccessGrant.DoesNotExist as error:
        raise NotFound("No such booking.") from error
    if grant.expires_at <= clock.now():
        raise NotFound("No such booking.")
    return grant


def booking_and_org_for(token: str | None, booking_id: str) -> tuple[Booking, Organization]:
    """`booking_for` and the booking's org, in two reads: the grant, then the org and the booking together
    (one BatchGetItem, both consistent: a suspension or a change is seen at once)."""
    from chalicelib.models.batch_read import read_many

    grant = _live_grant(token)
    if grant.booking_id not in (None, booking_id):
        raise NotFound("No such booking.")
    org, booking = read_many([(Organization, grant.org_id, None), (Booking, grant.org_id, booking_id)])
    if not isinstance(org, Organization) or not isinstance(booking, Booking):
        raise NotFound("No such booking.")
    refuse_if_suspended(org)
    if booking.customer_id != grant.customer_id:
        raise NotFound("No such booking.")
    return booking, org


def booking_for(token: str | None, booking_id: str) -> Booking:
    """The booking `token` grants, or the same 404 whether it is another's, unknown or expired."""
    grant = grant_for(token)
    if grant.booking_id not in (None, booking_id):
        raise NotFound("No such booking.")
    try:
        booking = Booking.get(grant.org_id, booking_id, consistent_read=True)
    except Booking.DoesNotExist as error:
        raise NotFound("No such booking.") from error
    if booking.customer_id != grant.customer_id:
        raise NotFound("No such booking.")
    return booking
