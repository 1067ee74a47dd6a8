"""Availability is computed in the staff member's zone: hand-worked tables across DST changes.

Each table was worked out from the zone's rules (e.g. New York, 14 March 2027: 02:00 EST becomes
03:00 EDT), not from the code. Times in the tables are UTC starts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.models.catalog import Service, StaffMember
from chalicelib.services.booking.availability import Rules, is_offered, open_slots
from chalicelib.services.booking.timeline import Interval, granules, viewer_window

LONG_AGO = Rules(now=datetime(2026, 9, 1, tzinfo=UTC))


def service(duration: int = 60, step: int = 60, before: int = 0, after: int = 0, notice: int = 0) -> Service:
    return Service("org", "svc", name="Visit", duration_minutes=duration, slot_step_minutes=step,
                   buffer_before_minutes=before, buffer_after_minutes=after, min_notice_minutes=notice,
                   max_advance_days=730, active=True)


def staff(zone: str, day: date, start: str, end: str, **fields) -> StaffMember:
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    return StaffMember("org", "ada", display_name="Ada", timezone=zone, service_ids=["svc"],
                       weekly_hours={weekday: [{"start": start, "end": end}]}, active=True, **fields)


def utc_starts(svc: Service, member: StaffMember, day: date, rules: Rules = LONG_AGO, taken=frozenset()):
    midnight = datetime.combine(day, datetime.min.time(), UTC)
    window = Interval(midnight - timedelta(hours=14), midnight + timedelta(hours=38))  # every zone's day
    return [slot.start.strftime("%d %H:%M") for slot in open_slots(svc, member, window, rules, taken)]


DST_TABLES = [
    # zone, local day, hours, duration/step, UTC starts (day-of-month hh:mm)
    ("America/New_York", date(2027, 3, 14), ("00:00", "05:00"), 60,
     ["14 05:00", "14 06:00", "14 07:00", "14 08:00"]),  # 00:00 EST, 01:00 EST, 03:00 EDT, 04:00 EDT
    ("America/New_York", date(2026, 11, 1), ("00:00", "03:00"), 60,
     ["01 04:00", "01 05:00", "01 06:00", "01 07:00"]),  # 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST
    ("Europe/London", date(2027, 3, 28), ("00:00", "04:00"), 60,
     ["28 00:00", "28 01:00", "28 02:00"]),  # 00:00 GMT, 02:00 BST, 03:00 BST
    ("Europe/London", date(2026, 10, 25), ("00:00", "03:00"), 60,
     ["24 23:00", "25 00:00", "25 01:00", "25 02:00"]),  # 00:00 BST, 01:00 BST, 01:00 GMT, 02:00 GMT
    ("Australia/Lord_Howe", date(2026, 10, 4), ("01:00", "04:00"), 30,
     ["03 14:30", "03 15:00", "03 15:30", "03 16:00", "03 16:30"]),  # 01:00, 01:30 (+10:30), 02:30.. (+11)
    ("Australia/Lord_Howe", date(2027, 4, 4), ("01:00", "03:00"), 30,
     ["03 14:00", "03 14:30", "03 15:00", "03 15:30", "03 16:00"]),  # 01:00, 01:30 (+11), 01:30.. (+10:30)
]


@pytest.mark.parametrize(("zone", "day", "hours", "minutes", "expected"), DST_TABLES,
                         ids=[f"{t[0]}-{t[1]}" for t in DST_TABLES])
def test_slots_on_the_days_the_clocks_change_match_the_hand_worked_table(zone, day, hours, minutes, expected):
    svc = service(duration=minutes, step=minutes)

    assert utc_starts(svc, staff(zone, day, *hours), day) == expected


def test_the_same_wall_clock_hours_move_in_utc_across_the_change_and_a_viewer_sees_their_own_offset():
    before, after = date(2027, 3, 8), date(2027, 3, 15)  # Mondays around New York's change
    member = StaffMember("org", "ada", display_name="Ada", timezone="America/New_York", service_ids=["svc"],
                         weekly_hours={"mon": [{"start": "09:00", "end": "10:00"}]}, active=True)
    london = ZoneInfo("Europe/London")  # London changes two weeks later: its offset is still +00:00
    seen = [slot.start.astimezone(london).isoformat()
            for day in (before, after)
            for slot in open_slots(service(), member, viewer_window(day, day, london), LONG_AGO)]

    assert seen == ["2027-03-08T14:00:00+00:00", "2027-03-15T13:00:00+00:00"]


def test_hours_that_start_in_the_spring_gap_begin_when_the_clock_resumes():
    day = date(2027, 3, 14)  # 02:30 does not exist in New York that day

    assert utc_starts(service(), staff("America/New_York", day, "02:30", "05:00"), day) == ["14 07:30"]


def test_buffers_keep_their_time_free_of_other_bookings():
    day = date(2027, 3, 2)
    svc = service(duration=30, step=30, before=10, after=20)
    member = staff("UTC", day, "09:00", "12:00")
    other_booking = frozenset(granules(Interval(datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
                                                datetime(2027, 3, 2, 10, 30, tzinfo=UTC))))

    starts = utc_starts(svc, member, day, taken=other_booking)

    # 09:30-10:00 would need its after-buffer until 10:20; 10:30 would need 10:20 for its before-buffer
    assert starts == ["02 09:00", "02 11:00", "02 11:30"]


def test_minimum_notice_and_time_off_remove_slots():
    day = date(2027, 3, 2)
    member = staff("UTC", day, "09:00", "13:00",
                   time_off=[{"start": "2027-03-02T11:00:00+00:00", "end": "2027-03-02T12:00:00+00:00"}])
    now = Rules(now=datetime(2027, 3, 2, 8, 30, tzinfo=UTC))

    assert utc_starts(service(notice=60), member, day, now) == ["02 10:00", "02 12:00"]


def test_a_one_off_exception_replaces_the_weekly_hours_of_that_day():
    day = date(2027, 3, 2)
    member = staff("UTC", day, "09:00", "17:00", exceptions=[
        {"date": "2027-03-02", "intervals": [{"start": "14:00", "end": "15:00"}]},
    ])

    assert utc_starts(service(), member, day) == ["02 14:00"]


def test_a_start_off_the_grid_or_outside_hours_is_not_offered():
    day = date(2027, 3, 2)
    member = staff("UTC", day, "09:00", "12:00")

    assert is_offered(service(), member, datetime(2027, 3, 2, 10, 0, tzinfo=UTC), LONG_AGO)
    assert not is_offered(service(), member, datetime(2027, 3, 2, 10, 5, tzinfo=UTC), LONG_AGO)
    assert not is_offered(service(), member, datetime(2027, 3, 2, 11, 30, tzinfo=UTC), LONG_AGO)
