"""The console's audit trail filters by patient as well as by person, action and time: an event counts
when it names the patient alone (`customer_id`) or among the patients a read showed (`customer_ids`)."""

from __future__ import annotations

from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, token_for


def test_the_trail_filtered_by_a_patient_holds_exactly_the_events_that_name_them(client, aws_stack):
    clinic = make_clinic("trail", roles=("frontdesk", "auditor"))
    day = next_weekday()
    alice = body(book(client, clinic, at(day, "10:00")))["booking"]
    bob = body(book(client, clinic, at(day, "11:00"), customer={"name": "Bob Other", "email": "bob@example.org"}))
    desk = token_for(client, clinic.accounts["frontdesk"])
    call(client, "GET", f"/v1/calendar/day?date={day.isoformat()}", desk)  # one event naming both
    auditor = token_for(client, clinic.accounts["auditor"])
    everything = body(call(client, "GET", "/v1/audit-events?limit=500", auditor))["events"]
    alice_id = next(e["subjects"]["customer_id"] for e in everything
                    if e["subjects"].get("booking_id") == alice["id"] and "customer_id" in e["subjects"])

    answer = call(client, "GET", f"/v1/audit-events?customer_id={alice_id}", auditor)

    assert answer.status_code == 200, answer.body
    found = body(answer)["events"]
    assert {e["action"] for e in found} >= {"calendar.day_read"}
    assert all(e["subjects"].get("customer_id") == alice_id
               or alice_id in e["subjects"].get("customer_ids", "").split() for e in found)
    assert not any(e["subjects"].get("booking_id") == bob["booking"]["id"] for e in found)
    assert len(found) < len(everything)
    assert ALICE["name"] not in str(found)
