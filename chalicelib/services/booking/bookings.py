"""Booking, rescheduling and cancelling: each one transaction over the booking and its slot locks.

A booking holds one lock item per 5-minute granule of its busy span (appointment and buffers) in the
staff member's lock partition, each written with `attribute_not_exists`. Two bookings that overlap in
any granule can therefore never both commit, however the requests race (architecture decision 4).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import clock, outages
from chalicelib.config import settings
from chalicelib.errors import BookingCancelled, Conflict, NotFound, SlotUnavailable, TooLateToChange
from chalicelib.logs import logger
from chalicelib.models.audit import AuditOutboxEntry
from chalicelib.models.booking import AccessGrant, Booking, IdempotencyRecord, SlotLock
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.transactions import commit, new_request_token
from chalicelib.services import audit, customers
from chalicelib.services.booking import catalog, grants
from chalicelib.services.booking.availability import Rules, busy_span, is_offered
from chalicelib.services.booking.idempotency import IdempotencyKey
from chalicelib.services.booking.mail import BookingMail, send_booking_mail
from chalicelib.services.booking.timeline import GRANULE_SECONDS, granules
from chalicelib.services.organizations import org_by_id

CONFIRMED, CANCELLED = "confirmed", "cancelled"
LOCK_KEPT_FOR = timedelta(days=7)  # after its granule has passed


@dataclass(frozen=True)
class Actor:
    """Who changes a booking: a staff user (booking rules for staff) or the customer themselves."""

    org_id: str
    actor_id: str  # a user id, or "customer"
    origin: audit.Origin
    is_staff: bool


@dataclass(frozen=True)
class NewBooking:
    service_id: str
    start: datetime
    staff_id: str | None = None
    notes: str | None = None


def book(actor: Actor, customer_id: str, request: NewBooking,
         idempotency: IdempotencyKey | None = None) -> tuple[int, dict[str, Any]]:
    """Book the first offered staff member whose locks are free; 409 `slot_unavailable` otherwise."""
    replay = idempotency.previous() if idempotency else None
    if replay:
        return replay.status_code, replay.body
    service = _active_service(actor.org_id, request.service_id)
    for staff in _offering_staff(actor, service, request):
        booking = _new_booking(actor.org_id, customer_id, service, staff, request)
        token, grant = grants.booking_grant(booking)
        body: dict[str, Any] = {"booking": public_view(booking),
                                "manage_url": grants.manage_url(booking.booking_id, token)}
        record = idempotency.record(201, body) if idempotency else None
        if not _commit_new(booking, staff, grant, record, _entry(actor, "booking.created", booking)):
            replay = idempotency.previous() if idempotency else None
            if replay:
                return replay.status_code, replay.body
            continue  # these granules are taken: try the next staff member who offers the start
        _mail("confirmed", booking, str(body["manage_url"]), Offer(service, staff))
        return 201, body
    raise SlotUnavailable()


def _commit_new(booking: Booking, staff: StaffMember, grant: AccessGrant, record: IdempotencyRecord | None,
                entry: AuditOutboxEntry) -> bool:
    """Write a new booking, its locks, its manage grant, its idempotency record and its audit entry;
    False if refused. Once committed, the entry is chained (best effort: the sweep finishes it)."""
    def write(tx: TransactWrite) -> None:
        tx.save(booking, condition=Booking.booking_id.does_not_exist())
        audit.add_to(tx, entry)
        _schedule_unchanged(tx, staff)
        _take_locks(tx, _locks_of(booking), booking.booking_id, booking.granules)
        tx.save(grant)
        if record:
            tx.save(record, condition=IdempotencyRecord.key.does_not_exist())

    committed = commit(write, booking.booking_id, applied=lambda: _exists(booking))
    if committed:
        audit.build_after_commit(booking.org_id)
    return committed


def reschedule(actor: Actor, booking: Booking, start: datetime, staff_id: str | None = None) -> Booking:
    """Move a booking: release the old locks and take the new ones in one transaction."""
    service = catalog.get_service(booking.org_id, booking.service_id)
    _check_changeable(actor, booking, service)
    staff = catalog.get_staff(booking.org_id, staff_id or booking.staff_id)
    if not is_offered(service, staff, start, _rules(actor)):
        raise SlotUnavailable()
    new_granules = granules(busy_span(service, start))
    same_staff = staff.staff_id == booking.staff_id
    keep = set(booking.granules) & set(new_granules) if same_staff else set()
    token = new_request_token()
    changes = {"starts_at": start, "ends_at": start + timedelta(minutes=int(service.duration_minutes)),
               "staff_id": staff.staff_id, "granules": new_granules, "updated_at": clock.now()}

    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=_change_actions(changes, token), condition=_unchanged(booking))
        audit.add_to(tx, _entry(actor, "booking.rescheduled", booking, staff.staff_id))
        _schedule_unchanged(tx, staff)
        _release_locks(tx, _locks_of(booking), [g for g in booking.granules if g not in keep])
        _take_locks(tx, staff_key(booking.org_id, staff.staff_id), booking.booking_id,
                    [g for g in new_granules if g not in keep])

    if not commit(write, token, applied=lambda: _reload(booking).last_write == token):
        raise _why_not_committed(booking)
    audit.build_after_commit(booking.org_id)
    moved = _as_changed(booking, changes, token)
    send_update("rescheduled", moved, Offer(service, staff))
    return moved


def cancel(actor: Actor, booking: Booking, reason: str | None) -> Booking:
    """Cancel a booking and free its time in one transaction; the reason is sealed."""
    service = catalog.get_service(booking.org_id, booking.service_id)
    _check_changeable(actor, booking, service)
    sealed = dict(booking.unseal(), cancel_reason=reason) if reason else booking.unseal()
    booking.seal(sealed)
    token = new_request_token()
    changes = {"status": CANCELLED, "granules": [], "sealed": booking.sealed, "updated_at": clock.now()}

    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=_change_actions(changes, token), condition=_unchanged(booking))
        audit.add_to(tx, _entry(actor, "booking.cancelled", booking))
        _release_locks(tx, _locks_of(booking), booking.granules)

    if not commit(write, token, applied=lambda: _reload(booking).last_write == token):
        raise _why_not_committed(booking)
    audit.build_after_commit(booking.org_id)
    cancelled = _as_changed(booking, changes, token)
    _mail("cancelled", cancelled, "", Offer(service, None))
    return cancelled


def get_booking(org_id: str, booking_id: str) -> Booking:
    try:
        return Booking.get(org_id, booking_id, consistent_read=True)
    except Booking.DoesNotExist as error:
        raise NotFound("No such booking.") from error


def public_view(booking: Booking) -> dict[str, Any]:
    """What the customer sees of a booking (and what the public API returns)."""
    return {"id": booking.booking_id, "start": clock.isoformat(booking.starts_at),
            "end": clock.isoformat(booking.ends_at), "service_id": booking.service_id,
            "staff_id": booking.staff_id, "status": booking.status}


def staff_key(org_id: str, staff_id: str) -> str:
    return f"{org_id}/{staff_id}"


# --- helpers ----------------------------------------------------------------------------------------

def _rules(actor: Actor) -> Rules:
    return Rules(now=clock.now(), enforce_notice=not actor.is_staff)


def _active_service(org_id: str, service_id: str) -> Service:
    service = catalog.get_service(org_id, service_id)
    if not service.active:
        raise NotFound("No such service.")
    return service


def _offering_staff(actor: Actor, service: Service, request: NewBooking) -> list[StaffMember]:
    if request.staff_id:
        staff = [catalog.get_staff(actor.org_id, request.staff_id)]
    else:
        staff = catalog.list_staff(actor.org_id, active_only=True)
    rules = _rules(actor)
    offering = [member for member in staff if is_offered(service, member, request.start, rules)]
    if not offering:
        raise SlotUnavailable()
    return offering


def _new_booking(org_id: str, customer_id: str, service: Service, staff: StaffMember,
                 request: NewBooking) -> Booking:
    now = clock.now()
    booking = Booking(
        org_id, uuid.uuid4().hex, service_id=service.service_id, staff_id=staff.staff_id,
        customer_id=customer_id, customer_key=f"{org_id}/{customer_id}", starts_at=request.start,
        ends_at=request.start + timedelta(minutes=int(service.duration_minutes)),
        granules=granules(busy_span(service, request.start)), status=CONFIRMED, sequence=0,
        created_at=now, updated_at=now)
    booking.seal({"notes": request.notes} if request.notes else {})
    return booking


def _schedule_unchanged(tx: TransactWrite, staff: StaffMember) -> None:
    """Commit only if the member's hours and time off are still those the start was checked against."""
    same = StaffMember.version == staff.version if staff.version else StaffMember.version.does_not_exist()
    tx.condition_check(StaffMember, staff.org_id, staff.staff_id, condition=same)


def _locks_of(booking: Booking) -> str:
    return staff_key(booking.org_id, booking.staff_id)


def _take_locks(tx: TransactWrite, key: str, booking_id: str, taken: list[int]) -> None:
    for granule in taken:
        expires = (granule * GRANULE_SECONDS) + int(LOCK_KEPT_FOR.total_seconds())
        lock = SlotLock(key, granule, booking_id=booking_id, ttl=expires)
        tx.save(lock, condition=SlotLock.granule.does_not_exist())


def _release_locks(tx: TransactWrite, key: str, released: list[int]) -> None:
    for granule in released:
        tx.delete(SlotLock(key, granule))


def _exists(booking: Booking) -> bool:
    """Whether this new booking (a fresh id: nobody else writes it) is stored."""
    try:
        _reload(booking)
    except NotFound:
        return False
    return True


def _change_actions(changes: dict[str, Any], token: str) -> list[Any]:
    """The update of a change: its fields, the next sequence, and the token that marks it as ours."""
    return [*(getattr(Booking, name).set(value) for name, value in changes.items()), Booking.sequence.add(1),
            Booking.last_write.set(token)]


def _as_changed(booking: Booking, changes: dict[str, Any], token: str) -> Booking:
    """The booking as the committed change left it, without reading it again (a read that fails after
    the commit would report a done change as failed)."""
    changed = Booking.from_raw_data(booking.serialize())
    for name, value in changes.items():
        setattr(changed, name, value)
    changed.sequence, changed.last_write = booking.sequence + 1, token
    return changed


def _unchanged(booking: Booking) -> Any:
    return (Booking.status == CONFIRMED) & (Booking.sequence == booking.sequence)


def _check_changeable(actor: Actor, booking: Booking, service: Service) -> None:
    if booking.status != CONFIRMED:
        raise BookingCancelled()
    notice = timedelta(minutes=int(service.min_notice_minutes))
    if not actor.is_staff and booking.starts_at - clock.now() < notice:
        raise TooLateToChange()


def _why_not_committed(booking: Booking) -> Exception:
    current = _reload(booking)
    if current.status != CONFIRMED:
        return BookingCancelled()
    if current.sequence != booking.sequence:
        return Conflict("The booking changed meanwhile; reload it and try again.")
    return SlotUnavailable()


def _reload(booking: Booking) -> Booking:
    return get_booking(booking.org_id, booking.booking_id)


def _entry(actor: Actor, action: str, booking: Booking, staff_id: str | None = None) -> AuditOutboxEntry:
    """The audit entry that commits in the same transaction as the change to `booking` (whose staff
    member becomes `staff_id` when given)."""
    subjects = {"booking_id": booking.booking_id, "customer_id": booking.customer_id,
                "staff_id": staff_id or booking.staff_id}
    return audit.entry(actor.org_id, actor.actor_id, action, origin=actor.origin, subjects=subjects)


@dataclass(frozen=True)
class Offer:
    """The service and staff member of a booking, when the caller has them loaded already."""

    service: Service | None = None
    staff: StaffMember | None = None


def send_update(kind: str, booking: Booking, known: Offer = Offer()) -> bool:
    """E-mail the customer with a fresh manage link (the first one's token was never stored)."""
    token, grant = grants.booking_grant(booking)
    try:
        grant.save()
    except Exception as error:  # after a committed change: no link to send, but the change stands
        if not outages.is_transient(error):
            raise
        logger.error("manage link not saved", extra={"booking_id": booking.booking_id})
        return False
    return _mail(kind, booking, grants.manage_url(booking.booking_id, token), known)


def _mail(kind: str, booking: Booking, link: str, known: Offer) -> bool:
    """E-mail the customer; False if that failed. A booking stands whatever the mail server does."""
    try:
        org = org_by_id(booking.org_id)
        contact = customers.contact_of(booking.org_id, booking.customer_id)
        service = known.service or catalog.get_service(booking.org_id, booking.service_id)
        staff = known.staff or catalog.get_staff(booking.org_id, booking.staff_id)
        send_booking_mail(BookingMail(kind, booking, service, staff, org, contact.email, contact.name,
                                      link or f"{settings().public_url}/book/{org.slug}"))
    except Exception as error:  # any mail failure leaves the committed booking alone
        logger.error("booking e-mail failed", extra={"booking_id": booking.booking_id,
                                                     "error_type": type(error).__name__})
        return False
    return True
