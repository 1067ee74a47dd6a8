"""The "e-mail me my bookings" link: the same answer whether or not the address is known."""

from __future__ import annotations

from chalicelib.models.organization import Organization
from chalicelib.services import customers
from chalicelib.services.booking import grants
from chalicelib.services.notify import send_email


def send_my_bookings_link(org: Organization, email: str) -> None:
    """E-mail a one-hour link to every booking of this address's customer, if there is one."""
    for customer_id in customers.find_customer_ids_by_email(org.org_id, email)[:1]:
        link = grants.customer_link(org.org_id, customer_id)
        send_email(email, f"Your appointments with {org.name}", "\n".join([
            "Hello,", "", f"Here is the link to see, move or cancel your appointments with {org.name}:",
            link, "", "It works for one hour. If you did not ask for it, you can ignore this e-mail.",
        ]))
