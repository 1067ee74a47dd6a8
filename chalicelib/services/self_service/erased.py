"""What self-service keeps of a customer who is erased: their request is closed, a pending change of
address (which holds the new address) goes. Sessions and links die with the record (their reads 404)."""

from __future__ import annotations

from chalicelib.services.self_service import email_change, erasure_requests


def customer_erased(org_id: str, customer_id: str, actor: str) -> None:
    """Called by the erasure service once the customer's data is gone."""
    email_change.forget(org_id, customer_id)
    erasure_requests.close_erased(org_id, customer_id, actor)
