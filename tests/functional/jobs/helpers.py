"""Running scheduled jobs the way EventBridge does (through the Chalice test client), and reading what
they left behind: buckets, backups, alerts, metrics, mail."""

from __future__ import annotations

import email.parser
import email.policy
import json
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import boto3

from chalicelib.config import settings


def invoke(client, function: str) -> dict[str, Any]:
    """Invoke a scheduled Lambda with a scheduled event; returns its report."""
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[f"arn:aws:events:us-east-1:123456789012:rule/{function}"])
    return dict(client.lambda_.invoke(function, event).payload)


def keys(bucket: str, region: str, prefix: str = "exports/") -> list[str]:
    s3 = boto3.client("s3", region_name=region)
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def primary_keys(prefix: str = "exports/") -> list[str]:
    return keys(settings().backup_bucket, settings().region, prefix)


def replica_keys(prefix: str = "exports/") -> list[str]:
    return keys(settings().replica_bucket, settings().replica_region, prefix)


def on_demand_backups() -> list[str]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    return sorted(b["BackupName"] for table in dynamodb.list_tables()["TableNames"]
                  for b in dynamodb.list_backups(TableName=table)["BackupSummaries"])


def alerts() -> list[str]:
    from moto.sns.models import sns_backends

    topic = sns_backends["123456789012"]["us-east-1"].topics[settings().alert_topic_arn]
    return [notification[1] for notification in topic.sent_notifications]


def metrics(output: str) -> dict[str, float]:
    """The EMF metrics printed by the jobs (name -> value; the last value of each)."""
    found = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[definition["Name"]]
                found[definition["Name"]] = value[-1] if isinstance(value, list) else value
    return found


def mail_to(address: str) -> list[Any]:
    from moto.ses.models import ses_backends

    def recipients(message: Any) -> list[str]:
        destinations = getattr(message, "destinations", None) or []
        return destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)

    return [m for m in ses_backends["123456789012"]["us-east-1"].sent_messages if address in recipients(m)]


@dataclass(frozen=True)
class Mail:
    """A sent mail as its reader sees it: plain ones as moto keeps them, raw ones parsed (email.parser)."""

    subject: str
    body: str  # the plain-text part
    message: EmailMessage | None = None  # the parsed message (letters in the clinic's name), None for plain mail

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",)) if self.message else None
        return part.get_content() if part is not None else ""


def mails_without_attachments_to(address: str) -> list[Mail]:
    """The mails sent to `address` that carry no attachment (not the booking mails with their .ics)."""
    parser, found = email.parser.Parser(policy=email.policy.default), []
    for sent in mail_to(address):
        if not hasattr(sent, "raw_data"):
            found.append(Mail(sent.subject, sent.body))
            continue
        message = parser.parsestr(sent.raw_data)
        if any(part.get_content_disposition() == "attachment" for part in message.walk()):
            continue
        text = message.get_body(preferencelist=("plain",))
        found.append(Mail(str(message["Subject"]), text.get_content() if text is not None else "", message))
    return found


def last_system_event() -> Any:
    """The newest event on the audit chain of jobs and operators."""
    from chalicelib.jobs.runner import SYSTEM_CHAIN
    from chalicelib.models.audit import AuditEvent

    return next(iter(AuditEvent.query(SYSTEM_CHAIN, scan_index_forward=False, limit=1)))
