"""The week in one call (one audit event listing whom it showed), the visit status set by the front desk
and staff (audited, counted in the visit report), and the patient's card."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for

BOB = {"name": "Bob Other", "email": "bob@example.org"}
CAROL = {"name": "Carol Elsewhere", "email": "carol@example.org"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("frontdesk", "staff", "auditor", "admin"))


@pytest.fixture
def monday():
    return next_weekday(weekday=0)


@pytest.fixture
def people(client, clinic, monday):
    """Alice (Monday) and Bob (Thursday) with Dr Ada, Carol (Tuesday) with the staff user's Dr Staff."""
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    found = {}
    ada = clinic.staff[0]["id"]
    for name, customer, day, staff in (("alice", None, 0, ada), ("bob", BOB, 3, ada), ("carol", CAROL, 1, mine["id"])):
        extra = {"customer": customer} if customer else {}
        answer = book(client, clinic, at(monday + timedelta(days=day), "10:00"), staff_id=staff, **extra)
        assert answer.status_code == 201, answer.body
        booking = Booking.get(clinic.org_id, body(answer)["booking"]["id"])
        found[name] = (booking.customer_id, booking.booking_id)
    return found


def week(client, token, monday, staff_id=None):
    path = f"/v1/calendar/week?date={monday.isoformat()}" + (f"&staff_id={staff_id}" if staff_id else "")
    return call(client, "GET", path, token)


def events(org_id, action):
    return [e for e in AuditEvent.query(org_id) if e.action == action]


def test_the_whole_clinics_week_is_one_call_with_names_and_one_audit_event(client, clinic, monday, people):
    desk = token_for(client, clinic.accounts["frontdesk"])

    answer = week(client, desk, monday)

    assert answer.status_code == 200, answer.body
    rows = [(b["start"][:10], b["customer"]["name"], b["visit_status"]) for b in body(answer)["bookings"]]
    assert [name for _, name, _ in rows] == ["Alice Zebrowski", "Carol Elsewhere", "Bob Other"]
    assert {status for _, _, status in rows} == {"booked"}
    [event] = events(clinic.org_id, "calendar.week_read")
    assert set(event.subjects["customer_ids"].split()) == {c for c, _ in people.values()}
    assert event.subjects["from"] == monday.isoformat()


def test_the_week_view_is_one_line_in_the_patients_access_report(client, clinic, monday, people):
    week(client, token_for(client, clinic.accounts["frontdesk"]), monday)
    auditor = token_for(client, clinic.accounts["auditor"])
    report = body(call(client, "GET", f"/v1/customers/{people['alice'][0]}/access-report", auditor))

    assert [e["action"] for e in report["entries"]].count("calendar.week_read") == 1


def test_the_staff_role_sees_only_their_own_week(client, clinic, monday, people):
    staff = token_for(client, clinic.accounts["staff"])

    mine = body(week(client, staff, monday))
    refused = week(client, staff, monday, clinic.staff[0]["id"])

    assert [b["customer"]["name"] for b in mine["bookings"]] == ["Carol Elsewhere"]
    assert refused.status_code == 403


def test_the_front_desk_marks_arrival_and_completion_audited_and_counted(client, clinic, monday, people):
    desk = token_for(client, clinic.accounts["frontdesk"])
    alice, bob = people["alice"][1], people["bob"][1]

    arrived = post_json(client, f"/v1/bookings/{alice}/visit-status", {"status": "arrived"}, desk)
    post_json(client, f"/v1/bookings/{alice}/visit-status", {"status": "completed"}, desk)
    post_json(client, f"/v1/bookings/{bob}/visit-status", {"status": "no_show"}, desk)

    assert arrived.status_code == 200 and body(arrived)["booking"]["visit_status"] == "arrived"
    changes = events(clinic.org_id, "booking.visit_status_changed")
    assert [e.subjects["status"] for e in changes] == ["arrived", "completed", "no_show"]
    shown = body(week(client, desk, monday))
    assert shown["counts"]["completed"] == 1 and shown["counts"]["no_show"] == 1 and shown["counts"]["booked"] == 1
    span = f"from={at(monday, '00:00')}&to={at(monday + timedelta(days=7), '00:00')}".replace("+", "%2B")
    report = body(call(client, "GET", f"/v1/reports/visits?{span}", desk))
    assert report["totals"]["completed"] == 1 and report["totals"]["no_show"] == 1


def test_a_cancelled_booking_gets_no_visit_status(client, clinic, monday, people):
    desk = token_for(client, clinic.accounts["frontdesk"])
    alice = people["alice"][1]
    post_json(client, f"/v1/bookings/{alice}/cancel", {}, desk)

    refused = post_json(client, f"/v1/bookings/{alice}/visit-status", {"status": "arrived"}, desk)

    assert refused.status_code == 409
    assert body(week(client, desk, monday))["counts"]["cancelled"] == 1


def test_the_staff_role_sets_the_status_only_of_their_own_bookings(client, clinic, monday, people):
    staff = token_for(client, clinic.accounts["staff"])

    own = post_json(client, f"/v1/bookings/{people['carol'][1]}/visit-status", {"status": "arrived"}, staff)
    other = post_json(client, f"/v1/bookings/{people['alice'][1]}/visit-status", {"status": "arrived"}, staff)

    assert own.status_code == 200 and other.status_code in (403, 404)
    assert Booking.get(clinic.org_id, people["alice"][1]).visit_status is None


def test_the_card_shows_details_bookings_and_what_the_role_may_do(client, clinic, monday, people):
    desk = token_for(client, clinic.accounts["frontdesk"])
    card = body(call(client, "GET", f"/v1/customers/{people['alice'][0]}/card", desk))

    assert card["customer"]["name"] == "Alice Zebrowski" and "notes" not in card["customer"]
    assert [b["service"] for b in card["bookings"]] == ["Consultation"]
    assert card["may"] == {"edit_details": True, "notes": False, "access_report": False, "book": True}
    reads = [e for e in events(clinic.org_id, "customer.read") if e.subjects["customer_id"] == people["alice"][0]]
    assert len(reads) == 1


def test_the_staff_role_opens_only_their_own_patients_card(client, clinic, monday, people):
    staff = token_for(client, clinic.accounts["staff"])

    assert call(client, "GET", f"/v1/customers/{people['carol'][0]}/card", staff).status_code == 200
    assert call(client, "GET", f"/v1/customers/{people['alice'][0]}/card", staff).status_code == 404
