"""The local stand-in for the mail queue's Lambda trigger (ADR 0016): receive, hand each body to the same
`chalicelib.jobs.queued_mail.handle` the Lambda calls, delete it once handled.

`make run` polls in a thread of scripts/run_local.py; the in-process tests drain the queue after each
request (tests/conftest.py), so what a route queued has happened when its answer is read. A message whose
handling fails stays on the queue: it comes back after the visibility timeout, and after MAX_RECEIVES
tries moves to the dead-letter queue, as on AWS.
"""

from __future__ import annotations

import logging
import threading

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.jobs import queued_mail

log = logging.getLogger("safeslot.queue_consumer")


def drain(wait_seconds: int = 0) -> int:
    """Handle every message on the mail queue now; returns how many. The first failure propagates."""
    sqs, url = aws.client("sqs"), settings().mail_queue_url
    handled = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=wait_seconds).get("Messages", [])
        if not messages:
            return handled
        for message in messages:
            queued_mail.handle(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1


def poll_forever(stop: threading.Event) -> None:
    """`make run`'s consumer: long-polls the queue until `stop` is set; a failure is logged (by kind of
    error only: a message's contents never reach a log) and polling goes on."""
    while not stop.is_set():
        try:
            drain(wait_seconds=1)
        except Exception as error:  # the message stays queued and comes back later
            log.warning("queued mail failed: %s", type(error).__name__)
            stop.wait(1)
