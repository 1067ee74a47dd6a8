"""Counting AWS API calls by service and operation (counts do not drift between machines), and the time
spent inside them, so that SafeSlot's own time can be told apart from the (moto) backend's."""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import botocore.client

T = TypeVar("T")


@dataclass
class CallLog:
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: float = 0.0  # wall time inside AWS calls


@contextlib.contextmanager
def counting_calls() -> Iterator[CallLog]:
    """Count every AWS API call made inside the block, as "service:Operation", and time them."""
    log = CallLog()
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        log.counts[f"{client.meta.service_model.service_name}:{operation}"] += 1
        start = time.perf_counter()
        try:
            return original(client, operation, params)
        finally:
            log.seconds += time.perf_counter() - start

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield log
    finally:
        botocore.client.BaseClient._make_api_call = original


def per_operation(log: CallLog, operations: int) -> dict[str, float]:
    return {name: round(count / operations, 2) for name, count in sorted(log.counts.items())}


def on_a_stack_taking_any_public_writes(measure: Callable[[], T]) -> T:
    """`measure()` on an in-process stack where one source address may make every public request."""
    import os

    from infra.local_stack import mocked_stack

    os.environ["SAFESLOT_PUBLIC_WRITES_PER_IP"] = "100000"
    try:
        with mocked_stack():
            return measure()
    finally:
        del os.environ["SAFESLOT_PUBLIC_WRITES_PER_IP"]
