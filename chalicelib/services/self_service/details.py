"""What the clinic holds on the patient, as they see it, and their corrections of name and phone.

Clinical notes are not shown here: the clinicians' notes are released by the clinic itself (HIPAA
164.524(a)(3) lets a licensed professional review some of them first); the page says whether any are
held so that the patient knows to ask. Every read and change is on the audit chain, actor "customer".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from chalicelib import clock, phone_numbers
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.models.customer import Customer
from chalicelib.services import audit, customers, patient_search
from chalicelib.services.self_service.sessions import PatientSession

SHOWN = ("name", "email", "phone", "date_of_birth")


def view(session: PatientSession) -> dict[str, Any]:
    """The patient's own details (audited as their read of their record)."""
    shown = own_details(session)
    audit.record(session.org_id, "customer", "customer.read", origin=session.origin,
                 subjects={"customer_id": session.customer_id})
    return shown


def own_details(session: PatientSession) -> dict[str, Any]:
    customer = record_of(session)
    sealed = customer.unseal()
    return {**{name: sealed.get(name) for name in SHOWN}, "created_at": clock.isoformat(customer.created_at),
            "clinical_notes_held": bool(sealed.get("notes"))}


def correct(session: PatientSession, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Change name and/or phone (null removes the phone); the e-mail changes only through its proof."""
    changes: dict[str, Any] = {**({"name": _name(fields["name"])} if "name" in fields else {}),
                               **({"phone": _phone(fields["phone"])} if "phone" in fields else {})}
    if not changes:
        raise ValidationFailed("Send a name or a phone number to change.")
    customer = record_of(session)
    details = replace(customers.CustomerDetails(**customer.unseal()), **changes)
    customer.seal({key: value for key, value in asdict(details).items() if value is not None})
    patient_search.refresh(customer)  # the search indexes follow the details (ADR 0021)
    updated = audit.entry(session.org_id, "customer", "customer.updated", origin=session.origin,
                          subjects={"customer_id": session.customer_id})
    with audit.audited_transaction(updated) as tx:  # the change and its event, or neither
        tx.save(customer, condition=Customer.email_index == customer.email_index)
    return own_details(session)


def _name(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValidationFailed("Field 'name' must not be blank.", field="name")
    return text


def _phone(value: Any) -> str | None:
    return None if value is None else phone_numbers.e164(value, "phone")


def record_of(session: PatientSession) -> Customer:
    try:
        return Customer.get(session.org_id, session.customer_id, consistent_read=True)
    except Customer.DoesNotExist as error:  # erased while the session was open
        raise NotFound("No such record.") from error
