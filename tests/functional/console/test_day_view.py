"""The front desk's day: one call gives the rows with patient names, and that read is ONE audit event
listing whom it showed, which each patient's access report shows as one line."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, token_for

BOB = {"name": "Bob Other", "email": "bob@example.org"}
CAROL = {"name": "Carol Elsewhere", "email": "carol@example.org"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("frontdesk", "staff", "auditor"))


@pytest.fixture
def day():
    return next_weekday()


@pytest.fixture
def people(client, clinic, day):
    """Alice and Bob with Dr Ada, Carol with the staff user's own Dr Staff: {name: customer id}."""
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    found = {}
    for name, customer, hour, staff in (("alice", ALICE, "10:00", None), ("bob", BOB, "11:00", None),
                                        ("carol", CAROL, "10:00", mine["id"])):
        extra = {"staff_id": staff} if staff else {"staff_id": clinic.staff[0]["id"]}
        answer = book(client, clinic, at(day, hour), customer=customer, **extra)
        assert answer.status_code == 201, answer.body
        found[name] = Booking.get(clinic.org_id, body(answer)["booking"]["id"]).customer_id
    return found


def day_reads(org_id: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.query(org_id) if e.action == "calendar.day_read"]


def test_one_call_gives_the_whole_clinics_day_with_names_services_and_staff(client, clinic, day, people):
    desk = token_for(client, clinic.accounts["frontdesk"])

    answer = call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}", desk)

    assert answer.status_code == 200, answer.body
    shown = body(answer)
    rows = [(b["start"][11:16], b["customer"]["name"]) for b in shown["bookings"]]
    assert [start for start, _ in rows] == ["10:00", "10:00", "11:00"]  # in time order
    assert sorted(rows) == [("10:00", "Alice Zebrowski"), ("10:00", "Carol Elsewhere"), ("11:00", "Bob Other")]
    assert {s["name"] for s in shown["services"]} == {"Consultation"}
    assert {m["display_name"] for m in shown["staff"]} == {"Dr Ada", "Dr Staff"}
    assert "email" not in json.dumps(shown["bookings"]) and "phone" not in json.dumps(shown["bookings"])


def test_showing_names_is_one_audit_event_that_lists_whom_it_showed(client, clinic, day, people):
    desk = token_for(client, clinic.accounts["frontdesk"])

    call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}", desk)

    [event] = day_reads(clinic.org_id)
    assert event.actor == clinic.accounts["frontdesk"].user_id
    assert set(event.subjects["customer_ids"].split()) == set(people.values())
    assert event.subjects["count"] == "3" and event.subjects["date"] == day.isoformat()
    assert "Alice" not in str(event.subjects.as_dict())


def test_the_view_is_one_line_in_each_shown_patients_access_report_and_none_in_anyone_elses(
        client, clinic, day, people):
    desk = token_for(client, clinic.accounts["frontdesk"])
    call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}&staff_id={clinic.staff[0]['id']}", desk)
    auditor = token_for(client, clinic.accounts["auditor"])

    def day_lines(name: str) -> list[dict]:
        report = body(call(client, "GET", f"/v1/customers/{people[name]}/access-report", auditor))
        return [e for e in report["entries"] if e["action"] == "calendar.day_read"]

    assert [(e["kind"], e["by"]["role"]) for e in day_lines("alice")] == [("read", "front desk")]
    assert len(day_lines("bob")) == 1
    assert day_lines("carol") == []  # Dr Ada's day did not show her


def test_a_staff_user_sees_only_their_own_patients_and_cannot_ask_for_anothers_day(client, clinic, day, people):
    staff = token_for(client, clinic.accounts["staff"])

    mine = body(call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}", staff))
    other = call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}&staff_id={clinic.staff[0]['id']}", staff)

    assert [b["customer"]["name"] for b in mine["bookings"]] == ["Carol Elsewhere"]
    assert [m["display_name"] for m in mine["staff"]] == ["Dr Staff"]
    assert other.status_code == 403
    [event] = day_reads(clinic.org_id)
    assert event.subjects["customer_ids"] == people["carol"]


def test_an_empty_day_names_no_one_and_writes_no_read(client, clinic, day, people):
    desk = token_for(client, clinic.accounts["frontdesk"])

    answer = call(client, "GET", "/v1/calendar/day?date=2031-01-01", desk)

    assert body(answer)["bookings"] == [] and day_reads(clinic.org_id) == []


@pytest.mark.parametrize("query", ["", "?date=tomorrow", "?date=2026-02-30", "?date=9999-12-31", "?date=0001-01-01",
                                   "?date=20261223", "?date=2026-W52-3"])  # no 500 from overflowing a day
def test_a_bad_day_is_a_422_naming_the_parameter(client, clinic, query):
    desk = token_for(client, clinic.accounts["frontdesk"])

    answer = call(client, "GET", f"/v1/calendar/day{query}", desk)

    assert (answer.status_code, body(answer)["error"]["field"]) == (422, "date")


def test_the_auditor_cannot_read_the_days_names(client, clinic, day, people):
    auditor = token_for(client, clinic.accounts["auditor"])

    assert call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}", auditor).status_code == 403
