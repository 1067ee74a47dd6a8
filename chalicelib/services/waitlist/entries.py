"""Joining the waitlist, offering a freed time, and taking it.

A patient with a booking asks for an earlier time (any staff member or the same one, from a day on).
When a booking is cancelled, `backfill` offers its time to the first OFFERS_PER_OPENING waiting patients
whose wish it fits, in the order they asked, by e-mail with a secret link valid OFFER_MINUTES. The first
to accept gets it: accepting reschedules their booking into the freed time, and the booking service's
slot locks (one transaction, `attribute_not_exists`) let exactly one of them in; the other is told the time
is gone (409 slot_unavailable) and stays on the list. Every step is on the audit chain (ids only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import Conflict, NotFound, SlotUnavailable, ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.booking import Booking
from chalicelib.models.waitlist import WaitlistEntry
from chalicelib.services import audit, customers, notify
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.organizations import org_by_id

OFFERS_PER_OPENING = 2
OFFER_MINUTES = 30
WAITING, OFFERED, MOVED = "waiting", "offered", "moved"


def join(booking: Booking, earliest: datetime | None, same_staff: bool, origin: audit.Origin) -> dict[str, Any]:
    """Put the booking's patient on the waitlist for an earlier time than the booking's own."""
    if booking.status != calendar.CONFIRMED:
        raise Conflict("Only a confirmed booking can wait for an earlier time.")
    now = clock.now()
    start = max(earliest or now, now)
    if start >= booking.starts_at:
        raise ValidationFailed("'earliest' must be before the booking.", field="earliest")
    entry = WaitlistEntry(booking.org_id, f"{time.time_ns():020d}-{uuid.uuid4().hex}", booking_id=booking.booking_id,
                          customer_id=booking.customer_id, service_id=booking.service_id,
                          staff_id=booking.staff_id if same_staff else None, earliest=start, latest=booking.starts_at,
                          status=WAITING, created_at=now, ttl=int((booking.starts_at + timedelta(days=1)).timestamp()))
    entry.save()
    audit.record(booking.org_id, "customer", "waitlist.joined", origin=origin,
                 subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id,
                           "entry_id": entry.entry_id})
    return entry_view(entry)


def backfill(freed: Booking) -> int:
    """Offer the cancelled booking's time to the next matching patients; how many were offered. Never
    fails the cancellation that freed it (a failure is logged by kind)."""
    try:
        return _offer_to_next(freed)
    except Exception as error:
        logger.warning("waitlist backfill failed", extra={"error_type": type(error).__name__})
        return 0


def accept(org_id: str, entry_id: str, token: str, origin: audit.Origin) -> Booking:
    """Move the patient's booking into the offered time, if it is still free (else 409 and back to waiting)."""
    entry = _get(org_id, entry_id)
    if entry.status != OFFERED or not entry.offer_hash or not hmac.compare_digest(entry.offer_hash, _hash(token)):
        raise NotFound("No such offer.")
    subjects = {"entry_id": entry_id, "booking_id": entry.booking_id, "customer_id": entry.customer_id}
    if entry.offer_expires_at is None or entry.offer_expires_at <= clock.now():
        _back_to_waiting(entry)
        audit.record(org_id, "customer", "waitlist.offer_expired", origin=origin, subjects=subjects)
        raise Conflict("The offer has expired.")
    booking = calendar.get_booking(org_id, entry.booking_id)
    actor = calendar.Actor(org_id, "customer", origin, is_staff=False)
    assert entry.offer_start is not None
    try:
        moved = calendar.reschedule(actor, booking, entry.offer_start, entry.offer_staff_id)
    except (SlotUnavailable, Conflict):
        _back_to_waiting(entry)
        audit.record(org_id, "customer", "waitlist.offer_lost", origin=origin, subjects=subjects, outcome="failure")
        raise
    entry.update(actions=[WaitlistEntry.status.set(MOVED), WaitlistEntry.offer_hash.remove()])
    audit.record(org_id, "customer", "waitlist.accepted", origin=origin, subjects=subjects)
    return moved


def entry_view(entry: WaitlistEntry) -> dict[str, Any]:
    return {"id": entry.entry_id, "booking_id": entry.booking_id, "status": entry.status,
            "earliest": clock.isoformat(entry.earliest), "latest": clock.isoformat(entry.latest),
            "staff_id": entry.staff_id}


def _offer_to_next(freed: Booking) -> int:
    now = clock.now()
    fits = [e for e in WaitlistEntry.query(freed.org_id, consistent_read=True)
            if e.status == WAITING and e.service_id == freed.service_id and e.staff_id in (None, freed.staff_id)
            and e.earliest <= freed.starts_at < e.latest and e.booking_id != freed.booking_id
            and freed.starts_at > now]
    offered = 0
    for entry in fits:
        if offered >= OFFERS_PER_OPENING:
            break
        token = secrets.token_urlsafe(32)
        try:
            entry.update(actions=[WaitlistEntry.status.set(OFFERED), WaitlistEntry.offer_hash.set(_hash(token)),
                                  WaitlistEntry.offer_start.set(freed.starts_at),
                                  WaitlistEntry.offer_staff_id.set(freed.staff_id),
                                  WaitlistEntry.offer_expires_at.set(now + timedelta(minutes=OFFER_MINUTES))],
                         condition=WaitlistEntry.status == WAITING)
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                continue  # offered by another cancellation meanwhile
            raise
        _mail_offer(entry, token)
        audit.record(freed.org_id, "waitlist", "waitlist.offered",
                     subjects={"entry_id": entry.entry_id, "booking_id": entry.booking_id,
                               "customer_id": entry.customer_id, "freed_booking_id": freed.booking_id})
        offered += 1
    return offered


def _mail_offer(entry: WaitlistEntry, token: str) -> None:
    """To the address on the patient's record; the link's secret is in the fragment (never sent to servers)."""
    org = org_by_id(entry.org_id)
    contact = customers.contact_of(entry.org_id, entry.customer_id)
    link = f"{settings().public_url}/book/{org.slug}#waitlist/{entry.entry_id}/{token}"
    assert entry.offer_start is not None
    when = entry.offer_start.astimezone(clock.zone(org.timezone, "timezone")).strftime("%A %d %B %Y, %H:%M")
    text = (f"An earlier time is free at {org.name}: {when} ({org.timezone}).\n\n"
            f"The first patient to accept gets it; this offer ends in {OFFER_MINUTES} minutes:\n{link}\n\n"
            "If you do nothing, your booking stays as it is.")
    notify.send_email(contact.email, f"{org.name}: an earlier appointment is free", text)


def _back_to_waiting(entry: WaitlistEntry) -> None:
    """The patient keeps waiting for the next opening (unless something else changed the entry meanwhile)."""
    try:
        entry.update(actions=[WaitlistEntry.status.set(WAITING), WaitlistEntry.offer_hash.remove()],
                     condition=WaitlistEntry.status == OFFERED)
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise


def _get(org_id: str, entry_id: str) -> WaitlistEntry:
    try:
        return WaitlistEntry.get(org_id, entry_id, consistent_read=True)
    except WaitlistEntry.DoesNotExist as error:
        raise NotFound("No such offer.") from error


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
