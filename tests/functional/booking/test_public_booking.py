"""The public booking API as a customer (and an attacker) sees it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import Conflict, SlotUnavailable
from chalicelib.models.booking import Booking, SlotLock
from chalicelib.models.catalog import StaffMember
from chalicelib.services import customers
from chalicelib.services.audit import SYSTEM
from chalicelib.services.booking import bookings, catalog
from tests.functional.booking.helpers import (
    ALICE,
    at,
    book,
    held_slots,
    make_clinic,
    manage,
    next_weekday,
    token_of,
)
from tests.functional.identity.helpers import body


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


@pytest.fixture
def day():
    return next_weekday()


def slots(client, clinic, day, tz="UTC", **params):
    query = "&".join(f"{k}={v}" for k, v in {"service_id": clinic.service["id"], "from": day, "to": day,
                                              "tz": tz, **params}.items())
    return client.http.get(f"/v1/public/orgs/{clinic.slug}/slots?{query}")


def starts(response) -> list[str]:
    return [slot["start"][11:16] for slot in body(response)["slots"]]


def test_org_page_shows_public_fields_only(client, clinic):
    answer = body(client.http.get("/v1/public/orgs/clinic"))

    assert answer["org"] == {"slug": "clinic", "name": "Clinic Clinic", "timezone": "UTC"}
    assert [s["name"] for s in answer["services"]] == ["Consultation"]
    assert set(answer["staff"][0]) == {"id", "display_name", "timezone", "service_ids"}


def test_slots_come_in_the_viewers_zone_and_taken_time_disappears(client, clinic, day):
    # Tokyo (UTC+9) sees the day's end of the clinic's previous day (15:00-17:00 UTC) and 09:00-15:00 UTC
    tokyo = starts(slots(client, clinic, day, tz="Asia/Tokyo"))
    assert tokyo[:8] == ["00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "18:00"]
    assert tokyo[-1] == "23:45"
    assert body(slots(client, clinic, day, tz="Asia/Tokyo"))["slots"][0]["start"].endswith("+09:00")

    assert book(client, clinic, at(day, "10:00")).status_code == 201

    after = starts(slots(client, clinic, day))
    # a 30-minute booking at 10:00 blocks the starts whose 30 minutes would overlap it
    assert "09:30" in after and "09:45" not in after and "10:00" not in after and "10:15" not in after
    assert "10:30" in after


def test_booking_answers_the_booking_and_a_manage_link_with_its_secret_in_the_fragment(client, clinic, day):
    response = book(client, clinic, at(day, "10:00"))

    answer = body(response)
    assert response.status_code == 201
    assert answer["booking"]["status"] == "confirmed"
    assert answer["booking"]["start"] == f"{day}T10:00:00Z" and answer["booking"]["end"] == f"{day}T10:30:00Z"
    assert answer["manage_url"].startswith(f"http://127.0.0.1:8000/manage/{answer['booking']['id']}#")
    assert "?" not in answer["manage_url"] and len(token_of(answer["manage_url"])) >= 43


def test_the_same_or_an_overlapping_slot_cannot_be_booked_twice(client, clinic, day):
    assert book(client, clinic, at(day, "10:00")).status_code == 201

    same = book(client, clinic, at(day, "10:00"))
    overlapping = book(client, clinic, at(day, "10:15"))

    assert (same.status_code, body(same)["error"]["code"]) == (409, "slot_unavailable")
    assert (overlapping.status_code, body(overlapping)["error"]["code"]) == (409, "slot_unavailable")
    assert Booking.count() == 1


def test_without_a_staff_member_any_free_one_is_booked(client, clinic, day):
    clinic.add_staff("Dr Bo")

    first, second, third = (book(client, clinic, at(day, "10:00")) for _ in range(3))

    assert first.status_code == second.status_code == 201
    assert body(first)["booking"]["staff_id"] != body(second)["booking"]["staff_id"]
    assert body(third)["error"]["code"] == "slot_unavailable"


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_not_a_second_booking(client, clinic, day):
    first = book(client, clinic, at(day, "10:00"), key="retry-1")
    retry = book(client, clinic, at(day, "10:00"), key="retry-1")

    assert first.status_code == retry.status_code == 201
    assert body(first) == body(retry)
    assert Booking.count() == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(client, clinic, day):
    book(client, clinic, at(day, "10:00"), key="retry-2")

    other = book(client, clinic, at(day, "11:00"), key="retry-2")

    assert (other.status_code, body(other)["error"]["code"]) == (422, "idempotency_key_reused")
    assert Booking.count() == 1


def test_starts_off_the_grid_outside_hours_or_too_soon_are_refused(client, clinic, day):
    soon = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    for start in (at(day, "10:05"), at(day, "17:00"), at(day, "06:00"), soon.isoformat()):
        response = book(client, clinic, start)
        assert (response.status_code, body(response)["error"]["code"]) == (409, "slot_unavailable"), start


BAD_BODIES = [
    ("service_id", lambda b: b.pop("service_id")),
    ("start", lambda b: b.update(start="tomorrow at ten")),
    ("start", lambda b: b.update(start="2030-01-01T10:00:00")),  # no offset
    ("customer.name", lambda b: b["customer"].pop("name")),
    ("customer.name", lambda b: b["customer"].update(name="")),
    ("customer.email", lambda b: b["customer"].update(email="not-an-address")),
    ("customer.phone", lambda b: b["customer"].update(phone="555-0123")),
    ("notes", lambda b: b.update(notes="x" * 2001)),
    ("staff_id", lambda b: b.update(staff_id=7)),
    ("org_id", lambda b: b.update(org_id="another-org")),
    ("customer.role", lambda b: b["customer"].update(role="admin")),
]


@pytest.mark.parametrize(("field", "spoil"), BAD_BODIES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_BODIES)])
def test_every_invalid_field_is_a_422_naming_it_and_nothing_is_written(client, clinic, day, field, spoil):
    request = {"service_id": clinic.service["id"], "start": at(day, "10:00"), "customer": dict(ALICE)}
    spoil(request)

    response = client.http.post("/v1/public/orgs/clinic/bookings", headers={"Content-Type": "application/json"},
                                body=json.dumps(request))

    assert (response.status_code, body(response)["error"]["code"]) == (422, "validation_failed")
    assert body(response)["error"]["field"] == field
    assert Booking.count() == 0 and SlotLock.count() == 0


@pytest.mark.parametrize(("params", "field"), [
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"from": "2030-02-30"}, "from"),
    ({"from": "2030-01-10", "to": "2030-01-09"}, "to"),
    ({"from": "2030-01-01", "to": "2030-03-04"}, "to"),  # 63 days
    ({"service_id": ""}, "service_id"),
])
def test_slot_queries_are_checked(client, clinic, day, params, field):
    response = slots(client, clinic, day, **params)

    assert (response.status_code, body(response)["error"]["field"]) == (422, field)


def test_sixty_two_days_is_the_longest_slot_query(client, clinic):
    response = client.http.get(f"/v1/public/orgs/clinic/slots?service_id={clinic.service['id']}"
                               "&from=2030-01-01&to=2030-03-03&tz=UTC")

    assert response.status_code == 200


def test_unknown_org_or_service_is_404(client, clinic, day):
    assert client.http.get("/v1/public/orgs/nobody").status_code == 404
    assert book(client, clinic, at(day, "10:00"), service_id="unknown").status_code == 404


# --- the manage link -------------------------------------------------------------------------------

@pytest.fixture
def booked(client, clinic, day):
    answer = body(book(client, clinic, at(day, "10:00"), notes="sore knee"))
    return answer["booking"]["id"], token_of(answer["manage_url"])


def test_the_manage_token_shows_moves_and_cancels_its_booking(client, clinic, day, booked):
    booking_id, token = booked

    seen = manage(client, "GET", f"/v1/public/bookings/{booking_id}", token)
    moved = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token,
                   {"start": at(day, "14:00")})
    cancelled = manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {"reason": "better"})

    assert body(seen)["booking"]["service"]["name"] == "Consultation"
    assert body(moved)["booking"]["start"] == f"{day}T14:00:00Z"
    assert body(cancelled)["booking"]["status"] == "cancelled"
    assert "10:00" in starts(slots(client, clinic, day)) and "14:00" in starts(slots(client, clinic, day))
    assert held_slots() == {}


@pytest.mark.parametrize("token", [None, "", "guess", "A" * 43])
def test_a_missing_or_wrong_token_sees_nothing(client, booked, token):
    booking_id, _ = booked

    response = manage(client, "GET", f"/v1/public/bookings/{booking_id}", token)

    assert response.status_code in (401, 404)
    assert "sore knee" not in response.body.decode() and "Alice" not in response.body.decode()


def test_one_bookings_token_does_not_open_another_booking(client, clinic, day, booked):
    booking_id, _ = booked
    other_token = token_of(body(book(client, clinic, at(day, "12:00")))["manage_url"])

    for method, suffix, payload in [("GET", "", None), ("POST", "/reschedule", {"start": at(day, "15:00")}),
                                    ("POST", "/cancel", {})]:
        response = manage(client, method, f"/v1/public/bookings/{booking_id}{suffix}", other_token, payload)
        assert (response.status_code, body(response)["error"]["code"]) == (404, "not_found")
    assert Booking.get(clinic.org_id, booking_id).status == "confirmed"


def test_a_cancelled_booking_can_be_seen_but_not_changed(client, day, booked):
    booking_id, token = booked
    manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})

    again = manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})
    moved = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token,
                   {"start": at(day, "15:00")})

    assert body(manage(client, "GET", f"/v1/public/bookings/{booking_id}", token))["booking"]["status"] == "cancelled"
    assert body(again)["error"]["code"] == body(moved)["error"]["code"] == "booking_cancelled"
    assert held_slots() == {}


def test_rescheduling_into_a_taken_slot_is_409_and_changes_nothing(client, clinic, day, booked):
    booking_id, token = booked
    book(client, clinic, at(day, "12:00"))
    locks_before = held_slots()

    response = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token,
                      {"start": at(day, "12:15")})

    assert (response.status_code, body(response)["error"]["code"]) == (409, "slot_unavailable")
    assert Booking.get(clinic.org_id, booking_id).starts_at.strftime("%H:%M") == "10:00"
    assert held_slots() == locks_before


def test_customers_cannot_change_a_booking_inside_the_notice_period(client, day, booked, fake_clock):
    booking_id, token = booked
    fake_clock.now = datetime.fromisoformat(at(day, "10:00")) - timedelta(minutes=30)

    response = manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})

    assert (response.status_code, body(response)["error"]["code"]) == (409, "too_late_to_change")


# --- "e-mail me my bookings" ------------------------------------------------------------------------

def sent_mail():
    from moto.ses.models import ses_backends

    return ses_backends["123456789012"]["us-east-1"].sent_messages


def plain_text(message) -> str:
    """A mail's plain-text part (patients' mail from their clinic is MIME: plain and HTML)."""
    import email
    import email.policy

    parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content()


def test_my_bookings_answers_the_same_for_known_and_unknown_addresses(client, booked):
    known = client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                             body=json.dumps({"email": ALICE["email"]}))
    mails_after_known = len(sent_mail())
    unknown = client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                               body=json.dumps({"email": "nobody@example.org"}))

    assert (known.status_code, known.body) == (unknown.status_code, unknown.body)
    assert known.status_code == 202
    assert len(sent_mail()) == mails_after_known  # nothing sent for the unknown address


def test_the_my_bookings_link_lists_that_customers_bookings_only(client, clinic, day, booked):
    bob = {"name": "Bob Other", "email": "bob@example.org"}
    book(client, clinic, at(day, "13:00"), customer=bob)
    client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                     body=json.dumps({"email": ALICE["email"].upper()}))
    mail = sent_mail()[-1]
    link = next(word for word in plain_text(mail).split() if "/my/bookings#" in word)

    listed = body(manage(client, "GET", "/v1/public/my-bookings", token_of(link)))["bookings"]

    assert [b["id"] for b in listed] == [booked[0]]
    assert set(mail.destinations) == {ALICE["email"]}  # the address on file, not the one typed


def test_a_my_bookings_token_opens_only_that_customers_bookings(client, clinic, day, booked):
    bob_booking = body(book(client, clinic, at(day, "13:00"), customer={"name": "Bob", "email": "bob@example.org"}))
    client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                     body=json.dumps({"email": ALICE["email"]}))
    token = token_of(next(w for w in plain_text(sent_mail()[-1]).split() if "/my/bookings#" in w))

    own = manage(client, "GET", f"/v1/public/bookings/{booked[0]}", token)
    other = manage(client, "GET", f"/v1/public/bookings/{bob_booking['booking']['id']}", token)

    assert own.status_code == 200 and other.status_code == 404


def test_a_booking_checked_against_hours_that_change_meanwhile_does_not_commit(clinic, day, monkeypatch):
    stale = catalog.get_staff(clinic.org_id, clinic.staff[0]["id"])  # what a request in flight has read
    catalog.update_staff(clinic.owner, stale.staff_id,  # meanwhile, the doctor takes the day off
                         {"time_off": [{"start": at(day, "00:00"), "end": at(day, "23:59")}]})
    monkeypatch.setattr(bookings, "_offering_staff", lambda *_args: [stale])
    customer_id = customers.create_customer(clinic.org_id, customers.CustomerDetails("Ann", "ann@example.org"), "t")
    wanted = bookings.NewBooking(clinic.service["id"], datetime.fromisoformat(at(day, "10:00")))

    with pytest.raises(SlotUnavailable):
        bookings.book(bookings.Actor(clinic.org_id, "customer", SYSTEM, is_staff=False), customer_id, wanted)

    assert Booking.count() == 0 and SlotLock.count() == 0


def test_two_admins_editing_one_staff_member_cannot_overwrite_each_other(clinic, monkeypatch):
    staff_id = clinic.staff[0]["id"]
    stale = catalog.get_staff(clinic.org_id, staff_id)  # the second admin read it before the first saved
    catalog.update_staff(clinic.owner, staff_id, {"display_name": "Dr Ada Lovelace"})
    monkeypatch.setattr(catalog, "get_staff", lambda *_args: stale)

    with pytest.raises(Conflict):
        catalog.update_staff(clinic.owner, staff_id, {"display_name": "Dr A. L."})

    assert StaffMember.get(clinic.org_id, staff_id).display_name == "Dr Ada Lovelace"
