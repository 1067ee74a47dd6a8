"""Patients' requests to be erased (GDPR Art. 17 as the model): recorded, audited, the clinic told.

One row per customer: a request while one is pending answers that one (no second e-mail); a refused
request may be asked again. The clinic decides: it erases the customer (the erasure service then closes
the request) or refuses with a reason the patient is e-mailed (HIPAA lets a clinic keep medical records).
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.errors import AlreadyErased, Conflict, NotFound, ValidationFailed
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.self_service import ErasureRequest
from chalicelib.models.user import User
from chalicelib.services import audit, customers
from chalicelib.services.identity.roles import Permission, Role, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.self_service import mail
from chalicelib.services.self_service.sessions import PatientSession

PENDING, REFUSED, ERASED = "pending", "refused", "erased"
STATUSES = (PENDING, REFUSED, ERASED)


def ask(org: Organization, session: PatientSession, accept_language: str | None) -> dict[str, Any]:
    """Record the request (or answer the pending one); the clinic's owners and admins are e-mailed.
    The record is checked in the same transaction: for a record that is gone nothing is written and
    nobody is e-mailed (404)."""
    request = ErasureRequest(session.org_id, session.customer_id, request_id=uuid.uuid4().hex, status=PENDING,
                             requested_at=clock.now())
    request.seal({})
    asked = audit.entry(session.org_id, "customer", "customer.erasure_requested", origin=session.origin,
                        subjects={"customer_id": session.customer_id, "request_id": request.request_id})
    try:
        with audit.audited_transaction(asked) as tx:
            tx.save(request, condition=ErasureRequest.customer_id.does_not_exist() | (ErasureRequest.status != PENDING))
            tx.condition_check(Customer, session.org_id, session.customer_id, condition=Customer.customer_id.exists())
    except TransactWriteError as error:
        if not customers.record_exists(session.org_id, session.customer_id):
            raise NotFound("No such record.") from error  # erased: there is nothing left to erase
        pending = of_patient(session)
        if pending is None or pending["status"] != PENDING:
            raise
        return pending  # asked twice: the one pending request, no second e-mail
    _tell_the_clinic(org, request.request_id)
    mail.send_erasure_received(org, customers.contact_of(org.org_id, session.customer_id).email, accept_language)
    return shown(request)


def of_patient(session: PatientSession) -> dict[str, Any] | None:
    try:
        return shown(ErasureRequest.get(session.org_id, session.customer_id, consistent_read=True))
    except ErasureRequest.DoesNotExist:
        return None


def staff_list(principal: Principal, status: str | None) -> list[dict[str, Any]]:
    """The org's requests in one state (pending by default), oldest first; the listing is audited."""
    require(principal.role, Permission.CUSTOMERS_ERASE)
    wanted = status or PENDING
    if wanted not in STATUSES:
        raise ValidationFailed("Parameter 'status' must be pending, refused or erased.", field="status")
    found = sorted((shown(r) for r in ErasureRequest.query(principal.org_id, filter_condition=ErasureRequest.status
                                                             == wanted)), key=lambda r: r["requested_at"])
    audit.record(principal.org_id, principal.user_id, "erasure_requests.listed", origin=principal.origin,
                 subjects={"status": wanted, "results": str(len(found))})
    return found


def refuse(principal: Principal, request_id: str, reason: str) -> dict[str, Any]:
    """Refuse a pending request with a reason; the patient is e-mailed it at the address on file.

    The refusal, its event and a check that the patient's record still exists are one transaction: a
    request whose record is gone (erased) is not refused but answered 409 `already_erased` and closed
    as erased, which is what happened to it."""
    require(principal.role, Permission.CUSTOMERS_ERASE)
    request = _by_id(principal.org_id, request_id)
    contact = _contact(principal.org_id, request.customer_id)
    if contact is None:
        _close_gone(principal.org_id, request, principal.user_id)
    request.seal({"refusal_reason": reason})
    refused = audit.entry(principal.org_id, principal.user_id, "customer.erasure_refused", origin=principal.origin,
                          subjects={"customer_id": request.customer_id, "request_id": request_id})
    try:
        with audit.audited_transaction(refused) as tx:
            tx.update(request, actions=[ErasureRequest.status.set(REFUSED), ErasureRequest.decided_at.set(clock.now()),
                                        ErasureRequest.decided_by.set(principal.user_id),
                                        ErasureRequest.sealed.set(request.sealed)],
                      condition=(ErasureRequest.status == PENDING) & (ErasureRequest.request_id == request_id))
            tx.condition_check(Customer, principal.org_id, request.customer_id, condition=Customer.customer_id.exists())
    except TransactWriteError as error:
        if not customers.record_exists(principal.org_id, request.customer_id):  # erased meanwhile
            _close_gone(principal.org_id, request, principal.user_id)
        raise Conflict("This request was decided already.") from error
    org = Organization.get(principal.org_id)
    mail.send_erasure_refused(org, contact.email, reason, None)
    request.status, request.decided_at = REFUSED, clock.now()
    return shown(request)


def close_erased(org_id: str, customer_id: str, actor: str) -> None:
    """The customer was erased: their request is done, and a refusal's reason (text about them) goes."""
    closed = ErasureRequest(org_id, customer_id)
    closed.seal({})
    try:
        closed.update(actions=[ErasureRequest.status.set(ERASED), ErasureRequest.decided_at.set(clock.now()),
                               ErasureRequest.decided_by.set(actor), ErasureRequest.sealed.set(closed.sealed)],
                      condition=ErasureRequest.customer_id.exists() & (ErasureRequest.status != ERASED))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # none open (an erasure the clinic decided on its own) is the only quiet case


def _close_gone(org_id: str, request: ErasureRequest, actor: str) -> NoReturn:
    """A pending request whose record is gone: the erasure it asked for is done; say so, refuse nothing."""
    if request.status == PENDING:
        close_erased(org_id, request.customer_id, actor)
    raise AlreadyErased()


def _contact(org_id: str, customer_id: str) -> customers.CustomerDetails | None:
    try:
        return customers.contact_of(org_id, customer_id)
    except NotFound:
        return None


def shown(request: ErasureRequest) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": request.request_id, "customer_id": request.customer_id, "status": request.status,
                              "requested_at": clock.isoformat(request.requested_at),
                              "decided_at": clock.isoformat(request.decided_at) if request.decided_at else None}
    if request.status == REFUSED:
        answer["refusal_reason"] = request.unseal().get("refusal_reason")
    return answer


def _by_id(org_id: str, request_id: str) -> ErasureRequest:
    found = list(ErasureRequest.query(org_id, filter_condition=ErasureRequest.request_id == request_id))
    if not found:
        raise NotFound("No such erasure request.")
    return found[0]


def _tell_the_clinic(org: Organization, request_id: str) -> None:
    for user in User.query(org.org_id):
        if user.role in (Role.OWNER, Role.ADMIN) and not user.disabled:
            mail.send_erasure_requested_to_admin(org, str(user.unseal()["email"]), request_id)
