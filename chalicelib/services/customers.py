"""Customers: personal details sealed at rest, found by e-mail through a blind index."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from chalicelib import clock
from chalicelib.crypto.blind_index import blind_index, normalize_email
from chalicelib.errors import NotFound
from chalicelib.models.customer import Customer, CustomerByEmail
from chalicelib.services import audit

EMAIL_INDEX = "customer-email"


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    email: str
    phone: str | None = None
    notes: str | None = None


def create_customer(
    org_id: str, details: CustomerDetails, actor: str, origin: audit.Origin = audit.SYSTEM
) -> str:
    """Store a new customer (sealed before anything is written) and return its id."""
    customer = Customer(
        org_id,
        uuid.uuid4().hex,
        email_index=email_index(org_id, details.email),
        created_at=clock.now(),
    )
    customer.seal(_fields(details))  # raises EncryptionUnavailable before any write
    customer.save(condition=Customer.customer_id.does_not_exist())
    audit.record(org_id, actor, "customer.created",
                 subjects={"customer_id": customer.customer_id}, origin=origin)
    return customer.customer_id


def read_customer(
    org_id: str, customer_id: str, actor: str, origin: audit.Origin = audit.SYSTEM
) -> CustomerDetails:
    """A customer's details; every read is on the audit chain (HIPAA 164.312(b))."""
    try:
        customer = Customer.get(org_id, customer_id)
    except Customer.DoesNotExist as error:
        raise NotFound("No such customer.") from error
    fields = customer.unseal()
    audit.record(org_id, actor, "customer.read", subjects={"customer_id": customer_id}, origin=origin)
    return CustomerDetails(**fields)


def find_customer_ids_by_email(org_id: str, email: str) -> list[str]:
    """Ids of this org's customers with that e-mail address (exact, normalized match)."""
    matches = Customer.by_email.query(org_id, CustomerByEmail.email_index == email_index(org_id, email))
    return [customer.customer_id for customer in matches]


def email_index(org_id: str, email: str) -> str:
    return blind_index(org_id, EMAIL_INDEX, normalize_email(email))


def _fields(details: CustomerDetails) -> dict[str, str]:
    values = {"name": details.name, "email": details.email, "phone": details.phone, "notes": details.notes}
    return {key: value for key, value in values.items() if value is not None}
