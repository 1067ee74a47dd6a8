"""What a "we sent you an e-mail if..." route does only for a known address runs after the answer.

Looking the address up, writing a token, sealing it, sending the mail and auditing it take 100-200 ms
more for a known address than for an unknown one: one request would tell who is a patient of a clinic
(ASVS 6.3, HIPAA 164.514(d)). So the route takes its limits, computes the address's blind index and
puts one message on an SQS queue, the same work for every address; the queue's consumer (a Lambda,
`chalicelib/api/queues.py`; `make run` polls the local queue) does the rest (ADR 0016).

A message names the org, the kind, the blind index of the typed address (never the address: the mail
goes to the one on the record) and the request's origin for the audit event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.services.audit import Origin

SELF_SERVICE_LINK = "self_service_link"
MY_BOOKINGS_LINK = "my_bookings_link"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of message)
KINDS = (SELF_SERVICE_LINK, MY_BOOKINGS_LINK, PASSWORD_RESET)
NO_ORG = "-"  # a password reset asked for an org that does not exist: queued all the same

# Shared by infra/stack.py and the local stack (infra/local_stack.py).
QUEUE_NAME = "mail"  # after the stage prefix: safeslot-<stage>-mail, and its dead-letter queue -mail-dlq
CONSUMER_TIMEOUT_SECONDS = 60
VISIBILITY_TIMEOUT_SECONDS = 6 * CONSUMER_TIMEOUT_SECONDS  # AWS's advice for a Lambda consumer
MAX_CONSUMERS = 5  # concurrent consumer Lambdas (their reserved concurrency is twice this: never throttled)
MAX_RECEIVES = 5  # then the message goes to the dead-letter queue, which alarms
RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class QueuedMail:
    kind: str
    org_id: str
    email_index: str
    origin: Origin
    accept_language: str | None = None

    def body(self) -> str:
        return json.dumps({"kind": self.kind, "org_id": self.org_id, "email_index": self.email_index,
                           "source_ip": self.origin.source_ip, "user_agent": self.origin.user_agent,
                           "accept_language": self.accept_language}, separators=(",", ":"))

    @classmethod
    def parse(cls, body: str) -> QueuedMail:
        """The message in `body`; ValueError for anything this code did not write."""
        fields: Any = json.loads(body)
        if not isinstance(fields, dict) or fields.get("kind") not in KINDS:
            raise ValueError("not a queued mail")
        org_id, index = fields.get("org_id"), fields.get("email_index")
        optional = {name: fields.get(name) for name in ("source_ip", "user_agent", "accept_language")}
        if not isinstance(org_id, str) or not isinstance(index, str) or not all(
                v is None or isinstance(v, str) for v in optional.values()):
            raise ValueError("not a queued mail")
        return cls(fields["kind"], org_id, index,
                   Origin(source_ip=optional["source_ip"], user_agent=optional["user_agent"]),
                   optional["accept_language"])


def send(body: str, delay_seconds: int = 0) -> None:
    """Put another kind of work on the same queue (a webhook delivery, issue 29): its consumer dispatches
    by the body's `kind` (jobs/queued_mail.handle); `delay_seconds` (at most 900) spaces out retries."""
    aws.client("sqs").send_message(QueueUrl=settings().mail_queue_url, MessageBody=body,
                                   DelaySeconds=delay_seconds)


def enqueue(message: QueuedMail) -> None:
    """One SendMessage, for known and unknown addresses alike (the queue is encrypted with the data key)."""
    aws.client("sqs").send_message(QueueUrl=settings().mail_queue_url, MessageBody=message.body())
