"""The starts of a series: the first start's wall-clock time in the staff member's zone, every n weeks.

A course of physiotherapy at 10:00 stays at 10:00 across a daylight-saving change: each start is the
same local time on its own date, turned into a UTC instant with that date's offset. A local time that
does not exist on a date (the hour skipped in spring) is no start at all: it is listed as a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Planned:
    index: int
    local: datetime  # naive wall-clock time in the zone
    start: datetime | None  # UTC; None when the wall-clock time does not exist that day


def planned(first_local: datetime, zone: ZoneInfo, every_weeks: int, count: int) -> list[Planned]:
    """The `count` wall-clock starts from `first_local` (naive), `every_weeks` apart."""
    found = []
    for index in range(count):
        local = first_local + timedelta(weeks=every_weeks * index)
        found.append(Planned(index, local, instant(local, zone)))
    return found


def instant(local: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a naive wall-clock time in `zone`, or None if the clock skips it that day."""
    aware = local.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware.astimezone(UTC) if back == local else None
