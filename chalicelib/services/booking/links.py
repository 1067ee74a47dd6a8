"""The "e-mail me my bookings" link: the same answer whether or not the address is known.

The link goes to the address stored on the customer's record, never to the one typed in the request:
two spellings that share a lookup form must not share a mailbox's secrets.
"""

from __future__ import annotations

from chalicelib.models.organization import Organization
from chalicelib.services import audit, customers
from chalicelib.services.booking import grants
from chalicelib.services.notify import send_email


def send_my_bookings_link(org: Organization, email: str, origin: audit.Origin) -> None:
    """E-mail a one-hour link to every booking of this address's customer, if there is one (audited)."""
    for customer_id in customers.find_customer_ids_by_email(org.org_id, email)[:1]:
        link = grants.customer_link(org.org_id, customer_id)
        on_file = customers.contact_of(org.org_id, customer_id).email
        send_email(on_file, f"Your appointments with {org.name}", "\n".join([
            f"Here is the link to see, move or cancel your appointments with {org.name}:",
            link, "", "It works for one hour. If you did not ask for it, you can ignore this e-mail.",
        ]))
        audit.record(org.org_id, "customer", "customer.link_issued", origin=origin,
                     subjects={"customer_id": customer_id})
