"""Staff routes: services, staff hours, the calendar, bookings for customers, and customer records."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from chalicelib.services.identity.policy import change_policy
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "staff", "frontdesk", "auditor"))


@pytest.fixture
def day():
    return next_weekday()


def token(client, clinic, role):
    return token_for(client, clinic.accounts[role])


def audited(org_id: str, action: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.query(org_id) if e.action == action]


@pytest.mark.parametrize(("fields", "field"), [
    ({"duration_minutes": 7}, "duration_minutes"),
    ({"duration_minutes": 200, "buffer_after_minutes": 60}, "duration_minutes"),
    ({"slot_step_minutes": 12}, "slot_step_minutes"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"colour": "red"}, "colour"),
])
def test_service_rules_are_checked(client, clinic, fields, field):
    response = post_json(client, "/v1/services", {"name": "X", "duration_minutes": 30, **fields},
                         token(client, clinic, "admin"))

    assert (response.status_code, body(response)["error"]["field"]) == (422, field)


@pytest.mark.parametrize(("fields", "field"), [
    ({"timezone": "Mars/Base"}, "timezone"),
    ({"weekly_hours": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}},
     "weekly_hours"),
    ({"weekly_hours": {"mon": [{"start": "12:00", "end": "09:00"}]}}, "weekly_hours"),
    ({"weekly_hours": {"mon": [{"start": "09:07", "end": "12:00"}]}}, "weekly_hours"),
    ({"weekly_hours": {"someday": []}}, "weekly_hours"),
    ({"service_ids": ["no-such-service"]}, "service_ids"),
    ({"time_off": [{"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}]}, "time_off"),
    ({"exceptions": [{"date": "2030-02-30", "intervals": []}]}, "exceptions"),
])
def test_staff_hours_are_checked(client, clinic, fields, field):
    response = post_json(client, "/v1/staff", {"display_name": "Dr X", "timezone": "UTC", **fields},
                         token(client, clinic, "admin"))

    assert response.status_code == 422 and body(response)["error"]["field"].startswith(field)


def test_a_deactivated_service_leaves_the_public_page(client, clinic):
    admin = token(client, clinic, "admin")

    call(client, "PATCH", f"/v1/services/{clinic.service['id']}", admin, {"active": False})

    public = body(client.http.get(f"/v1/public/orgs/{clinic.slug}"))
    assert public["services"] == [] and public["staff"] == []


def test_time_off_added_by_an_admin_closes_those_slots(client, clinic, day):
    admin = token(client, clinic, "admin")
    member = clinic.staff[0]

    call(client, "PATCH", f"/v1/staff/{member['id']}", admin,
         {"time_off": [{"start": at(day, "00:00"), "end": at(day, "23:59")}]})

    found = client.http.get(f"/v1/public/orgs/{clinic.slug}/slots?service_id={clinic.service['id']}"
                            f"&from={day}&to={day}&tz=UTC")
    assert body(found)["slots"] == []


def test_frontdesk_books_for_a_customer_and_the_calendar_lists_it(client, clinic, day):
    desk = token(client, clinic, "frontdesk")
    customer = body(post_json(client, "/v1/customers", ALICE, desk))["customer"]

    made = post_json(client, "/v1/bookings", {"service_id": clinic.service["id"], "staff_id": clinic.staff[0]["id"],
                                              "start": at(day, "09:00"), "customer_id": customer["id"],
                                              "notes": "wheelchair access"}, desk)
    listed = call(client, "GET", f"/v1/bookings?from={day}T00:00:00Z&to={day}T23:59:59Z&status=confirmed", desk)

    assert made.status_code == 201
    assert [b["id"] for b in body(listed)["bookings"]] == [body(made)["booking"]["id"]]
    assert body(listed)["bookings"][0]["customer_id"] == customer["id"]
    assert "notes" not in body(listed)["bookings"][0]


def test_reading_one_booking_shows_its_notes_and_is_audited(client, clinic, day):
    booking_id = body(book(client, clinic, at(day, "10:00"), notes="wheelchair access"))["booking"]["id"]
    owner = token(client, clinic, "owner")

    seen = body(call(client, "GET", f"/v1/bookings/{booking_id}", owner))["booking"]

    assert seen["notes"] == "wheelchair access"
    event = audited(clinic.org_id, "booking.read")[-1]
    assert event.actor == clinic.accounts["owner"].user_id and event.subjects["booking_id"] == booking_id


def test_what_a_patient_typed_at_booking_is_shown_only_to_the_notes_roles_and_the_treating_clinician(
        client, clinic, day):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    treated = body(book(client, clinic, at(day, "10:00"), staff_id=mine["id"], notes="hepatitis"))["booking"]["id"]
    elsewhere = body(book(client, clinic, at(day, "10:00"), staff_id=clinic.staff[0]["id"], notes="hepatitis"))
    readers = {role: token(client, clinic, role) for role in ("owner", "admin", "frontdesk", "staff")}

    seen = {role: body(call(client, "GET", f"/v1/bookings/{treated}", t))["booking"] for role, t in readers.items()}

    assert seen["owner"]["notes"] == seen["staff"]["notes"] == "hepatitis"
    assert "notes" not in seen["admin"] and "notes" not in seen["frontdesk"]
    assert seen["frontdesk"]["id"] == treated  # the rest of the booking is still theirs to see
    other = call(client, "GET", f"/v1/bookings/{elsewhere['booking']['id']}", readers["staff"])
    assert other.status_code == 403 and "hepatitis" not in other.body.decode()


def test_staff_reschedule_into_a_taken_slot_is_409_and_cancel_frees_it(client, clinic, day):
    first = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    second = body(book(client, clinic, at(day, "11:00")))["booking"]["id"]
    admin = token(client, clinic, "admin")

    clash = post_json(client, f"/v1/bookings/{second}/reschedule", {"start": at(day, "10:15")}, admin)
    freed = post_json(client, f"/v1/bookings/{first}/cancel", {"reason": "doctor ill"}, admin)
    moved = post_json(client, f"/v1/bookings/{second}/reschedule", {"start": at(day, "10:15")}, admin)

    assert (clash.status_code, body(clash)["error"]["code"]) == (409, "slot_unavailable")
    assert body(freed)["booking"]["status"] == "cancelled"
    assert body(moved)["booking"]["start"] == f"{day}T10:15:00Z"
    assert body(call(client, "GET", f"/v1/bookings/{first}", admin))["booking"]["cancel_reason"] == "doctor ill"


def test_staff_may_book_inside_the_notice_period_customers_may_not(client, clinic, fake_clock):
    day = next_weekday()
    fake_clock.now = datetime.fromisoformat(at(day, "09:40"))  # twenty minutes before a free 10:00
    desk = token(client, clinic, "frontdesk")
    customer = body(post_json(client, "/v1/customers", ALICE, desk))["customer"]
    walk_in = {"service_id": clinic.service["id"], "staff_id": clinic.staff[0]["id"], "start": at(day, "10:00"),
               "customer_id": customer["id"]}

    assert book(client, clinic, at(day, "10:00")).status_code == 409
    assert post_json(client, "/v1/bookings", walk_in, desk).status_code == 201


def test_the_staff_role_sees_and_changes_only_their_own_bookings(client, clinic, day):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    own = body(book(client, clinic, at(day, "10:00"), staff_id=mine["id"]))["booking"]["id"]
    other = body(book(client, clinic, at(day, "10:00"), staff_id=clinic.staff[0]["id"]))["booking"]["id"]
    staff = token(client, clinic, "staff")

    listed = body(call(client, "GET", f"/v1/bookings?from={day}T00:00:00Z&to={day}T23:59:59Z", staff))["bookings"]

    assert [b["id"] for b in listed] == [own]
    assert call(client, "GET", f"/v1/bookings/{other}", staff).status_code == 403
    assert post_json(client, f"/v1/bookings/{other}/cancel", {}, staff).status_code == 403
    assert post_json(client, f"/v1/bookings/{own}/cancel", {}, staff).status_code == 200


def test_customers_are_found_by_email_each_read_audited_and_editable(client, clinic):
    desk = token(client, clinic, "frontdesk")
    created = body(post_json(client, "/v1/customers", ALICE, desk))["customer"]

    found = body(post_json(client, "/v1/customers/search", {"email": "ALICE.Zebrowski@example.org"}, desk))
    changed = call(client, "PATCH", f"/v1/customers/{created['id']}", desk, {"email": "alice@new.example"})
    by_new = body(post_json(client, "/v1/customers/search", {"email": "alice@new.example"}, desk))["customers"]
    by_old = body(post_json(client, "/v1/customers/search", {"email": ALICE["email"]}, desk))["customers"]

    assert found["customers"][0]["phone"] == ALICE["phone"]
    assert changed.status_code == 200
    assert [c["id"] for c in by_new] == [created["id"]] and by_old == []
    searches = audited(clinic.org_id, "customer.searched")
    assert [e.subjects.as_dict().get("customer_ids") for e in searches].count(created["id"]) == 2  # found twice
    assert audited(clinic.org_id, "customer.updated")


BOB = {"name": "Bob Other", "email": "bob.other@example.org"}


def customer_id(client, clinic, email: str) -> str:
    owner = token(client, clinic, "owner")
    return body(post_json(client, "/v1/customers/search", {"email": email}, owner))["customers"][0]["id"]


def test_the_staff_role_reads_only_customers_booked_with_them(client, clinic, day):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    book(client, clinic, at(day, "10:00"), staff_id=mine["id"])
    book(client, clinic, at(day, "11:00"), staff_id=clinic.staff[0]["id"], customer=BOB)
    alice, bob = customer_id(client, clinic, ALICE["email"]), customer_id(client, clinic, BOB["email"])
    staff = token(client, clinic, "staff")

    assert call(client, "GET", f"/v1/customers/{alice}", staff).status_code == 200
    unseen = call(client, "GET", f"/v1/customers/{bob}", staff)
    assert (unseen.status_code, body(unseen)) == (404, body(call(client, "GET", "/v1/customers/nobody", staff)))
    assert body(post_json(client, "/v1/customers/search", {"email": BOB["email"]}, staff))["customers"] == []
    assert len(body(post_json(client, "/v1/customers/search", {"email": ALICE["email"]}, staff))["customers"]) == 1
    assert call(client, "PATCH", f"/v1/customers/{bob}", staff, {"notes": "x"}).status_code == 404


def test_a_staff_member_cannot_book_a_stranger_with_themselves_to_read_them(client, clinic, day):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    book(client, clinic, at(day, "11:00"), staff_id=clinic.staff[0]["id"], customer=BOB)
    bob = customer_id(client, clinic, BOB["email"])
    call(client, "PATCH", f"/v1/customers/{bob}", token(client, clinic, "owner"), {"notes": "hepatitis"})
    staff = token(client, clinic, "staff")
    self_made = {"service_id": clinic.service["id"], "staff_id": mine["id"], "start": at(day, "14:00"),
                 "customer_id": bob}

    before = call(client, "GET", f"/v1/customers/{bob}", staff)
    booked = post_json(client, "/v1/bookings", self_made, staff)
    after = call(client, "GET", f"/v1/customers/{bob}", staff)

    assert before.status_code == 404
    assert (booked.status_code, body(booked)) == (404, body(post_json(
        client, "/v1/bookings", {**self_made, "customer_id": "nobody"}, staff)))  # same as an unknown id
    assert after.status_code == 404 and "hepatitis" not in after.body.decode()
    assert not [b for b in Booking.query(clinic.org_id) if b.customer_id == bob and b.staff_id == mine["id"]]


def test_a_staff_member_still_books_the_patients_they_already_see(client, clinic, day):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    book(client, clinic, at(day, "10:00"), staff_id=mine["id"])  # the patient booked Dr Staff
    alice = customer_id(client, clinic, ALICE["email"])
    follow_up = {"service_id": clinic.service["id"], "staff_id": mine["id"], "start": at(day, "15:00"),
                 "customer_id": alice}

    assert post_json(client, "/v1/bookings", follow_up, token(client, clinic, "staff")).status_code == 201


def test_a_staff_member_cannot_read_the_code_of_a_hold_placed_with_them(client, clinic, day):
    # a hold typed with a stranger's address, on the staff member's own calendar: reading its code would let
    # them confirm it and so link the stranger's record to themselves
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    change_policy(clinic.owner, {"require_email_verification": True})
    held = body(book(client, clinic, at(day, "10:00"), staff_id=mine["id"], customer=BOB))["booking"]["id"]
    code = Booking.get(clinic.org_id, held).unseal()["verification"]["code"]

    seen = call(client, "GET", f"/v1/bookings/{held}", token(client, clinic, "staff"))

    assert seen.status_code == 200
    assert code not in seen.body.decode() and BOB["email"] not in seen.body.decode()
    assert not {"verification", "contact"} & set(body(seen)["booking"])


def test_clinical_notes_are_shown_and_written_only_by_the_roles_that_need_them(client, clinic, day):
    owner, desk, admin = (token(client, clinic, role) for role in ("owner", "frontdesk", "admin"))
    created = body(post_json(client, "/v1/customers", {**ALICE, "notes": "allergic to latex"}, owner))["customer"]
    path = f"/v1/customers/{created['id']}"

    assert created["notes"] == "allergic to latex"
    assert post_json(client, "/v1/customers", {**BOB, "notes": "x"}, desk).status_code == 403
    assert "notes" not in body(call(client, "GET", path, desk))["customer"]
    assert "notes" not in body(call(client, "GET", path, admin))["customer"]
    assert call(client, "PATCH", path, desk, {"notes": "overwritten"}).status_code == 403
    assert "notes" not in body(call(client, "PATCH", path, desk, {"phone": "+14155550199"}))["customer"]
    assert body(call(client, "GET", path, owner))["customer"]["notes"] == "allergic to latex"
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    book(client, clinic, at(day, "10:00"), staff_id=mine["id"])
    staff = token(client, clinic, "staff")
    assert body(call(client, "GET", path, staff))["customer"]["notes"] == "allergic to latex"


def test_another_orgs_bookings_and_customers_lead_nowhere(client, clinic, day):
    booking_id = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    customer_id = body(post_json(client, "/v1/customers", ALICE, token(client, clinic, "frontdesk")))["customer"]["id"]
    other = make_clinic("other")
    intruder = token_for(client, other.accounts["owner"])

    for path in [f"/v1/bookings/{booking_id}", f"/v1/customers/{customer_id}",
                 f"/v1/services/{clinic.service['id']}", f"/v1/staff/{clinic.staff[0]['id']}"]:
        assert call(client, "GET", path, intruder).status_code == 404, path
    assert post_json(client, f"/v1/bookings/{booking_id}/cancel", {}, intruder).status_code == 404
