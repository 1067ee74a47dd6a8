"""The "e-mail me my bookings" link: the same answer, and the same work, whether or not the address is known.

The request takes its limit and queues one message (services/mail_queue); the queue's consumer finds
the customer, writes the grant and mails the link (ADR 0016). The link goes to the address stored on
the customer's record, never to the one typed in the request: two spellings that share a lookup form
must not share a mailbox's secrets.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.i18n import gettext_for, negotiate
from chalicelib.models.organization import Organization
from chalicelib.services import audit, customers, rate_limits
from chalicelib.services.booking import grants
from chalicelib.services.booking.letters import Link, clinic_letter
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.mail_queue import MY_BOOKINGS_LINK, QueuedMail, enqueue
from chalicelib.services.notify import Letter, send_letter
from chalicelib.services.organizations import org_by_id


def send_my_bookings_link(org: Organization, email: str, origin: audit.Origin,
                          accept_language: str | None = None) -> None:
    """Queue the link for this address; its limit is taken first and given back if nothing was queued."""
    index = customers.email_index(org.org_id, email)
    counted = [(rate_limits.LINK_REQUESTS_PER_EMAIL, index)]
    rate_limits.take_all(counted)
    try:
        enqueue(QueuedMail(MY_BOOKINGS_LINK, org.org_id, index, origin, accept_language))
    except Exception:
        rate_limits.give_back_all(counted)
        raise


def deliver_my_bookings_link(message: QueuedMail) -> None:
    """The queue's consumer: e-mail a one-hour link to every booking of this address's customer, if
    there is one (audited)."""
    try:
        org = org_by_id(message.org_id)
    except NotFound:
        return  # the org was deleted after the request
    for customer_id in customers.find_customer_ids_by_index(org.org_id, message.email_index)[:1]:
        link = grants.customer_link(org.org_id, customer_id)
        on_file = customers.contact_of(org.org_id, customer_id).email
        send_letter(on_file, _link_letter(org, link, message.accept_language))
        audit.record(org.org_id, "customer", "customer.link_issued", origin=message.origin,
                     subjects={"customer_id": customer_id})


def _link_letter(org: Organization, link: str, accept_language: str | None) -> Letter:
    """The link's letter, in the language the request's browser reads (else the clinic's)."""
    profile = profile_of(org)
    language = negotiate(None, accept_language, profile.default_language)
    _ = gettext_for(language)
    values = {"clinic": org.name}
    return clinic_letter(org, profile.in_language(language), _, language,
                         _("Your appointments with %(clinic)s") % values, [
        _("Here is the link to see, move or cancel your appointments with %(clinic)s:") % values, Link(link, link),
        None, _("It works for one hour. If you did not ask for it, you can ignore this e-mail.")])
