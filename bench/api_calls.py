"""Counting AWS API calls by service and operation (counts do not drift between machines)."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from typing import Any

import botocore.client


@contextlib.contextmanager
def counting_calls() -> Iterator[collections.Counter[str]]:
    """Count every AWS API call made inside the block, as "service:Operation"."""
    counts: collections.Counter[str] = collections.Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        counts[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield counts
    finally:
        botocore.client.BaseClient._make_api_call = original


def per_operation(counts: collections.Counter[str], operations: int) -> dict[str, float]:
    return {name: round(count / operations, 2) for name, count in sorted(counts.items())}
