"""Proof of the mailbox before a public booking stands (Cal.com's "requires booker email verification").

With the org's `require_email_verification` on (the default), a public booking is a pending hold: it
blocks its time for HOLD_MINUTES and belongs to nobody. The typed address gets a 6-digit code and a
link; either one confirms the hold, which only then is attached to the customer with that address
(found or made). A typed address proves nothing by itself, so every public booking is proven, even by
an address the org knows. Holds count toward limits per address, per source address and per org.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.email_address import inbox_of
from chalicelib.errors import (
    AlreadyConfirmed,
    HoldExpired,
    NotFound,
    SlotUnavailable,
    TooManyAttempts,
    VerificationFailed,
)
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.services import customers, rate_limits
from chalicelib.services.booking import bookings
from chalicelib.services.booking.bookings import CONFIRMED, PENDING, Actor, Hold, NewBooking
from chalicelib.services.booking.idempotency import IdempotencyKey
from chalicelib.services.booking.mail import send_verification_mail
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.sessions import token_hash

HOLD_MINUTES = 15
MAX_CODE_ATTEMPTS = 5


def public_booking(org: Organization, actor: Actor, contact: customers.CustomerDetails, wanted: NewBooking,
                   idempotency: IdempotencyKey | None) -> tuple[int, dict[str, Any]]:
    """A hold waiting for the mailbox's proof (202), or, with verification off, the booking itself (201)."""
    if not policy_of(org).require_email_verification:
        customer_id, new_customer = customers.prepare(org.org_id, contact)  # written with the booking, or not at all
        return bookings.book(actor, customer_id, wanted, idempotency, new_customer=new_customer)
    replay = idempotency.previous() if idempotency else None
    if replay:
        return replay.status_code, replay.body
    if bookings.lost_already(actor, wanted):
        raise SlotUnavailable()  # a lost race: answered before any turn of a limit is taken and given back
    counted = _hold_limits(org.org_id, contact.email, actor)
    rate_limits.take_all(counted)  # before the hold: however many requests race, at most each limit get one
    code, token = f"{secrets.randbelow(10 ** 6):06d}", secrets.token_urlsafe(32)

    made: list[Booking] = []

    def held(booking: Booking) -> None:
        made.append(booking)
        send_verification_mail(org, contact.email, code, confirm_url(org, booking.booking_id, token), HOLD_MINUTES,
                               booking.locale)

    hold = Hold(contact={k: v for k, v in asdict(contact).items() if v is not None},
                verification={"code": code, "token_hash": token_hash(token)},
                expires_at=clock.now() + timedelta(minutes=HOLD_MINUTES), on_commit=held)
    try:
        answer = bookings.book(actor, bookings.UNVERIFIED, wanted, idempotency, hold)
    except Exception:
        if not made:
            rate_limits.give_back_all(counted)  # no hold was made (slot taken, outage): its turns are given back
        raise
    if not made:
        rate_limits.give_back_all(counted)  # a replay of an earlier request: that one paid
    return answer


def confirm(actor: Actor, booking_id: str, code: str | None, token: str | None) -> dict[str, Any]:
    """Confirm a hold with the e-mailed code or the link's token; attempts per hold are bounded."""
    booking = _hold(actor.org_id, booking_id)
    _count_attempt(actor, booking)
    secret = booking.unseal()["verification"]
    proven = (code is not None and hmac.compare_digest(code.encode(), secret["code"].encode())) or (
        token is not None and hmac.compare_digest(token_hash(token), secret["token_hash"]))
    if not proven:
        raise VerificationFailed(field="code" if code is not None else "token")
    contact = customers.CustomerDetails(**booking.unseal()["contact"])
    customer_id, new_customer = customers.prepare(actor.org_id, contact)  # written with the confirmation, or not at all
    return bookings.confirm_hold(actor, booking, customer_id, new_customer)


def confirm_url(org: Organization, booking_id: str, token: str) -> str:
    """The e-mailed link: the booking page confirms with the token from its fragment (never sent in a URL)."""
    return f"{settings().public_url}/book/{org.slug}#confirm/{booking_id}/{token}"


def _hold(org_id: str, booking_id: str) -> Booking:
    try:
        booking = Booking.get(org_id, booking_id, consistent_read=True)
    except Booking.DoesNotExist as error:
        raise NotFound("No such booking.") from error
    if booking.status == CONFIRMED:
        raise AlreadyConfirmed()
    if bookings.effective_status(booking) != PENDING:
        raise HoldExpired()
    return booking


def _count_attempt(actor: Actor, booking: Booking) -> None:
    """One more try against this hold (atomic); past MAX_CODE_ATTEMPTS the hold is released."""
    try:
        booking.update(actions=[Booking.code_attempts.add(1)],
                       condition=(Booking.status == PENDING) & (Booking.code_attempts < MAX_CODE_ATTEMPTS))
    except UpdateError as error:
        bookings.release_hold(actor, booking)
        raise TooManyAttempts("Too many wrong codes: the time was released; book again.") from error


def _hold_limits(org_id: str, email: str, actor: Actor) -> list[tuple[rate_limits.Limit, str]]:
    return [(rate_limits.HOLDS_PER_EMAIL, customers.email_index(org_id, inbox_of(email))),  # +tags: one inbox
            (rate_limits.holds_per_ip(), actor.origin.source_ip or "unknown"),
            (rate_limits.HOLDS_PER_ORG, org_id)]
