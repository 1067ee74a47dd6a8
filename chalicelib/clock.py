"""The one source of "now" (UTC), so that tests and drills can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import ValidationFailed

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


def zone(name: str, field: str) -> ZoneInfo:
    """The IANA zone `name`, or a 422 naming `field`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValidationFailed("Unknown IANA time zone.", field=field) from error


def parse_instant(value: str, field: str) -> datetime:
    """An ISO 8601 instant with its UTC offset ("Z" too), or a 422 naming `field`."""
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError) as error:
        raise ValidationFailed(f"Field '{field}' must be an ISO 8601 time.", field=field) from error
    if instant.tzinfo is None:
        raise ValidationFailed(f"Field '{field}' needs a time zone offset.", field=field)
    return instant


def isoformat(instant: datetime) -> str:
    """UTC ISO 8601 with a `Z`, second precision, as every API and stored timestamp uses."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
