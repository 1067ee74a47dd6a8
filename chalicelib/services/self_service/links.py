"""Asking for the self-service link: the same 202 for any address, limited per source, address and org.

The request does the same work for every address (its limits, one queued message: services/mail_queue);
the queue's consumer finds the customer, writes the link and mails it (ADR 0016). The link goes to the
address on the customer's record, never to the one typed: two spellings that share a lookup form must
not share a mailbox's secrets.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.models.organization import Organization
from chalicelib.services import audit, customers, rate_limits
from chalicelib.services.mail_queue import SELF_SERVICE_LINK, QueuedMail, enqueue
from chalicelib.services.organizations import org_by_id
from chalicelib.services.self_service import mail, sessions

LINK_MINUTES = int(sessions.LINK_LIFETIME.total_seconds() // 60)


def request_link(org: Organization, email: str, origin: audit.Origin, accept_language: str | None) -> None:
    """Queue the link for this address; its limits are taken first and given back if nothing was queued."""
    index = customers.email_index(org.org_id, email)  # 422 for an address with no safe canonical form
    counted = [(rate_limits.SELF_SERVICE_LINKS_PER_EMAIL, f"{org.org_id}/{index}"),
               (rate_limits.SELF_SERVICE_LINKS_PER_ORG, org.org_id)]
    rate_limits.take_all(counted)
    try:
        enqueue(QueuedMail(SELF_SERVICE_LINK, org.org_id, index, origin, accept_language))
    except Exception:
        rate_limits.give_back_all(counted)
        raise


def deliver_link(message: QueuedMail) -> None:
    """The queue's consumer: e-mail a single-use link to this address's customer, if there is one;
    audited on their record."""
    try:
        org = org_by_id(message.org_id)
    except NotFound:
        return  # the org was deleted after the request
    for customer_id in customers.find_customer_ids_by_index(org.org_id, message.email_index)[:1]:
        token = sessions.new_link(org.org_id, customer_id)
        on_file = customers.contact_of(org.org_id, customer_id).email
        mail.send_link(org, on_file, token, LINK_MINUTES, message.accept_language)
        audit.record(org.org_id, "customer", "customer.self_service_link_issued", origin=message.origin,
                     subjects={"customer_id": customer_id})
