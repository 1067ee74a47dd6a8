"""Time arithmetic for availability (decision 5): wall-clock hours in a staff member's IANA zone become
UTC instants; slot locks cut time into 5-minute granules.

Hours are wall-clock: 09:00-17:00 is eight real hours on an ordinary day and seven or nine on the day
the clocks change inside it. A start that does not exist locally (the spring gap) is read with the
offset before the change, i.e. it moves forward by the gap; an ambiguous one takes its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

GRANULE_SECONDS = 300
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def granules(span: Interval) -> list[int]:
    """The 5-minute lock granules `span` touches."""
    first = int(span.start.timestamp()) // GRANULE_SECONDS
    last = -(-int(span.end.timestamp()) // GRANULE_SECONDS)
    return list(range(first, last))


def wall_clock(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of `hhmm` ("09:30", or "24:00" for the end of the day) on `day` in `zone`."""
    if hhmm == "24:00":
        day, hhmm = day + timedelta(days=1), "00:00"
    local = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone)
    return local.astimezone(UTC)


def local_days(window: Interval, zone: ZoneInfo) -> Iterator[date]:
    """Every local date in `zone` that `window` touches."""
    day = window.start.astimezone(zone).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def viewer_window(first: date, last: date, zone: ZoneInfo) -> Interval:
    """From the start of `first` to the end of `last`, in the viewer's zone, as UTC instants."""
    return Interval(wall_clock(first, "00:00", zone), wall_clock(last, "24:00", zone))


def day_key(day: date) -> str:
    return WEEKDAYS[day.weekday()]
