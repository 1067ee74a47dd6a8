"""A booking's e-mail (and text) and its audit chaining, handed to the mail queue after the commit.

Booking, rescheduling and cancelling commit one transaction (the booking, its locks, its audit entry,
...) and then put one message on the mail queue (ADR 0016) naming the org, the booking and the kind of
mail: one SendMessage instead of reading the org, the customer, the service and the staff member, saving
a manage link, calling SES and SNS, and chaining the audit entry, all before answering (issue 24). The
queue's consumer (`deliver`) does that work moments later. A new booking's mail carries the link its
answer showed, sealed in the message (the envelope, under the org's context and bound to the booking);
a reschedule's gets a fresh one, saved by the consumer as it always was. The message holds no address,
no name and no token in the clear. Should the queue refuse the message, the request does the work.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.logs import logger
from chalicelib.models.booking import Booking

KIND = "booking_mail"
MAILS = ("confirmed", "rescheduled", "cancelled")


def hand_off(mail: str, booking: Booking, link: str | None = None) -> None:
    """Queue the `mail` ("confirmed", "rescheduled" or "cancelled") of a committed change to `booking`, and
    the chaining of its audit entry; never raises (the change stands whatever the queue does). `link`: the
    manage link the answer showed (a new booking's), mailed as it is: it travels sealed (envelope, this org's
    context, bound to the booking), never in the clear; without it the consumer mints a fresh one."""
    from chalicelib import aws
    from chalicelib.config import settings

    url = settings().mail_queue_url
    if url:
        try:
            aws.client("sqs").send_message(QueueUrl=url, MessageBody=message(mail, booking, link))
            return
        except Exception as error:  # the change is committed: do the work here instead
            logger.warning("booking mail hand-off failed", extra={"booking_id": booking.booking_id,
                                                                  "error_type": type(error).__name__})
    _deliver_now(mail, booking, link)


LINK_CONTEXT_TABLE, LINK_PURPOSE = "mail_queue", "manage-link"


def message(mail: str, booking: Booking, link: str | None = None) -> str:
    if mail not in MAILS:
        raise ValueError("unknown booking mail")
    fields = {"kind": KIND, "mail": mail, "org_id": booking.org_id, "booking_id": booking.booking_id}
    if link:
        fields["sealed_link"] = base64.b64encode(_sealer().seal(
            {"link": link}, _link_context(booking.org_id), booking.booking_id)).decode()
    return json.dumps(fields, separators=(",", ":"))


def _link_context(org_id: str) -> Any:
    from chalicelib.crypto.envelope import SealContext

    return SealContext(org_id=org_id, table=LINK_CONTEXT_TABLE, purpose=LINK_PURPOSE)


def _sealer() -> Any:
    from chalicelib.crypto.envelope import sealer

    return sealer()


def _opened_link(org_id: str, booking_id: str, sealed: Any) -> str | None:
    if not isinstance(sealed, str):
        return None
    return str(_sealer().open(base64.b64decode(sealed), _link_context(org_id), booking_id)["link"])


def parse(body: str) -> tuple[str, str, str, str | None] | None:
    """(mail, org id, booking id, the answered link) of a hand-off message; None for any other message."""
    try:
        fields: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(fields, dict) or fields.get("kind") != KIND or fields.get("mail") not in MAILS:
        return None
    org_id, booking_id = fields.get("org_id"), fields.get("booking_id")
    if not isinstance(org_id, str) or not isinstance(booking_id, str):
        return None
    return str(fields["mail"]), org_id, booking_id, _opened_link(org_id, booking_id, fields.get("sealed_link"))


def deliver(mail: str, org_id: str, booking_id: str, link: str | None = None) -> None:
    """The consumer's side: the booking as stored now, its mail, then the org's audit chain."""
    from chalicelib.errors import NotFound
    from chalicelib.services.booking.bookings import get_booking

    try:
        booking = get_booking(org_id, booking_id)
    except NotFound:  # erased meanwhile: nobody to write to
        booking = None
    if booking is not None:
        _mail(mail, booking, link)
    from chalicelib.services import audit

    audit.build_after_commit(org_id)  # never raises: the one-minute sweep finishes what this leaves


def _deliver_now(mail: str, booking: Booking, link: str | None) -> None:
    from chalicelib.services import audit

    _mail(mail, booking, link)
    audit.build_after_commit(booking.org_id)


def _mail(mail: str, booking: Booking, link: str | None) -> None:
    from chalicelib.services.booking import bookings

    if mail == "cancelled" or link:
        bookings.mail_with_link(mail, booking, link or "")
    else:
        bookings.send_update(mail, booking)
