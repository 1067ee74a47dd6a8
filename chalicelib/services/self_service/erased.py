"""What self-service keeps of a customer who is erased: their request is closed, a pending change of
address (which holds the new address) goes, and so does every link and session they held: an open page
of an erased patient is signed out (401), it cannot ask or change anything more."""

from __future__ import annotations

from chalicelib.services.self_service import email_change, erasure_requests, sessions


def customer_erased(org_id: str, customer_id: str, actor: str) -> None:
    """Called by the erasure service once the customer's data (their record first) is gone."""
    sessions.end_all_of(org_id, customer_id)
    email_change.forget(org_id, customer_id)
    erasure_requests.close_erased(org_id, customer_id, actor)
