"""The one source of "now" (UTC), so that tests and drills can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current UTC instant, timezone-aware."""
    return _source()


def set_source(source: Callable[[], datetime]) -> None:
    """Replace where `now()` comes from (tests use a controllable clock)."""
    global _source
    _source = source


def reset() -> None:
    set_source(lambda: datetime.now(UTC))


def isoformat(instant: datetime) -> str:
    """UTC ISO 8601 with a `Z`, second precision, as every API and stored timestamp uses."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
