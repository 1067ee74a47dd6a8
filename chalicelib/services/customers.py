"""Customers: personal details sealed at rest, found by e-mail through a blind index.

Every read of a customer's details by a person is on the audit chain (HIPAA 164.312(b)); the system
reads the address only to send that customer their own e-mails.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from pynamodb.exceptions import PutError
from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.crypto import shred_keys
from chalicelib.crypto.blind_index import blind_index
from chalicelib.crypto.shred_keys import customer_subject
from chalicelib.email_address import canonical_email
from chalicelib.errors import NotFound, SealedDataErased, Unavailable, ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.models.counter import Counter, update_if
from chalicelib.models.customer import Customer, CustomerByEmail
from chalicelib.models.shred_key import ShredKey
from chalicelib.services import audit, patient_search
from chalicelib.services.booking.catalog import staff_ids_of_user
from chalicelib.services.erasure import ledger
from chalicelib.services.identity.roles import Permission, Role, may, require
from chalicelib.services.identity.sessions import Principal

EMAIL_INDEX = "customer-email"
FIRST_CLAIM = "customer-first"  # counters: which random id the first booking with an address gave its customer
FIRST_CLAIM_SECONDS = 24 * 3600  # far longer than a by-email index lags its table


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    email: str = ""  # "" for none: staff may add a patient with only a phone, or no contact at all
    phone: str | None = None
    notes: str | None = None
    date_of_birth: str | None = None  # YYYY-MM-DD


def create_customer(
    org_id: str, details: CustomerDetails, actor: str, origin: audit.Origin = audit.SYSTEM,
    customer_id: str | None = None, audited: bool = True,
) -> str:
    """Store a new customer (sealed before anything is written) and return its id. With an id made here
    (fresh: no key can exist for it), the audited record's shred key is written in its transaction."""
    customer = Customer(
        org_id,
        customer_id or uuid.uuid4().hex,
        email_index=email_index(org_id, details.email) if details.email else None,
        created_at=clock.now(),
    )
    if audited and customer_id is None:
        customer.new_key = shred_keys.new_subject_key(org_id, customer_subject(customer.customer_id))
    try:
        customer.seal(_fields(details))  # raises EncryptionUnavailable before any write
        patient_search.refresh(customer)
        if not audited:
            customer.save(condition=Customer.customer_id.does_not_exist())
            return customer.customer_id
        created = audit.entry(org_id, actor, "customer.created", subjects={"customer_id": customer.customer_id},
                              origin=origin)
        with audit.audited_transaction(created) as tx:  # the record (its key) and its event, or neither
            tx.save(customer, condition=Customer.customer_id.does_not_exist())
            if customer.new_key is not None:
                tx.save(customer.new_key.row, condition=ShredKey.subject.does_not_exist())
        if customer.new_key is not None:
            shred_keys.key_stored(customer.new_key)
        return customer.customer_id
    finally:
        if customer.new_key is not None:
            shred_keys.discard(customer.new_key)


def read_customer(
    org_id: str, customer_id: str, actor: str, origin: audit.Origin = audit.SYSTEM
) -> CustomerDetails:
    """A customer's details; every read is on the audit chain (HIPAA 164.312(b))."""
    details = contact_of(org_id, customer_id)
    audit.record(org_id, actor, "customer.read", subjects={"customer_id": customer_id}, origin=origin)
    return details


def contact_of(org_id: str, customer_id: str) -> CustomerDetails:
    """The details, for the system's own use (the customer's own e-mails): not a person's read."""
    return CustomerDetails(**_load(org_id, customer_id).unseal())


def record_exists(org_id: str, customer_id: str) -> bool:
    """Whether the customer's record is still there (a consistent read: erased a moment ago is gone)."""
    try:
        Customer.get(org_id, customer_id, consistent_read=True)
    except Customer.DoesNotExist:
        return False
    return True


def find_customer_ids_by_email(org_id: str, email: str) -> list[str]:
    """Ids of this org's customers with that e-mail address (exact, normalized match)."""
    matches = Customer.by_email.query(org_id, CustomerByEmail.email_index == email_index(org_id, email))
    return [customer.customer_id for customer in matches]


def find_customer_ids_by_index(org_id: str, index: str) -> list[str]:
    """Ids of this org's customers whose address has this blind index (`email_index`)."""
    return [customer.customer_id for customer in Customer.by_email.query(org_id, CustomerByEmail.email_index == index)]


def find_or_create(org_id: str, details: CustomerDetails, origin: audit.Origin) -> str:
    """The customer with this e-mail, made on first booking. A public caller never edits a customer.

    A new customer's id is random: nothing derived from the address, so that once the record (and its
    blind index) is erased, no key links the address to the id the audit trail keeps. Concurrent first
    bookings agree through a claim on the address's blind index (`_claim_first`), which lives a day and
    goes with an erasure. The record is made without an event of its own: the booking's `booking.created`
    event names the customer (one append to the org's chain per public booking, not two)."""
    existing = find_customer_ids_by_email(org_id, _address(details))
    if existing:
        return existing[0]
    index = email_index(org_id, _address(details))
    customer_id, _ = _claim_first(org_id, index)
    try:
        return create_customer(org_id, details, "customer", origin, customer_id=customer_id, audited=False)
    except PutError:  # the claim's first booking made it meanwhile
        if _load(org_id, customer_id).email_index == index:
            return customer_id
        return create_customer(org_id, details, "customer", origin, audited=False)  # it moved address at once


def forget_first_claim(org_id: str, index: str) -> None:
    """Drop the claim of an address's first booking (its customer is erased): no row links them any more."""
    Counter(_claim_key(org_id, index)).delete()


def _claim_first(org_id: str, index: str) -> tuple[str, bool]:
    """The id the first booking with this address gives its customer: a fresh random id claimed with one
    conditional write, or the id a concurrent first booking claimed (unless that customer has since
    moved address or been erased: then the claim is taken over). True with a fresh id: no record and no
    shred key can exist for it yet."""
    key, now = _claim_key(org_id, index), int(clock.now().timestamp())
    for _ in range(3):
        fresh = uuid.uuid4().hex
        claim: list[Action] = [Counter.holder.set(fresh), Counter.ttl.set(now + FIRST_CLAIM_SECONDS)]
        if update_if(Counter(key), claim, Counter.holder.does_not_exist() | (Counter.ttl < now)):
            return fresh, True
        try:
            holder = str(Counter.get(key, consistent_read=True).holder)
        except Counter.DoesNotExist:
            continue  # erased meanwhile: claim again
        if _still_first(org_id, holder, index):
            return holder, False
        if update_if(Counter(key), claim, Counter.holder == holder):
            return fresh, True
    raise Unavailable("The booking could not be completed just now; try again.")


def _still_first(org_id: str, customer_id: str, index: str) -> bool:
    """The claimed customer is (or is about to be) this address's: not moved away, never erased."""
    try:
        return Customer.get(org_id, customer_id, consistent_read=True).email_index == index
    except Customer.DoesNotExist:
        return not ledger.erasures_of(org_id, ledger.CUSTOMER, customer_id)  # being made: yes; erased: never


def _claim_key(org_id: str, index: str) -> str:
    return f"{FIRST_CLAIM}/{org_id}/{index}"


def prepare(org_id: str, details: CustomerDetails) -> tuple[str, Customer | None]:
    """For a public booking: (the id of the customer with this e-mail, None), or (a new random id, its
    sealed record, not yet written). The booking's transaction writes a new record (`bookings.book`,
    `bookings.confirm_hold`), so a refused booking leaves no personal data behind; concurrent first
    bookings agree on the id through the address's claim (`_claim_first`)."""
    existing = find_customer_ids_by_email(org_id, _address(details))
    if existing:
        return existing[0], None
    index = email_index(org_id, _address(details))
    customer_id, fresh = _claim_first(org_id, index)
    if fresh:  # nothing to look for: its record and its shred key are written with the booking
        return _unsaved(org_id, details, customer_id, new_key=True)
    try:
        made = _load(org_id, customer_id)
    except NotFound:
        return _unsaved(org_id, details, customer_id)
    if made.email_index == index:
        return customer_id, None  # made a moment ago (the address index lags)
    return _unsaved(org_id, details, uuid.uuid4().hex)  # it moved address at once


def _unsaved(org_id: str, details: CustomerDetails, customer_id: str,
             new_key: bool = False) -> tuple[str, Customer]:
    """A new record, sealed, not yet written. With `new_key` (a fresh id) its shred key is made here and
    rides on the record (`Customer.new_key`): the transaction that writes the record writes the key."""
    customer = Customer(org_id, customer_id, email_index=email_index(org_id, _address(details)),
                        created_at=clock.now())
    if new_key:
        customer.new_key = shred_keys.new_subject_key(org_id, customer_subject(customer_id))
    customer.seal(_fields(details))  # raises EncryptionUnavailable before any write
    patient_search.refresh(customer)
    return customer_id, customer


# --- staff routes -----------------------------------------------------------------------------------

def staff_create(principal: Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
    require(principal.role, Permission.CUSTOMERS_MANAGE)
    if "notes" in fields:
        require(principal.role, Permission.CUSTOMER_NOTES)
    details = CustomerDetails(**_checked(fields))
    customer_id = create_customer(principal.org_id, details, principal.user_id, principal.origin)
    return _shown_to(principal, customer_id, details)


def staff_read(principal: Principal, customer_id: str) -> dict[str, Any]:
    """One customer the caller may see (the staff role: only customers booked with them; others 404)."""
    require(principal.role, Permission.CUSTOMERS_READ)
    _require_visible(principal, customer_id)
    details = read_customer(principal.org_id, customer_id, principal.user_id, principal.origin)
    return _shown_to(principal, customer_id, details)


def require_bookable(principal: Principal, customer_id: str) -> None:
    """A customer the caller may book (404 otherwise, as for an unknown id). The staff role books only
    customers they can already read: a booking they make themselves never widens what they see."""
    contact_of(principal.org_id, customer_id)
    _require_visible(principal, customer_id)


def staff_search(principal: Principal, fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Customers matching a name, phone, date of birth or e-mail (as typed) that the caller may see.
    The search is ONE audit event naming the customers it showed (an empty one too), never what was
    typed (services/patient_search.py, ADR 0021)."""
    require(principal.role, Permission.CUSTOMERS_READ)
    from chalicelib.models.organization import Organization

    terms = patient_search.terms_of(Organization.get(principal.org_id), fields)
    found = [customer for customer in patient_search.matching_customers(principal.org_id, terms)
             if _visible(principal, customer.customer_id)]
    shown = []
    for customer in found:
        try:
            shown.append(_shown_to(principal, customer.customer_id, CustomerDetails(**customer.unseal())))
        except SealedDataErased:
            continue
    patient_search.record_search(principal.org_id, principal.user_id, principal.origin, terms,
                                 [c["id"] for c in shown])
    return sorted(shown, key=lambda c: (patient_search.name_words(c["name"]), c["id"]))


def staff_update(principal: Principal, customer_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Contact details by customers.manage; clinical notes only by customers.notes (never blind)."""
    if set(fields) - {"notes"}:
        require(principal.role, Permission.CUSTOMERS_MANAGE)
    if "notes" in fields:
        require(principal.role, Permission.CUSTOMER_NOTES)
    _require_visible(principal, customer_id)
    customer = _load(principal.org_id, customer_id)
    details = replace(CustomerDetails(**customer.unseal()), **_checked(fields))
    customer.email_index = email_index(principal.org_id, details.email) if details.email else None
    customer.seal(_fields(details))
    patient_search.refresh(customer)
    customer.save()
    audit.record(principal.org_id, principal.user_id, "customer.updated",
                 subjects={"customer_id": customer_id}, origin=principal.origin)
    return _shown_to(principal, customer_id, details)


def _visible(principal: Principal, customer_id: str) -> bool:
    """The staff role sees only customers with a booking with a staff member linked to their user."""
    if principal.role != Role.STAFF:
        return True
    mine = staff_ids_of_user(principal.org_id, principal.user_id)
    booked = Booking.by_customer.query(f"{principal.org_id}/{customer_id}")
    return any(booking.staff_id in mine for booking in booked)


def _require_visible(principal: Principal, customer_id: str) -> None:
    if not _visible(principal, customer_id):
        raise NotFound("No such customer.")  # the same answer as an unknown id


def _shown_to(principal: Principal, customer_id: str, details: CustomerDetails) -> dict[str, Any]:
    shown = {"id": customer_id, **asdict(details)}
    shown["email"] = details.email or None
    if not may(principal.role, Permission.CUSTOMER_NOTES):
        shown.pop("notes")
    return shown


def email_index(org_id: str, email: str) -> str:
    """The blind index of an address's canonical form (unchanged from NFKC+casefold for ASCII addresses)."""
    return blind_index(org_id, EMAIL_INDEX, canonical_email(email))


def _load(org_id: str, customer_id: str) -> Customer:
    try:
        return Customer.get(org_id, customer_id, consistent_read=True)
    except Customer.DoesNotExist as error:
        raise NotFound("No such customer.") from error


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A real date of birth and a real phone number (the schema checks only their shape)."""
    if fields.get("date_of_birth") and not patient_search.normalized_birth_date(str(fields["date_of_birth"])):
        raise ValidationFailed("Field 'date_of_birth' must be a real date like 1980-03-07.", field="date_of_birth")
    if fields.get("phone"):
        from chalicelib.phone_numbers import e164

        e164(str(fields["phone"]), "phone")
    return dict(fields)


def _address(details: CustomerDetails) -> str:
    """The e-mail a public booking always has (its schema requires it)."""
    if not details.email:
        raise ValidationFailed("Field 'email' is required.", field="customer.email")
    return details.email


def _fields(details: CustomerDetails) -> dict[str, str]:
    return {key: value for key, value in asdict(details).items() if value is not None and value != ""}
