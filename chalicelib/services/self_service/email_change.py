"""A new e-mail address replaces the old one only once a code sent to it comes back (ASVS 6.3.7).

The pending change is one sealed row per customer, bound to the session that asked: a second request
replaces the first (its code dies), another session cannot finish it, and it dies with its session.
An address already on another customer of the org never gets a code (nothing merges, nothing leaks
to the asker: the answer is the same, and the address's owner is told instead, at the address on their
record); it is checked again when the code comes back, since a booking may have taken the address in
between. On success the blind
index moves with the address, and the old address is told.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.errors import Conflict, EmailInUse, InvalidToken, TooManyAttempts, ValidationFailed, VerificationFailed
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.self_service import EmailChange
from chalicelib.services import audit, customers, patient_search, rate_limits
from chalicelib.services.self_service import details, mail
from chalicelib.services.self_service.sessions import PatientSession

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5


def start(org: Organization, session: PatientSession, new_email: str, accept_language: str | None) -> None:
    """Send a code to `new_email` (or, if it is another customer's, tell its owner); audited either way."""
    typed = new_email.strip()
    index = customers.email_index(org.org_id, typed)  # look-alikes with no safe canonical form: 422
    customer = _customer(session)
    if index == customer.email_index:
        raise ValidationFailed("This is already your e-mail address.", field="email")
    counted = [(rate_limits.EMAIL_CHANGE_CODES_PER_CUSTOMER, f"{org.org_id}/{session.customer_id}")]
    rate_limits.take_all(counted)  # before the code or the mail: racing requests cannot pass the limit
    try:
        _send_code_or_notice(org, session, typed, index, accept_language)
    except Exception:
        rate_limits.give_back_all(counted)  # nothing was sent: the patient keeps that turn
        raise


def _send_code_or_notice(org: Organization, session: PatientSession, typed: str, index: str,
                         accept_language: str | None) -> None:
    holder = _other_holder(org.org_id, typed, session.customer_id)
    if holder:
        _record(session, "customer.email_change_requested", "address_in_use")
        mail.send_address_in_use(org, customers.contact_of(org.org_id, holder).email, accept_language)  # on file
        return
    code = f"{secrets.randbelow(10 ** 6):06d}"
    expires_at = min(clock.now() + CODE_LIFETIME, session.expires_at)
    pending = EmailChange(org.org_id, session.customer_id, session_hash=session.token_hash, new_email_index=index,
                          expires_at=expires_at, attempts=0, ttl=int((expires_at + timedelta(days=1)).timestamp()))
    pending.seal({"new_email": typed, "code_hash": _hash(code)})
    pending.save()  # replaces an earlier pending change: its code is dead
    mail.send_email_change_code(org, typed, code, int(CODE_LIFETIME.total_seconds() // 60), accept_language)
    _record(session, "customer.email_change_requested", "success")


def confirm(org: Organization, session: PatientSession, code: str, accept_language: str | None) -> None:
    """Replace the address with the proven one; the old address is told. Wrong code: 422 (at most
    MAX_ATTEMPTS, then the change is dropped: 429); none pending, another session's or expired: 401."""
    pending = _pending(session)
    _count_attempt(pending)
    sealed = pending.unseal()
    if not hmac.compare_digest(sealed["code_hash"], _hash(code)):
        _record(session, "customer.email_change_confirmed", "wrong_code")
        raise VerificationFailed()
    if _other_holder(org.org_id, sealed["new_email"], session.customer_id):
        pending.delete()
        _record(session, "customer.email_change_confirmed", "address_in_use")
        raise EmailInUse()
    old_email = _move_address(session, pending, sealed["new_email"])
    mail.send_email_changed(org, old_email, accept_language)


def _move_address(session: PatientSession, pending: EmailChange, new_email: str) -> str:
    """Re-seal the record with the new address and move its index, with the event, in one transaction."""
    customer = _customer(session)
    details = customer.unseal()
    old_email, old_index = details["email"], customer.email_index
    customer.seal({**details, "email": new_email})
    customer.email_index = pending.new_email_index
    patient_search.refresh(customer)  # the search indexes follow the details (ADR 0021)
    changed = audit.entry(session.org_id, "customer", "customer.email_changed", origin=session.origin,
                          subjects={"customer_id": session.customer_id})
    try:
        with audit.audited_transaction(changed) as tx:
            tx.save(customer, condition=Customer.email_index == old_index)
            tx.delete(pending, condition=EmailChange.session_hash == session.token_hash)
    except TransactWriteError as error:  # the record or the pending change moved meanwhile
        raise Conflict("Your details changed meanwhile; ask for a new code.") from error
    return str(old_email)


def forget(org_id: str, customer_id: str) -> None:
    """Drop a pending change of address (the customer is erased): its new address goes with it."""
    EmailChange(org_id, customer_id).delete()


def _pending(session: PatientSession) -> EmailChange:
    try:
        pending = EmailChange.get(session.org_id, session.customer_id, consistent_read=True)
    except EmailChange.DoesNotExist as error:
        raise InvalidToken("No change of address is waiting; ask for a new code.") from error
    if pending.session_hash != session.token_hash or pending.expires_at <= clock.now():
        raise InvalidToken("No change of address is waiting; ask for a new code.")
    return pending


def _count_attempt(pending: EmailChange) -> None:
    """One attempt, counted before the code is compared: concurrent guesses share the bound."""
    try:
        pending.update(actions=[EmailChange.attempts.add(1)], condition=EmailChange.attempts < MAX_ATTEMPTS)
    except UpdateError as error:
        pending.delete()
        raise TooManyAttempts() from error


def _other_holder(org_id: str, email: str, customer_id: str) -> str | None:
    """Another customer of the org with this address (by its canonical lookup form), if there is one."""
    return next((found for found in customers.find_customer_ids_by_email(org_id, email) if found != customer_id), None)


def _customer(session: PatientSession) -> Customer:
    return details.record_of(session)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _record(session: PatientSession, action: str, outcome: str) -> None:
    audit.record(session.org_id, "customer", action, outcome=outcome, origin=session.origin,
                 subjects={"customer_id": session.customer_id})
