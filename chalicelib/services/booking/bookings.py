"""Booking, rescheduling and cancelling: each one transaction over the booking and its slot locks.

A booking holds each 5-minute granule of its busy span (appointment and buffers) as one slot of its staff
member's hour lock items, taken with one conditional update per hour item (`slot_locks`). Two bookings that
overlap in any granule can therefore never both commit, however the requests race (architecture decision 4).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib import clock, outages
from chalicelib.config import settings
from chalicelib.crypto import shred_keys
from chalicelib.errors import BookingCancelled, Conflict, HoldExpired, NotFound, SlotUnavailable, TooLateToChange
from chalicelib.logs import logger
from chalicelib.models.audit import AuditOutboxEntry
from chalicelib.models.booking import AccessGrant, Booking, IdempotencyRecord
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.customer import Customer
from chalicelib.models.shred_key import ShredKey
from chalicelib.models.transactions import commit, new_request_token
from chalicelib.services import audit, customers, hot_cache
from chalicelib.services.booking import catalog, grants, mail_handoff, slot_locks
from chalicelib.services.booking.availability import Rules, busy_span, is_offered
from chalicelib.services.booking.idempotency import IdempotencyKey
from chalicelib.services.booking.mail import BookingMail, send_booking_mail
from chalicelib.services.booking.texts import send_booking_text
from chalicelib.services.booking.timeline import granules
from chalicelib.services.organizations import org_by_id

PENDING, CONFIRMED, CANCELLED = "pending", "confirmed", "cancelled"
EXPIRED = "expired"  # shown for a pending hold past its time (stored status stays "pending")
UNVERIFIED = ""  # the customer id of a pending hold: nobody's until the mailbox is proven
LOCK_KEPT_FOR = slot_locks.LOCK_KEPT_FOR  # after its hour has passed


@dataclass(frozen=True)
class Actor:
    """Who changes a booking: a staff user (booking rules for staff) or the customer themselves."""

    org_id: str
    actor_id: str  # a user id, or "customer"
    origin: audit.Origin
    is_staff: bool


@dataclass(frozen=True)
class PatientPreferences:
    """How the patient wants to hear about the booking: their zone, locale and a number for texts."""

    timezone: str | None = None
    locale: str | None = None
    sms_to: str | None = None  # E.164; only when they opted in


@dataclass(frozen=True)
class NewBooking:
    service_id: str
    start: datetime
    staff_id: str | None = None
    notes: str | None = None
    policy_version: int | None = None  # the privacy policy in force when a customer booked
    patient: PatientPreferences | None = None


@dataclass(frozen=True)
class Hold:
    """A pending booking: it blocks its time until `expires_at` and belongs to nobody until proven.

    `contact` and `verification` are sealed on the booking; `on_commit` runs once the hold is written
    (it mails the code), never for a replayed request."""

    contact: dict[str, Any]
    verification: dict[str, str]
    expires_at: datetime
    on_commit: Callable[[Booking], None]


def book(actor: Actor, customer_id: str, request: NewBooking, idempotency: IdempotencyKey | None = None,
         hold: Hold | None = None, new_customer: Customer | None = None) -> tuple[int, dict[str, Any]]:
    """Book the first offered staff member whose locks are free; 409 `slot_unavailable` otherwise.

    With a `hold` the booking is pending (202, no manage link) until `confirm_hold`. A `new_customer`
    (customer_id's record, not yet written) is written in the booking's transaction: no booking, no record."""
    try:
        return _book(actor, customer_id, request, idempotency, hold, new_customer)
    finally:
        shred_keys.forget_unstored_keys()  # a new customer's key that no transaction wrote


def _book(actor: Actor, customer_id: str, request: NewBooking, idempotency: IdempotencyKey | None,
          hold: Hold | None, new_customer: Customer | None) -> tuple[int, dict[str, Any]]:
    """`book`. The idempotency record is looked for only when something refuses (its condition in the
    transaction makes a second booking with one key impossible): a first request reads nothing for it."""
    try:
        service = _active_service(actor.org_id, request.service_id)
        offering = list(_offering_staff(actor, service, request))
    except (NotFound, SlotUnavailable):
        return _replay_or_raise(idempotency)
    rechecked = False
    while offering:
        staff = offering[0]
        if _taken_now(actor.org_id, staff, service, request):  # a lost race, known before any seal or write
            replay = idempotency.previous() if idempotency else None
            if replay:
                return replay.status_code, replay.body
            offering.pop(0)
            continue
        booking = _new_booking(actor.org_id, customer_id, service, staff, request, hold)
        status, body, grant = _first_answer(booking, hold)
        record = idempotency.record(status, body, customer_id) if idempotency else None
        entry = _entry(actor, "booking.held" if hold else "booking.created", booking)
        if _commit_new(booking, staff, grant, record, hold, entry, new_customer):
            _after_commit(booking, hold, new_customer, str(body.get("manage_url", "")))
            return status, body
        replay = idempotency.previous() if idempotency else None
        if replay:
            return replay.status_code, replay.body
        if new_customer is not None and _customer_exists(actor.org_id, customer_id):
            new_customer = None  # a booking with the same address made the record meanwhile: book with it
            shred_keys.forget_unstored_keys()  # and with its stored key, not the one made here
            continue
        if new_customer is None:
            _require_customer(actor.org_id, customer_id)  # erased meanwhile: 404, not "slot taken"
        rechecked = _next_offering(actor, service, request, offering, rechecked)
    raise SlotUnavailable()


def _replay_or_raise(idempotency: IdempotencyKey | None) -> tuple[int, dict[str, Any]]:
    """Inside an `except`: the first answer to this key, or the exception being handled."""
    replay = idempotency.previous() if idempotency else None
    if replay is None:
        raise  # called from an except block: re-raises what it handles
    return replay.status_code, replay.body


def _next_offering(actor: Actor, service: Service, request: NewBooking, offering: list[StaffMember],
                   rechecked: bool) -> bool:
    """After a refusal: drop the member whose granules are taken, unless their hours were stale in the
    cache (ADR 0020): then check the start against the stored hours, once. Returns whether it rechecked."""
    fresh = None if rechecked else _changed_since(offering[0])
    if fresh is None:
        offering.pop(0)  # these granules are taken: try the next staff member who offers the start
        return rechecked
    hot_cache.forget_org(actor.org_id)
    offering[0:1] = [fresh] if is_offered(service, fresh, request.start, _rules(actor)) else []
    return True


def _after_commit(booking: Booking, hold: Hold | None, new_customer: Customer | None, link: str) -> None:
    if new_customer is not None and new_customer.new_key is not None:
        shred_keys.key_stored(new_customer.new_key)
    if hold:
        hold.on_commit(booking)
        audit.build_soon(booking.org_id)
    else:
        mail_handoff.hand_off("confirmed", booking, link)  # and the audit entry's chaining


def lost_already(actor: Actor, request: NewBooking) -> bool:
    """Whether every staff member offering the wanted start holds it now (consistent reads): the loser of a
    race is told 409 before it takes a turn of any limit, seals or writes (issue 23). `book` still decides
    in its transaction; this only answers the certain losers early."""
    service = _active_service(actor.org_id, request.service_id)
    return all(_taken_now(actor.org_id, staff, service, request) for staff in _offering_staff(actor, service, request))


def _commit_new(booking: Booking, staff: StaffMember, grant: AccessGrant | None, record: IdempotencyRecord | None,
                hold: Hold | None, entry: AuditOutboxEntry, new_customer: Customer | None = None) -> bool:
    """Write a new booking (or hold), its locks, its manage grant, its idempotency record and its audit entry
    (and a new customer's record and shred key); False if refused. The caller hands the entry's chaining
    off once committed (best effort: the sweep finishes it)."""
    def write(tx: TransactWrite) -> None:
        tx.save(booking, condition=Booking.booking_id.does_not_exist())
        _customer_in(tx, booking.org_id, booking.customer_id, new_customer)
        audit.add_to(tx, entry)
        _schedule_unchanged(tx, staff)
        _take_locks(tx, _locks_of(booking), booking.booking_id, booking.granules, hold)
        if grant:
            tx.save(grant)
        if record:
            tx.save(record, condition=IdempotencyRecord.key.does_not_exist())

    return commit(write, booking.booking_id, applied=lambda: _exists(booking))


def confirm_hold(actor: Actor, booking: Booking, customer_id: str,
                 new_customer: Customer | None = None) -> dict[str, Any]:
    """Give a proven hold to its customer: the booking and each of its locks lose their expiry together."""
    sealed = {k: v for k, v in booking.unseal().items() if k in ("notes", "sms_to")}
    booking.customer_id, booking.customer_key = customer_id, f"{booking.org_id}/{customer_id}"
    booking.seal(sealed)
    token, grant = grants.booking_grant(booking)
    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=[
            Booking.status.set(CONFIRMED), Booking.customer_id.set(customer_id),
            Booking.customer_key.set(booking.customer_key), Booking.sealed.set(booking.sealed),
            Booking.hold_expires_at.remove(), Booking.code_attempts.remove(),
            Booking.updated_at.set(clock.now()),
        ], condition=(Booking.status == PENDING) & (Booking.hold_expires_at > clock.now()))
        slot_locks.confirm(tx, _locks_of(booking), booking.booking_id, booking.granules)
        tx.save(grant)
        _customer_in(tx, booking.org_id, customer_id, new_customer)
        audit.add_to(tx, _entry(actor, "booking.confirmed", booking))

    try:
        committed = commit(write, new_request_token(),
                           applied=lambda: _reload(booking).customer_id == customer_id)
        if not committed and new_customer is not None and _customer_exists(booking.org_id, customer_id):
            return confirm_hold(actor, booking, customer_id)  # the same address's record was made meanwhile
        if not committed:
            raise HoldExpired()
        if new_customer is not None and new_customer.new_key is not None:
            shred_keys.key_stored(new_customer.new_key)
    finally:
        shred_keys.forget_unstored_keys()
    confirmed = _reload(booking)
    link = grants.manage_url(booking.booking_id, token)
    mail_handoff.hand_off("confirmed", confirmed, link)  # and the audit entry's chaining
    return {"booking": public_view(confirmed), "manage_url": link}


def release_hold(actor: Actor, booking: Booking) -> None:
    """Give up a hold (too many wrong codes): its time is free at once, not only when it expires."""
    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=[Booking.status.set(CANCELLED), Booking.granules.set([]),
                                    Booking.updated_at.set(clock.now())],
                  condition=(Booking.status == PENDING) & (Booking.hold_expires_at > clock.now()))
        _release_locks(tx, _locks_of(booking), booking.booking_id, booking.granules)
        audit.add_to(tx, _entry(actor, "booking.released", booking))

    if commit(write, new_request_token(), applied=lambda: _reload(booking).status == CANCELLED):
        audit.build_after_commit(booking.org_id)
    # otherwise already expired, confirmed or released: nothing of it blocks anyone now


def reschedule(actor: Actor, booking: Booking, start: datetime, staff_id: str | None = None) -> Booking:
    """Move a booking: release the old locks and take the new ones in one transaction. The catalog comes
    from the hot-path cache; stale hours refuse the transaction (its staff version check) and are read
    again once."""
    try:
        return _reschedule(actor, booking, start, staff_id)
    except SlotUnavailable:
        staff = catalog.cached_staff_member(booking.org_id, staff_id or booking.staff_id)
        if _changed_since(staff) is None:
            raise
        hot_cache.forget_org(booking.org_id)
        return _reschedule(actor, booking, start, staff_id)


def _reschedule(actor: Actor, booking: Booking, start: datetime, staff_id: str | None) -> Booking:
    service = catalog.cached_service(booking.org_id, booking.service_id)
    _check_changeable(actor, booking, service)
    staff = catalog.cached_staff_member(booking.org_id, staff_id or booking.staff_id)
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
        released = [g for g in booking.granules if g not in keep]
        taken = [g for g in new_granules if g not in keep]
        if same_staff:  # one update per hour item, whether it gives slots back, takes some, or both
            slot_locks.change(tx, _locks_of(booking), booking.booking_id, int(clock.now().timestamp()),
                              take=taken, release=released)
        else:
            _release_locks(tx, _locks_of(booking), booking.booking_id, released)
            _take_locks(tx, staff_key(booking.org_id, staff.staff_id), booking.booking_id, taken)

    if not commit(write, token, applied=lambda: _reload(booking).last_write == token):
        raise _why_not_committed(booking)
    moved = _as_changed(booking, changes, token)
    mail_handoff.hand_off("rescheduled", moved)  # and the audit entry's chaining
    return moved


def cancel(actor: Actor, booking: Booking, reason: str | None) -> Booking:
    """Cancel a booking and free its time in one transaction; the reason is sealed."""
    service = catalog.cached_service(booking.org_id, booking.service_id)
    _check_changeable(actor, booking, service)
    sealed = dict(booking.unseal(), cancel_reason=reason) if reason else booking.unseal()
    booking.seal(sealed)
    token = new_request_token()
    changes = {"status": CANCELLED, "granules": [], "sealed": booking.sealed, "updated_at": clock.now()}

    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=_change_actions(changes, token), condition=_unchanged(booking))
        audit.add_to(tx, _entry(actor, "booking.cancelled", booking))
        _release_locks(tx, _locks_of(booking), booking.booking_id, booking.granules)

    if not commit(write, token, applied=lambda: _reload(booking).last_write == token):
        raise _why_not_committed(booking)
    cancelled = _as_changed(booking, changes, token)
    mail_handoff.hand_off("cancelled", cancelled)  # and the audit entry's chaining
    return cancelled


def get_booking(org_id: str, booking_id: str) -> Booking:
    try:
        return Booking.get(org_id, booking_id, consistent_read=True)
    except Booking.DoesNotExist as error:
        raise NotFound("No such booking.") from error


def public_view(booking: Booking) -> dict[str, Any]:
    """What the customer sees of a booking (and what the public API returns)."""
    view = {"id": booking.booking_id, "start": clock.isoformat(booking.starts_at),
            "end": clock.isoformat(booking.ends_at), "service_id": booking.service_id,
            "staff_id": booking.staff_id, "status": effective_status(booking)}
    if booking.status == PENDING and booking.hold_expires_at:
        view["hold_expires_at"] = clock.isoformat(booking.hold_expires_at)
    return view


def effective_status(booking: Booking) -> str:
    """The stored status, except that a pending hold past its time reads as expired."""
    expired = booking.status == PENDING and (booking.hold_expires_at is None or booking.hold_expires_at <= clock.now())
    return EXPIRED if expired else str(booking.status)


def staff_key(org_id: str, staff_id: str) -> str:
    return f"{org_id}/{staff_id}"


# --- helpers ----------------------------------------------------------------------------------------

def _rules(actor: Actor) -> Rules:
    return Rules(now=clock.now(), enforce_notice=not actor.is_staff)


def _active_service(org_id: str, service_id: str) -> Service:
    service = catalog.cached_service(org_id, service_id)
    if not service.active:
        raise NotFound("No such service.")
    return service


def _offering_staff(actor: Actor, service: Service, request: NewBooking) -> list[StaffMember]:
    if request.staff_id:
        staff = [catalog.cached_staff_member(actor.org_id, request.staff_id)]
    else:
        staff = catalog.cached_staff(actor.org_id, active_only=True)
    rules = _rules(actor)
    offering = [member for member in staff if is_offered(service, member, request.start, rules)]
    if not offering:
        raise SlotUnavailable()
    return offering


def _new_booking(org_id: str, customer_id: str, service: Service, staff: StaffMember,
                 request: NewBooking, hold: Hold | None) -> Booking:
    now = clock.now()
    booking = Booking(
        org_id, uuid.uuid4().hex, service_id=service.service_id, staff_id=staff.staff_id,
        customer_id=customer_id, customer_key=f"{org_id}/{customer_id or 'unverified'}", starts_at=request.start,
        ends_at=request.start + timedelta(minutes=int(service.duration_minutes)),
        granules=granules(busy_span(service, request.start)), status=PENDING if hold else CONFIRMED,
        sequence=0, created_at=now, updated_at=now, policy_version=request.policy_version)
    patient = request.patient or PatientPreferences()
    booking.patient_timezone, booking.locale = patient.timezone, patient.locale
    booking.sms_opt_in = bool(patient.sms_to) or None
    sealed: dict[str, Any] = {k: v for k, v in {"notes": request.notes, "sms_to": patient.sms_to}.items() if v}
    if hold:
        booking.hold_expires_at, booking.code_attempts = hold.expires_at, 0
        sealed.update(contact=hold.contact, verification=hold.verification)
    booking.seal(sealed)
    return booking


def _first_answer(booking: Booking, hold: Hold | None) -> tuple[int, dict[str, Any], AccessGrant | None]:
    """A booking answers its manage link; a hold answers only that a code is on its way (no access yet)."""
    if hold:
        return 202, {"booking": public_view(booking), "verification": {
            "method": "email", "expires_at": clock.isoformat(hold.expires_at)}}, None
    token, grant = grants.booking_grant(booking)
    return 201, {"booking": public_view(booking), "manage_url": grants.manage_url(booking.booking_id, token)}, grant


def _schedule_unchanged(tx: TransactWrite, staff: StaffMember) -> None:
    """Commit only if the member's hours and time off are still those the start was checked against."""
    same = StaffMember.version == staff.version if staff.version else StaffMember.version.does_not_exist()
    tx.condition_check(StaffMember, staff.org_id, staff.staff_id, condition=same)


def _customer_still_there(tx: TransactWrite, org_id: str, customer_id: str) -> None:
    """Commit only while the customer exists: a booking racing their erasure (which deletes the record
    first, then sweeps their bookings) either is swept or never commits, so nothing of theirs returns."""
    if customer_id != UNVERIFIED:
        tx.condition_check(Customer, org_id, customer_id, condition=Customer.customer_id.exists())


def _taken_now(org_id: str, staff: StaffMember, service: Service, request: NewBooking) -> bool:
    """Whether a lock of the wanted time is held now (consistent reads): the transaction would be refused
    (`_take_locks`' condition), so the loser of a race answers 409 without sealing, writing or waiting."""
    return slot_locks.taken_now(staff_key(org_id, staff.staff_id), granules(busy_span(service, request.start)),
                                int(clock.now().timestamp()))


def _changed_since(staff: StaffMember) -> StaffMember | None:
    """The member as stored now, if their hours changed since `staff` was read (a stale cache); else None."""
    try:
        stored = StaffMember.get(staff.org_id, staff.staff_id, consistent_read=True)
    except StaffMember.DoesNotExist:
        return None
    return stored if stored.version != staff.version else None


def _customer_in(tx: TransactWrite, org_id: str, customer_id: str, new_customer: Customer | None) -> None:
    """A new customer's record (and its shred key, when its id is fresh) is written with the booking that
    names it (never without one); an existing customer must still exist."""
    if new_customer is not None:
        tx.save(new_customer, condition=Customer.customer_id.does_not_exist())
        if new_customer.new_key is not None:
            tx.save(new_customer.new_key.row, condition=ShredKey.subject.does_not_exist())
    else:
        _customer_still_there(tx, org_id, customer_id)


def _customer_exists(org_id: str, customer_id: str) -> bool:
    return bool(Customer.count(org_id, Customer.customer_id == customer_id, consistent_read=True))


def _require_customer(org_id: str, customer_id: str) -> None:
    if customer_id != UNVERIFIED and not Customer.count(org_id, Customer.customer_id == customer_id,
                                                        consistent_read=True):
        raise NotFound("No such customer.")


def _locks_of(booking: Booking) -> str:
    return staff_key(booking.org_id, booking.staff_id)


def _take_locks(tx: TransactWrite, key: str, booking_id: str, taken: list[int], hold: Hold | None = None) -> None:
    """Lock each granule if it is free: never locked, or locked by a pending hold whose time has passed."""
    slot_locks.change(tx, key, booking_id, int(clock.now().timestamp()), take=taken,
                      hold_until=int(hold.expires_at.timestamp()) if hold else None)


def _release_locks(tx: TransactWrite, key: str, booking_id: str, released: list[int]) -> None:
    """Give back each granule `booking_id` still holds (never another booking's)."""
    slot_locks.change(tx, key, booking_id, int(clock.now().timestamp()), release=released)


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
    subjects = {"booking_id": booking.booking_id, "customer_id": booking.customer_id,  # none yet for a hold
                "staff_id": staff_id or booking.staff_id}
    return audit.entry(actor.org_id, actor.actor_id, action, origin=actor.origin,
                       subjects={name: value for name, value in subjects.items() if value})


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


def mail_with_link(kind: str, booking: Booking, link: str) -> bool:
    """A mail with the manage link given (or, with "", the booking page: a cancellation's)."""
    return _mail(kind, booking, link, Offer())


def _mail(kind: str, booking: Booking, link: str, known: Offer) -> bool:
    """E-mail the customer (and text them if they opted in); False if the e-mail failed.

    A booking stands whatever the mail server or SNS does."""
    try:
        org = org_by_id(booking.org_id)
        contact = customers.contact_of(booking.org_id, booking.customer_id)
        service = known.service or catalog.get_service(booking.org_id, booking.service_id)
        staff = known.staff or catalog.get_staff(booking.org_id, booking.staff_id)
        if not contact.email:  # added by the front desk with a phone only (or nothing): a text, if any
            from chalicelib.services.booking.phone_texts import text_without_email
            from chalicelib.services.booking.wording import appointment_of

            return text_without_email(kind, appointment_of(booking, service, staff, org), contact.phone)
        mail = BookingMail(kind, booking, service, staff, org, contact.email,
                           link or f"{settings().public_url}/book/{org.slug}")
        send_booking_mail(mail)
    except Exception as error:  # any mail failure leaves the committed booking alone
        logger.error("booking e-mail failed", extra={"booking_id": booking.booking_id,
                                                     "error_type": type(error).__name__})
        return False
    _text(kind, mail)
    return True


def _text(kind: str, mail: BookingMail) -> None:
    """The text message of a patient who opted in; a failure is logged, never raised."""
    if not mail.booking.sms_opt_in:
        return
    try:
        sms_to = mail.booking.unseal().get("sms_to")
        if sms_to:
            send_booking_text(kind, mail.appointment(), sms_to)
    except Exception as error:
        logger.error("booking text failed", extra={"booking_id": mail.booking.booking_id,
                                                   "error_type": type(error).__name__})
