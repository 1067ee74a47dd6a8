"""Each action the console hides from a role is refused by the API when that role calls it directly
(issue 25, item 6): the screens only mirror the server's permission table, never replace it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.models.booking import Booking
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for


@pytest.fixture
def setting(client, aws_stack):
    clinic = make_clinic("clinic", roles=("admin", "frontdesk", "staff", "auditor"))
    monday = next_weekday(weekday=0)
    answer = book(client, clinic, at(monday, "10:00"), staff_id=clinic.staff[0]["id"])
    booking = Booking.get(clinic.org_id, body(answer)["booking"]["id"])
    return clinic, monday, booking


def hidden_actions(clinic, monday, booking):
    """(what the console hides, from whom, the direct call)"""
    customer, ada, arrived = booking.customer_id, clinic.staff[0]["id"], {"status": "arrived"}
    return [
        ("the week", "auditor", ("GET", f"/v1/calendar/week?date={monday.isoformat()}", None)),
        ("another's week", "staff", ("GET", f"/v1/calendar/week?date={monday.isoformat()}&staff_id={ada}", None)),
        ("the day", "auditor", ("GET", f"/v1/calendar/day?date={monday.isoformat()}", None)),
        ("finding patients", "auditor", ("POST", "/v1/customers/search", {"query": "alice"})),
        ("the card", "auditor", ("GET", f"/v1/customers/{customer}/card", None)),
        ("another's patient's card", "staff", ("GET", f"/v1/customers/{customer}/card", None)),
        ("adding a patient", "staff", ("POST", "/v1/customers", {"name": "New One"})),
        ("adding a patient", "auditor", ("POST", "/v1/customers", {"name": "New One"})),
        ("correcting details", "auditor", ("PATCH", f"/v1/customers/{customer}", {"name": "Changed"})),
        ("clinical notes", "frontdesk", ("PATCH", f"/v1/customers/{customer}", {"notes": "x"})),
        ("clinical notes", "admin", ("PATCH", f"/v1/customers/{customer}", {"notes": "x"})),
        ("who saw this record", "frontdesk", ("GET", f"/v1/customers/{customer}/access-report", None)),
        ("who saw this record", "staff", ("GET", f"/v1/customers/{customer}/access-report", None)),
        ("the visit status", "auditor", ("POST", f"/v1/bookings/{booking.booking_id}/visit-status", arrived)),
        ("another's visit status", "staff", ("POST", f"/v1/bookings/{booking.booking_id}/visit-status", arrived)),
        ("booking", "auditor", ("POST", "/v1/bookings", {"customer_id": customer, "service_id": clinic.service["id"],
                                                          "staff_id": ada, "start": at(monday + timedelta(days=1),
                                                                                       "10:00")})),
        ("moving a booking", "auditor", ("POST", f"/v1/bookings/{booking.booking_id}/reschedule",
                                         {"start": at(monday, "11:00")})),
        ("cancelling", "auditor", ("POST", f"/v1/bookings/{booking.booking_id}/cancel", {})),
        ("another's cancelling", "staff", ("POST", f"/v1/bookings/{booking.booking_id}/cancel", {})),
    ]


def test_every_hidden_action_is_refused_when_called_directly(client, setting):
    clinic, monday, booking = setting
    tokens = {role: token_for(client, clinic.accounts[role]) for role in ("admin", "frontdesk", "staff", "auditor")}
    allowed = []
    for what, role, (method, path, payload) in hidden_actions(clinic, monday, booking):
        answer = post_json(client, path, payload, tokens[role]) if method == "POST" else call(
            client, method, path, tokens[role], payload)
        if answer.status_code not in (403, 404):
            allowed.append((what, role, answer.status_code))
    assert allowed == []
    stored = Booking.get(clinic.org_id, booking.booking_id)
    assert stored.status == "confirmed" and stored.visit_status is None
