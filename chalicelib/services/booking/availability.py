"""Which starts a staff member can take for a service: hours, exceptions, time off, notice and locks.

`open_slots` is pure (no I/O) so the DST tables test it directly; `is_offered` is the same rule for
one start, used again when a booking is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.models.catalog import Service, StaffMember
from chalicelib.services.booking.timeline import Interval, day_key, granules, local_days, wall_clock


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    staff_id: str


@dataclass(frozen=True)
class Rules:
    """When a booking may start relative to now (staff booking for a customer skip the notice)."""

    now: datetime
    enforce_notice: bool = True

    def bounds(self, service: Service) -> tuple[datetime, datetime | None]:
        """The earliest and latest start allowed now (staff have no latest)."""
        if not self.enforce_notice:
            return self.now, None
        return (self.now + timedelta(minutes=int(service.min_notice_minutes)),
                self.now + timedelta(days=int(service.max_advance_days)))


def working_intervals(staff: StaffMember, window: Interval) -> list[Interval]:
    """The member's working hours that touch `window`, as UTC intervals, in order."""
    zone = ZoneInfo(staff.timezone)
    exceptions = {entry["date"]: entry["intervals"] for entry in staff.exceptions or []}
    found = []
    for day in local_days(Interval(window.start - timedelta(days=1), window.end + timedelta(days=1)), zone):
        hours = exceptions.get(day.isoformat(), (staff.weekly_hours or {}).get(day_key(day), []))
        for hours_interval in hours:
            interval = Interval(wall_clock(day, hours_interval["start"], zone),
                                wall_clock(day, hours_interval["end"], zone))
            if interval.start < interval.end and interval.overlaps(window):
                found.append(interval)
    return sorted(found)


def time_off(staff: StaffMember) -> list[Interval]:
    return [Interval(datetime.fromisoformat(entry["start"]), datetime.fromisoformat(entry["end"]))
            for entry in staff.time_off or []]


def busy_span(service: Service, start: datetime) -> Interval:
    """The time a booking keeps from other bookings: the appointment and its buffers."""
    end = start + timedelta(minutes=int(service.duration_minutes))
    return Interval(start - timedelta(minutes=int(service.buffer_before_minutes)),
                    end + timedelta(minutes=int(service.buffer_after_minutes)))


def open_slots(service: Service, staff: StaffMember, window: Interval, rules: Rules,
               taken: frozenset[int] = frozenset()) -> Iterator[Slot]:
    """Every free start for `service` with `staff` inside `window`; `taken` holds locked granules.

    The service's and member's fields are read once, not per start: the time spent here grows with the
    starts on the grid, not with attribute reads (ADR 0019)."""
    duration = timedelta(minutes=int(service.duration_minutes))
    step = timedelta(minutes=int(service.slot_step_minutes))
    before = timedelta(minutes=int(service.buffer_before_minutes))
    after = timedelta(minutes=int(service.buffer_after_minutes))
    earliest, latest = rules.bounds(service)
    first = max(window.start, earliest)
    staff_id = staff.staff_id
    reach = Interval(window.start - before, window.end + duration + after)
    away = [off for off in time_off(staff) if off.overlaps(reach)]
    for hours in working_intervals(staff, window):
        start = hours.start
        while start + duration <= hours.end:
            if first <= start < window.end and (latest is None or start <= latest):
                span = Interval(start - before, start + duration + after)
                if not (away and any(span.overlaps(off) for off in away)) and taken.isdisjoint(granules(span)):
                    yield Slot(start, start + duration, staff_id)
            start += step


def is_offered(service: Service, staff: StaffMember, start: datetime, rules: Rules) -> bool:
    """Whether `start` is on `staff`'s grid for `service` and allowed now (locks are the transaction's)."""
    if not staff.active or service.service_id not in staff.service_ids:
        return False
    probe = Interval(start, start + timedelta(minutes=1))
    return any(slot.start == start for slot in open_slots(service, staff, probe, rules, taken=frozenset()))
