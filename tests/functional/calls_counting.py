"""Counting the AWS calls a request makes itself (issue 24): the mail queue's consumer, which the test
client runs after each request (tests/harness/mail_drain.py) as SQS would moments later, is left out."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.client
import pytest

CONSUMER_CALLS = {"sqs:ReceiveMessage", "sqs:DeleteMessage"}  # the consumer's, never a request's


@dataclass
class Calls:
    made: list[str] = field(default_factory=list)
    capacity: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def dynamodb(self) -> int:
        return sum(1 for call in self.made if call.startswith("dynamodb:"))

    def count(self, operation: str) -> int:
        return self.made.count(operation)

    def reads(self) -> int:
        return sum(1 for call in self.made if call.split(":")[1] in ("GetItem", "Query", "BatchGetItem", "Scan"))


@contextlib.contextmanager
def request_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """Every AWS call made inside the block by the request itself, as "service:Operation"."""
    from chalicelib.jobs import queued_mail

    calls, paused = Calls(), [False]
    original = botocore.client.BaseClient._make_api_call
    handle = queued_mail.handle

    def counted(client: Any, operation: str, params: Any) -> Any:
        name = f"{client.meta.service_model.service_name}:{operation}"
        if not paused[0] and name not in CONSUMER_CALLS:
            calls.made.append(name)
        return original(client, operation, params)

    def consumer(body: str) -> None:
        paused[0] = True
        try:
            handle(body)
        finally:
            paused[0] = False

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    monkeypatch.setattr(queued_mail, "handle", consumer)
    yield calls
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    monkeypatch.setattr(queued_mail, "handle", handle)
