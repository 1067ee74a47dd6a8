"""Asking for the self-service link: the same 202 for any address, limited per source, address and org.

The link goes to the address on the customer's record, never to the one typed: two spellings that share
a lookup form must not share a mailbox's secrets.
"""

from __future__ import annotations

from chalicelib.models.organization import Organization
from chalicelib.services import audit, customers, rate_limits
from chalicelib.services.self_service import mail, sessions

LINK_MINUTES = int(sessions.LINK_LIFETIME.total_seconds() // 60)


def request_link(org: Organization, email: str, origin: audit.Origin, accept_language: str | None) -> None:
    """E-mail a single-use link to this address's customer, if there is one; audited on their record."""
    index = customers.email_index(org.org_id, email)  # 422 for an address with no safe canonical form
    rate_limits.throttle(rate_limits.SELF_SERVICE_LINKS_PER_EMAIL, f"{org.org_id}/{index}")
    rate_limits.throttle(rate_limits.SELF_SERVICE_LINKS_PER_ORG, org.org_id)
    for customer_id in customers.find_customer_ids_by_email(org.org_id, email)[:1]:
        token = sessions.new_link(org.org_id, customer_id)
        on_file = customers.contact_of(org.org_id, customer_id).email
        mail.send_link(org, on_file, token, LINK_MINUTES, accept_language)
        audit.record(org.org_id, "customer", "customer.self_service_link_issued", origin=origin,
                     subjects={"customer_id": customer_id})
