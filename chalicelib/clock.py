"""The one source of "now" (UTC), so that tests and drills can move time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import ValidationFailed

# Instants and dates the API accepts: far enough for any appointment, far from datetime's own limits.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

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
    """The IANA zone `name`, or a 422 naming `field`. Only the IANA database's names count: the host's
    `localtime` (whatever the machine is set to: UTC on Lambda) and `Factory` ("zone unknown") do not."""
    if not isinstance(name, str) or name not in _iana_zone_names():
        raise ValidationFailed("Unknown IANA time zone (use a name such as 'Europe/Paris').", field=field)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValidationFailed("Unknown IANA time zone.", field=field) from error


@functools.cache
def _iana_zone_names() -> frozenset[str]:
    """The zones of the IANA database as the pinned `tzdata` package lists them (not the host's files)."""
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(names) - {"Factory"}


def parse_instant(value: str, field: str) -> datetime:
    """An ISO 8601 instant with its UTC offset ("Z" too), or a 422 naming `field`."""
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError, AttributeError) as error:
        raise ValidationFailed(f"Field '{field}' must be an ISO 8601 time.", field=field) from error
    if instant.tzinfo is None:
        raise ValidationFailed(f"Field '{field}' needs a time zone offset.", field=field)
    if not EARLIEST <= instant <= LATEST:
        raise ValidationFailed(f"Field '{field}' must be between {EARLIEST.year} and {LATEST.year}.", field=field)
    return instant


def check_date(day: date, field: str) -> date:
    """A calendar date inside the range every computation on it can handle (no 0001-01-01 or 9999-12-31)."""
    if not EARLIEST.date() <= day <= LATEST.date():
        raise ValidationFailed(f"Field '{field}' must be between {EARLIEST.year} and {LATEST.year}.", field=field)
    return day


def isoformat(instant: datetime) -> str:
    """UTC ISO 8601 with a `Z`, second precision, as every API and stored timestamp uses."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
