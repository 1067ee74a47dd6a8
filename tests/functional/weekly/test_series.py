"""Series of weekly appointments (issue 29, item 1): a 10-week course across a daylight-saving change keeps
its wall-clock time, is booked all-or-nothing in one transaction with its conflicts listed first, and the
patient's e-mail and the series' .ics carry one recurring event (RRULE) with its exceptions (EXDATE)."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from dateutil.rrule import rrulestr

from chalicelib.models.booking import Booking
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.customers import CustomerDetails, create_customer
from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import body, call, token_for

LONDON = ZoneInfo("Europe/London")
PATIENT = CustomerDetails("Priya Course", "priya.course@example.org")
# the Monday three weeks before the clocks go forward in the UK (last Sunday of March)


def first_monday() -> date:
    today = datetime.now(UTC).date()
    year = today.year + 1 if today >= date(today.year, 3, 1) else today.year
    change = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    return change - timedelta(days=20)  # a Monday, 20 days before that Sunday


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", staff_zone="Europe/London", max_advance_days=365)


@pytest.fixture
def owner(client, clinic):
    return token_for(client, clinic.accounts["owner"])


@pytest.fixture
def customer_id(clinic):
    return create_customer(clinic.org_id, PATIENT, "test")


def series_body(clinic, customer_id, **extra):
    start = datetime.combine(first_monday(), datetime.strptime("10:00", "%H:%M").time(), tzinfo=LONDON)
    return {"customer_id": customer_id, "service_id": clinic.service["id"], "staff_id": clinic.staff[0]["id"],
            "start": start.isoformat(), "every_weeks": 1, "count": 10, **extra}


def expand(ics: str) -> list[datetime]:
    """The recurring event's occurrences, as a calendar app computes them: the RRULE from DTSTART in its
    zone (wall-clock steps), less the EXDATEs."""
    event = next(e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if e.get("rrule"))
    exdates = event.get("exdate") or []
    excluded = {d.dt for group in (exdates if isinstance(exdates, list) else [exdates]) for d in group.dts}
    rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=event.decoded("dtstart"))
    return [o for o in rule if o not in excluded]


def series_mails(address: str) -> list[email.message.Message]:
    from moto.ses.models import ses_backends

    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    return [email.message_from_string(m.raw_data) for m in sent
            if hasattr(m, "raw_data") and address in m.destinations and "series.ics" in m.raw_data]


def test_a_ten_week_series_across_a_dst_change_keeps_its_wall_clock_time_and_one_moved_occurrence(
        client, clinic, owner, customer_id):
    made = call(client, "POST", "/v1/series", owner, series_body(clinic, customer_id))

    assert made.status_code == 201, made.body
    series = body(made)["series"]
    starts = [datetime.fromisoformat(b["start"]) for b in series["bookings"]]
    assert len(starts) == 10
    assert {s.astimezone(LONDON).strftime("%a %H:%M") for s in starts} == {"Mon 10:00"}
    assert {s.astimezone(UTC).hour for s in starts} == {10, 9}  # GMT, then BST: the same wall clock
    fifth = series["bookings"][4]
    new_start = datetime.fromisoformat(fifth["start"]).astimezone(LONDON) + timedelta(days=2, hours=4)  # Wed 14:00

    moved = call(client, "POST", f"/v1/series/{series['id']}/move", owner,
                 {"booking_id": fifth["id"], "start": new_start.isoformat()})

    assert moved.status_code == 200, moved.body
    ics = call(client, "GET", f"/v1/series/{series['id']}/calendar.ics", owner).body.decode()
    parsed = vobject.readOne(ics)  # a second reader finds the same structure
    recurring = next(e for e in parsed.vevent_list if hasattr(e, "rrule"))
    assert "FREQ=WEEKLY" in recurring.rrule.value and "COUNT=10" in recurring.rrule.value
    assert "DTSTART;TZID=Europe/London:" in ics
    expanded = expand(ics)
    assert len(expanded) == 9  # ten, less the moved one (its EXDATE)
    assert {o.astimezone(LONDON).strftime("%a %H:%M") for o in expanded} == {"Mon 10:00"}
    assert {o.astimezone(UTC).hour for o in expanded} == {10, 9}
    [single] = [e for e in parsed.vevent_list if not hasattr(e, "rrule")]
    assert single.dtstart.value.astimezone(LONDON) == new_start
    assert PATIENT.name not in ics and PATIENT.email not in ics
    _, update = series_mails(PATIENT.email)
    attached = next(p.get_payload(decode=True) for p in update.walk() if p.get_filename() == "series.ics")
    event = next(c for c in icalendar.Calendar.from_ical(attached).walk("VEVENT") if c.get("rrule"))
    assert event.get("exdate") is not None and int(event["sequence"]) == 1


def test_a_series_with_a_conflict_is_refused_whole_with_the_conflicts_listed_first(client, clinic, owner,
                                                                                   customer_id):
    wanted = series_body(clinic, customer_id)
    third = datetime.fromisoformat(wanted["start"]).astimezone(LONDON).replace(tzinfo=None) + timedelta(weeks=2)
    actor = calendar.Actor(clinic.org_id, "test", clinic.owner.origin, is_staff=True)
    other = create_customer(clinic.org_id, CustomerDetails("Other Patient", "other@example.org"), "test")
    calendar.book(actor, other, calendar.NewBooking(clinic.service["id"], third.replace(tzinfo=LONDON),
                                                    clinic.staff[0]["id"]))
    before = Booking.count(clinic.org_id)

    checked = body(call(client, "POST", "/v1/series-checks", owner, wanted))["check"]
    refused = call(client, "POST", "/v1/series", owner, wanted)

    assert [o["free"] for o in checked["occurrences"]].count(False) == 1
    assert not checked["occurrences"][2]["free"]
    assert refused.status_code == 409 and body(refused)["error"]["code"] == "slot_unavailable"
    assert body(refused)["error"]["reasons"] == [third.isoformat()]
    assert Booking.count(clinic.org_id) == before  # nothing of the series was written


def test_cancelling_from_one_occurrence_cancels_it_and_all_that_follow(client, clinic, owner, customer_id):
    series = body(call(client, "POST", "/v1/series", owner, series_body(clinic, customer_id)))["series"]

    answer = call(client, "POST", f"/v1/series/{series['id']}/cancel", owner,
                  {"from_booking_id": series["bookings"][7]["id"]})

    statuses = [b["status"] for b in body(answer)["series"]["bookings"]]
    assert statuses == ["confirmed"] * 7 + ["cancelled"] * 3
    ics = call(client, "GET", f"/v1/series/{series['id']}/calendar.ics", owner).body.decode()
    assert len(expand(ics)) == 7


def test_a_series_too_big_for_one_transaction_is_refused(client, clinic, owner, customer_id):
    # 52 occurrences x 2 items (the booking, its hour lock item) + 4 > 100 items
    answer = call(client, "POST", "/v1/series", owner, series_body(clinic, customer_id, count=52))

    assert answer.status_code == 422 and body(answer)["error"]["field"] == "count"
    assert Booking.count(clinic.org_id) == 0


def test_erasing_the_patient_removes_their_series_and_waitlist_rows(client, clinic, owner, customer_id):
    from chalicelib.models.series import BookingSeries
    from chalicelib.services.erasure.weekly_tools import erase_weekly_records

    call(client, "POST", "/v1/series", owner, series_body(clinic, customer_id))

    removed = erase_weekly_records(clinic.org_id, customer_id)

    assert removed == {"series": 1}
    assert [s for s in BookingSeries.query(clinic.org_id) if s.customer_id == customer_id] == []
