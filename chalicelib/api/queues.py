"""The Lambdas SQS invokes: the mail queue's consumer (services/mail_queue, ADR 0016).

Chalice needs a queue name when the app is packaged; infra/stack.py points the function's event source
at the queue it declares (encrypted, with a dead-letter queue and an alarm). One message per call: a
failure sends back only that one, never a batch whose other mails already went out.
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import SQSEvent

from chalicelib.jobs import queued_mail
from chalicelib.services.mail_queue import MAX_CONSUMERS, QUEUE_NAME

queues = Blueprint(__name__)


@queues.on_sqs_message(queue=f"safeslot-{QUEUE_NAME}", batch_size=1, maximum_concurrency=MAX_CONSUMERS)
def mail_queue(event: SQSEvent) -> None:
    for record in event:
        queued_mail.handle(record.body)
