"""Chaining an org's outbox off the request path: one SendMessage instead of the builder's 5-7 DynamoDB calls.

A hot path (a booking, a login) commits its outbox entry in its own transaction, exactly as before; what
it no longer does is link the entry onto the chain before answering. It puts one small message on the
mail queue (ADR 0016's queue and consumer) naming the org, and the consumer runs `chain.build` for that
org moments later. The delay from commit to chain stays in the order of a second (the queue's own
latency), the one-minute `audit_chain_sweep` still bounds it if the queue is down, and a failed send
falls back to chaining in the request as before (ADR 0020). The message names the org only.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.logs import logger
from chalicelib.services.audit import chain

KIND = "audit_chain"


def build_soon(org_id: str) -> None:
    """Ask the queue's consumer to chain `org_id`'s pending entries; never raises."""
    from chalicelib import aws
    from chalicelib.config import settings

    url = settings().mail_queue_url
    if not url:
        chain.build_after_commit(org_id)
        return
    try:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=message(org_id))
    except Exception as error:  # the entry is committed: chain it here rather than wait for the sweep
        logger.warning("audit chain hand-off failed", extra={"org_id": org_id, "error_type": type(error).__name__})
        chain.build_after_commit(org_id)


def message(org_id: str) -> str:
    return json.dumps({"kind": KIND, "org_id": org_id}, separators=(",", ":"))


def org_to_chain(body: str) -> str | None:
    """The org a hand-off message names; None for any other message (a queued mail)."""
    try:
        fields: Any = json.loads(body)
    except ValueError:
        return None
    if isinstance(fields, dict) and fields.get("kind") == KIND and isinstance(fields.get("org_id"), str):
        return str(fields["org_id"])
    return None
