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

    def allows(self, service: Service, start: datetime) -> bool:
        if not self.enforce_notice:
            return start >= self.now
        earliest = self.now + timedelta(minutes=int(service.min_notice_minutes))
        latest = self.now + timedelta(days=int(service.max_advance_days))
        return earliest <= start <= latest


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
    """Every free start for `service` with `staff` inside `window`; `taken` holds locked granules."""
    duration = timedelta(minutes=int(service.duration_minutes))
    step = timedelta(minutes=int(service.slot_step_minutes))
    away = time_off(staff)
    for hours in working_intervals(staff, window):
        start = hours.start
        while start + duration <= hours.end:
            if window.start <= start < window.end and rules.allows(service, start):
                span = busy_span(service, start)
                if not any(span.overlaps(off) for off in away) and taken.isdisjoint(granules(span)):
                    yield Slot(start, start + duration, staff.staff_id)
            start += step


def is_offered(service: Service, staff: StaffMember, start: datetime, rules: Rules) -> bool:
    """Whether `start` is on `staff`'s grid for `service` and allowed now (locks are the transaction's)."""
    if not staff.active or service.service_id not in staff.service_ids:
        return False
    probe = Interval(start, start + timedelta(minutes=1))
    return any(slot.start == start for slot in open_slots(service, staff, probe, rules, taken=frozenset()))
