"""The mail queue's consumer (services/mail_queue): what each kind of queued message does.

The Lambda behind the queue (chalicelib/api/queues.py) and the local stack's poller (scripts/queue_consumer.py)
both hand each message's body to `handle`. A message that fails raises: SQS gives it again, and after
MAX_RECEIVES it lands in the dead-letter queue, whose alarm tells the operators.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.services.audit import chain, handoff
from chalicelib.services.booking import mail_handoff
from chalicelib.services.booking.links import deliver_my_bookings_link
from chalicelib.services.identity.password_reset import deliver_reset
from chalicelib.services.mail_queue import MY_BOOKINGS_LINK, PASSWORD_RESET, SELF_SERVICE_LINK, QueuedMail
from chalicelib.services.self_service.links import deliver_link

HANDLERS: dict[str, Callable[[QueuedMail], None]] = {
    SELF_SERVICE_LINK: deliver_link,
    MY_BOOKINGS_LINK: deliver_my_bookings_link,
    PASSWORD_RESET: deliver_reset,
}


def handle(body: str) -> None:
    """Do what one queued message asks (ValueError for a body this code did not write)."""
    org_id = handoff.org_to_chain(body)
    if org_id is not None:
        chain.build(org_id)  # a hot path's audit entry, handed off (services/audit/handoff.py)
        return
    booking_mail = mail_handoff.parse(body)
    if booking_mail is not None:
        mail_handoff.deliver(*booking_mail)  # a booking's mail and chaining (services/booking/mail_handoff.py)
        return
    from chalicelib.services.webhooks import deliveries  # the queue carries webhook deliveries too (issue 29)

    if deliveries.is_delivery_message(body):
        deliveries.handle_message(body)
        return
    message = QueuedMail.parse(body)
    HANDLERS[message.kind](message)
