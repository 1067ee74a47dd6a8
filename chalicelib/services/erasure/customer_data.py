"""What erasing one customer does to the tables, live or restored (the same code replays the ledger on
the tables a restore made, under their own names).

The customer record goes (with the blind index of their e-mail, which lives on it); so do their pending
holds (found by that blind index), their secret links and the idempotency records that answered their
bookings. Their bookings stay for the clinic's calendar and statistics, scrubbed: nothing sealed is
left on them, and they name an unlinkable tombstone instead of the customer (docs/adr/0011). Future
bookings are cancelled and free their time in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import DomainError
from chalicelib.models.audit import AuditOutboxEntry
from chalicelib.models.booking import AccessGrant, Booking, IdempotencyRecord, SlotLock
from chalicelib.models.customer import Customer
from chalicelib.models.rebound import on_table
from chalicelib.models.transactions import commit, new_request_token
from chalicelib.services.audit import add_to
from chalicelib.services.booking import slot_locks
from chalicelib.services.booking.bookings import CANCELLED, CONFIRMED, staff_key
from chalicelib.services.customers import email_index, forget_first_claim

ATTEMPTS = 5  # a booking changed meanwhile (rescheduled, cancelled) is read again and scrubbed as it is now
HOLDS_KEY = "unverified"  # the customer key of pending holds: "<org_id>/unverified"
# A cancelled future booking's audit entry, committed with the cancellation (live tables only).
EntryFor = Callable[[Booking], AuditOutboxEntry]


@dataclass(frozen=True)
class CustomerTables:
    """The tables that hold a customer's data: the live ones, or a restore's."""

    customers: type[Customer] | None = Customer
    bookings: type[Booking] | None = Booking
    locks: type[SlotLock] | None = SlotLock
    grants: type[AccessGrant] | None = AccessGrant
    idempotency: type[IdempotencyRecord] | None = IdempotencyRecord
    restored: bool = False  # unreadable idempotency records go too (their key material is destroyed)

    @classmethod
    def on(cls, names: Mapping[str, str]) -> CustomerTables:
        """The restored tables `names` (logical name -> table); a table not restored is left out."""
        def bound(model: Any, logical: str) -> Any:
            return on_table(model, names[logical]) if logical in names else None
        return cls(bound(Customer, "customers"), bound(Booking, "bookings"), bound(SlotLock, "slot_locks"),
                   bound(AccessGrant, "access_grants"), bound(IdempotencyRecord, "idempotency"), restored=True)


@dataclass
class Erased:
    """What one erasure removed, per kind (counts only), and the future bookings it cancelled."""

    counts: Counter[str] = field(default_factory=Counter)
    cancelled: list[Booking] = field(default_factory=list)
    booking_ids: set[str] = field(default_factory=set)


def erase_records(tables: CustomerTables, org_id: str, customer_id: str, tombstone: str,
                  entry_for: EntryFor | None = None) -> Erased:
    """Erase `customer_id`'s data from `tables`; safe to run again (what is gone stays gone).

    The record goes before the bookings are swept: from then on no booking can commit for the customer
    (bookings check the record in their transaction), so a booking made meanwhile cannot outlive this."""
    erased, now = Erased(), clock.now()
    customer = _customer(tables, org_id, customer_id)
    address_index = customer.email_index if customer else None
    if address_index:
        _remove_holds(tables, org_id, address_index, erased)
    erased.counts["customers"] += _delete_customer(tables, org_id, customer_id)
    for _ in range(2):  # again: an index lags its table, and a booking committed just before shows late
        for booking in _bookings_of(tables, org_id, customer_id):
            _scrub(tables, booking, customer_id, tombstone, now, erased, entry_for)
    if address_index:
        _remove_holds(tables, org_id, address_index, erased)  # made while the first sweep ran
        if not tables.restored:
            forget_first_claim(org_id, address_index)  # the address no longer leads to the id
    erased.counts["access_grants"] += _delete_grants(tables, org_id, customer_id)
    erased.counts["idempotency_records"] += _delete_idempotency(tables, org_id, customer_id, erased.booking_ids)
    if not tables.restored:  # issue 29's rows; a restore's intake answers stay unopenable (the key is destroyed)
        from chalicelib.services.erasure.weekly_tools import erase_weekly_records

        erased.counts.update(erase_weekly_records(org_id, customer_id))
    return erased


def tombstone_of(erasure_id: str) -> str:
    """The id scrubbed bookings name instead of the customer: one per erasure, linked to nobody."""
    return f"erased-{erasure_id.rsplit('-', 1)[-1]}"


# --- the record and its holds ----------------------------------------------------------------------

def _customer(tables: CustomerTables, org_id: str, customer_id: str) -> Customer | None:
    if tables.customers is None:
        return None
    try:
        return tables.customers.get(org_id, customer_id, consistent_read=True)
    except tables.customers.DoesNotExist:
        return None


def _delete_customer(tables: CustomerTables, org_id: str, customer_id: str) -> int:
    if tables.customers is None:
        return 0
    try:
        tables.customers(org_id, customer_id).delete(condition=Customer.customer_id.exists())
    except DeleteError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return 0
    return 1


def _remove_holds(tables: CustomerTables, org_id: str, address_index: str, erased: Erased) -> None:
    """Delete the pending holds typed with the customer's address (and the time they still block)."""
    for hold in _holds_with_address(tables, org_id, address_index):
        erased.booking_ids.add(hold.booking_id)
        erased.counts["slot_locks"] += _release_hold_locks(tables, hold)
        hold.delete()
        erased.counts["holds"] += 1


def _holds_with_address(tables: CustomerTables, org_id: str, address_index: str) -> Iterator[Booking]:
    if tables.bookings is None:
        return
    for hold in tables.bookings.by_customer.query(f"{org_id}/{HOLDS_KEY}"):
        contact = _sealed(hold).get("contact") or {}
        if contact.get("email") and email_index(org_id, str(contact["email"])) == address_index:
            yield hold


def _release_hold_locks(tables: CustomerTables, hold: Booking) -> int:
    """Delete the locks the hold still owns (an expired hold's granules may belong to a booking now)."""
    if tables.locks is None:
        return 0
    return slot_locks.release_own(staff_key(hold.org_id, hold.staff_id), hold.booking_id, hold.granules or [],
                                  tables.locks)


# --- bookings ----------------------------------------------------------------------------------------

def _bookings_of(tables: CustomerTables, org_id: str, customer_id: str) -> list[Booking]:
    if tables.bookings is None:
        return []
    return list(tables.bookings.by_customer.query(f"{org_id}/{customer_id}"))


def _scrub(tables: CustomerTables, booking: Booking, customer_id: str, tombstone: str, now: datetime,
           erased: Erased, entry_for: EntryFor | None) -> None:
    """Scrub one booking (cancelling it if it is still to come), retrying on a concurrent change."""
    for _ in range(ATTEMPTS):
        if booking.customer_id != customer_id:
            return  # scrubbed already (an earlier run, or the index showed it twice)
        erased.booking_ids.add(booking.booking_id)
        cancel = booking.status == CONFIRMED and booking.starts_at > now
        if _commit_scrub(tables, booking, customer_id, tombstone, cancel, entry_for):
            erased.counts["bookings_cancelled" if cancel else "bookings_scrubbed"] += 1
            erased.counts["slot_locks"] += len(booking.granules or []) if cancel else 0
            if cancel:
                erased.cancelled.append(booking)
            return
        booking = _reload(tables, booking)
    raise RuntimeError(f"booking {booking.booking_id} kept changing while its customer was erased")


def _commit_scrub(tables: CustomerTables, booking: Booking, customer_id: str, tombstone: str, cancel: bool,
                  entry_for: EntryFor | None) -> bool:
    assert tables.bookings is not None and tables.locks is not None
    bookings, locks, token = tables.bookings, tables.locks, new_request_token()
    scrubbed = bookings.from_raw_data(booking.serialize())
    scrubbed.customer_id, scrubbed.customer_key = tombstone, f"{booking.org_id}/{tombstone}"
    scrubbed.seal({})  # notes, contact, cancel reason and number for texts: none is kept
    actions: list[Any] = [Booking.customer_id.set(tombstone), Booking.customer_key.set(scrubbed.customer_key),
               Booking.sealed.set(scrubbed.sealed), Booking.sms_opt_in.remove(), Booking.patient_timezone.remove(),
               Booking.locale.remove(), Booking.updated_at.set(clock.now()), Booking.sequence.add(1),
               Booking.last_write.set(token)]
    if cancel:
        actions += [Booking.status.set(CANCELLED), Booking.granules.set([])]

    def write(tx: TransactWrite) -> None:
        tx.update(booking, actions=actions, condition=(Booking.customer_id == customer_id)
                  & (Booking.sequence == booking.sequence))
        if cancel:
            slot_locks.change(tx, staff_key(booking.org_id, booking.staff_id), booking.booking_id,
                              int(clock.now().timestamp()), release=booking.granules or [], locks=locks)
            if entry_for:
                add_to(tx, entry_for(booking))

    return commit(write, token, applied=lambda: _reload(tables, booking).last_write == token)


def _reload(tables: CustomerTables, booking: Booking) -> Booking:
    assert tables.bookings is not None
    return tables.bookings.get(booking.org_id, booking.booking_id, consistent_read=True)


def _sealed(booking: Booking) -> dict[str, Any]:
    """A booking's sealed fields; {} when they no longer open (their key material destroyed)."""
    try:
        return booking.unseal()
    except DomainError:
        return {}


# --- links and replayable answers ---------------------------------------------------------------------

def _delete_grants(tables: CustomerTables, org_id: str, customer_id: str) -> int:
    """Secret links carry no index by customer: a filtered scan (links expire within 30 days of the
    appointment, so the table stays small; erasures are rare)."""
    if tables.grants is None:
        return 0
    found = list(tables.grants.scan((AccessGrant.org_id == org_id) & (AccessGrant.customer_id == customer_id)))
    _delete_all(tables.grants, found)
    return len(found)


def _delete_idempotency(tables: CustomerTables, org_id: str, customer_id: str, booking_ids: set[str]) -> int:
    """Delete the first answers that named one of the customer's bookings (they hold a manage link).
    Records live 24 hours: a filtered scan of one org's is short. On restored tables a record that no
    longer opens goes too: its key material was destroyed with a subject's."""
    if tables.idempotency is None:
        return 0
    doomed = [record for record in tables.idempotency.scan(IdempotencyRecord.org_id == org_id)
              if record.customer_id == customer_id or _answers_for(record, booking_ids, tables.restored)]
    _delete_all(tables.idempotency, doomed)
    return len(doomed)


def _delete_all(model: Any, items: list[Any]) -> None:
    """Delete `items` 25 to a request (BatchWriteItem; PynamoDB retries what DynamoDB leaves over)."""
    with model.batch_write() as batch:
        for item in items:
            batch.delete(item)


def _answers_for(record: IdempotencyRecord, booking_ids: set[str], unreadable_too: bool) -> bool:
    answer = _answer(record)
    return unreadable_too if answer is None else bool(_names(answer) & booking_ids)


def _answer(record: IdempotencyRecord) -> dict[str, Any] | None:
    try:
        return dict(record.unseal().get("response") or {})
    except DomainError:
        return None


def _names(answer: Mapping[str, Any]) -> set[str]:
    booking = answer.get("booking")
    return {str(booking["id"])} if isinstance(booking, Mapping) and "id" in booking else set()
