"""A transaction applied whose answer is lost (the proxy forwards it to DynamoDB, then resets the
connection): the caller hears the truth, never a phantom 409, and the retry is the same transaction."""

from __future__ import annotations

import json

from chalicelib.models.booking import Booking, SlotLock
from tests.functional.booking.helpers import at, book, held_slots, manage, token_of
from tests.functional.identity.helpers import body
from tests.harness.fault_proxy import Fault

TRANSACTION = ("dynamodb", "TransactWriteItems")


def _lose_next_transaction_answer(proxy) -> None:
    proxy.inject(Fault(*TRANSACTION, kind="drop_response", times=1))


def _tokens(proxy) -> list[str]:
    return [json.loads(call.body).get("ClientRequestToken") for call in proxy.calls_to(*TRANSACTION)]


def _locks_of(booking_id: str) -> int:
    return sum(1 for owner in held_slots().values() if owner == booking_id)


def test_a_booking_whose_answer_was_lost_is_201_not_a_phantom_409(client, clinic, day, proxy):
    _lose_next_transaction_answer(proxy)

    response = book(client, clinic, at(day, "10:00"))  # no Idempotency-Key

    assert response.status_code == 201
    booking_id = body(response)["booking"]["id"]
    assert [b.booking_id for b in Booking.scan()] == [booking_id]
    assert _locks_of(booking_id) == len(Booking.get(clinic.org_id, booking_id).granules) > 0
    assert _tokens(proxy).count(booking_id) == 2  # the retry was the same transaction, not a new one
    assert manage(client, "GET", f"/v1/public/bookings/{booking_id}",
                  token_of(body(response)["manage_url"])).status_code == 200  # its manage link works


def test_a_reschedule_whose_answer_was_lost_reports_the_move(client, clinic, day, proxy):
    booked = body(book(client, clinic, at(day, "10:00")))
    booking_id, token = booked["booking"]["id"], token_of(booked["manage_url"])
    _lose_next_transaction_answer(proxy)

    moved = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token, {"start": at(day, "14:00")})

    assert moved.status_code == 200
    assert body(moved)["booking"]["start"] == f"{day}T14:00:00Z"
    stored = Booking.get(clinic.org_id, booking_id)
    assert stored.starts_at.strftime("%H:%M") == "14:00" and stored.sequence == 1
    assert _locks_of(booking_id) == len(stored.granules)
    assert {granule for _, granule in held_slots()} == set(stored.granules)


def test_a_cancel_whose_answer_was_lost_reports_the_cancel(client, clinic, day, proxy):
    booked = body(book(client, clinic, at(day, "10:00")))
    booking_id, token = booked["booking"]["id"], token_of(booked["manage_url"])
    _lose_next_transaction_answer(proxy)

    cancelled = manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {"reason": "ill"})

    assert cancelled.status_code == 200
    assert body(cancelled)["booking"]["status"] == "cancelled"
    assert Booking.get(clinic.org_id, booking_id).status == "cancelled"
    assert held_slots() == {}


def test_a_409_means_the_slot_was_taken_by_someone_else_and_nothing_was_written(client, clinic, day, proxy):
    first = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    _lose_next_transaction_answer(proxy)  # even with the second request's answer lost

    second = book(client, clinic, at(day, "10:00"))

    assert second.status_code == 409
    assert body(second)["error"]["code"] == "slot_unavailable"
    assert [b.booking_id for b in Booking.scan()] == [first]
    assert _locks_of(first) == len(held_slots())


def test_a_transaction_that_failed_without_being_applied_is_503_not_409(client, clinic, day, proxy):
    proxy.inject(Fault(*TRANSACTION, kind="reset"))

    response = book(client, clinic, at(day, "10:00"))

    assert response.status_code == 503
    assert body(response)["error"]["code"] == "storage_unavailable"
    proxy.clear()
    assert Booking.count() == 0 and SlotLock.count() == 0


def test_the_loser_of_a_race_answers_409_before_sealing_or_writing_anything(client, clinic, day, proxy):
    assert book(client, clinic, at(day, "10:00")).status_code == 201
    before = len(proxy.calls)

    lost = book(client, clinic, at(day, "10:00"), customer={"name": "Bob", "email": "bob@example.org"})

    assert (lost.status_code, body(lost)["error"]["code"]) == (409, "slot_unavailable")
    asked = {(call.service, call.operation) for call in proxy.calls[before:]}
    assert TRANSACTION not in asked and ("kms", "GenerateDataKey") not in asked  # known from one read
