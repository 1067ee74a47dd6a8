"""KMS refusing, throttled or unreachable: 503 `encryption_unavailable` with Retry-After, never an
integrity error, and nothing written (through the fault proxy, KMS answers as the real service would)."""

from __future__ import annotations

import time

import pytest

from chalicelib.models.booking import Booking, SlotLock
from tests.functional.booking.helpers import at, book, manage, token_of
from tests.functional.faults.conftest import DATA_KEY_MAX_AGE_SECONDS
from tests.functional.identity.helpers import body, call, token_for
from tests.harness.fault_proxy import Fault

KMS_REFUSALS = [
    Fault("kms", code="DisabledException"),
    Fault("kms", code="KMSInvalidStateException"),  # pending deletion
    Fault("kms", code="ThrottlingException"),
    Fault("kms", code="KMSInternalException", status=500),
    Fault("kms", kind="reset"),
]


def _ids(fault: Fault) -> str:
    return fault.code if fault.kind == "error" else fault.kind


def _refuse_after_cache_expiry(proxy, fault: Fault) -> None:
    proxy.inject(fault)
    time.sleep(DATA_KEY_MAX_AGE_SECONDS + 0.5)  # cached data keys age out: the next use asks KMS


@pytest.mark.parametrize("fault", KMS_REFUSALS, ids=_ids)
def test_reading_sealed_data_while_kms_refuses_is_503_encryption_unavailable(client, clinic, day, proxy, fault):
    booking_id = body(book(client, clinic, at(day, "10:00"), notes="sore knee"))["booking"]["id"]
    staff_token = token_for(client, clinic.accounts["owner"])
    _refuse_after_cache_expiry(proxy, fault)

    response = call(client, "GET", f"/v1/bookings/{booking_id}", staff_token)

    assert response.status_code == 503
    assert body(response)["error"]["code"] == "encryption_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert proxy.calls_to("kms", "Decrypt")[-1].fault == fault.kind


@pytest.mark.parametrize("fault", KMS_REFUSALS, ids=_ids)
def test_booking_while_kms_refuses_is_503_and_writes_nothing(client, clinic, day, proxy, fault):
    _refuse_after_cache_expiry(proxy, fault)

    response = book(client, clinic, at(day, "10:00"), notes="sore knee")

    assert response.status_code == 503
    assert body(response)["error"]["code"] == "encryption_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert Booking.count() == 0 and SlotLock.count() == 0


def test_writes_go_on_after_the_key_is_disabled_only_until_the_data_key_cache_expires(client, clinic, day, proxy):
    assert book(client, clinic, at(day, "09:00")).status_code == 201  # warms the data-key cache
    proxy.inject(Fault("kms", code="DisabledException"))

    within_max_age = book(client, clinic, at(day, "10:00"))
    time.sleep(DATA_KEY_MAX_AGE_SECONDS + 0.5)
    past_max_age = book(client, clinic, at(day, "11:00"))

    assert within_max_age.status_code == 201
    assert past_max_age.status_code == 503
    assert body(past_max_age)["error"]["code"] == "encryption_unavailable"
    assert {b.starts_at.strftime("%H:%M") for b in Booking.scan()} == {"09:00", "10:00"}


def test_a_reschedule_which_seals_nothing_goes_on_while_the_key_is_disabled(client, clinic, day, proxy):
    booked = body(book(client, clinic, at(day, "10:00")))
    booking_id, token = booked["booking"]["id"], token_of(booked["manage_url"])
    _refuse_after_cache_expiry(proxy, Fault("kms", code="DisabledException"))

    moved = manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token, {"start": at(day, "14:00")})
    refused = book(client, clinic, at(day, "15:00"))  # a new booking seals: refused

    assert moved.status_code == 200, moved.body  # the move seals and opens nothing (its e-mail cannot go out)
    assert Booking.get(clinic.org_id, booking_id).starts_at.strftime("%H:%M") == "14:00"
    assert (refused.status_code, body(refused)["error"]["code"]) == (503, "encryption_unavailable")


def test_a_tampered_message_is_still_an_integrity_error_not_an_outage(client, clinic, day):
    booked = body(book(client, clinic, at(day, "10:00"), notes="sore knee"))
    booking = Booking.get(clinic.org_id, booked["booking"]["id"])
    sealed = bytearray(booking.sealed)
    sealed[-40] ^= 0x01
    booking.update(actions=[Booking.sealed.set(bytes(sealed))])
    staff_token = token_for(client, clinic.accounts["owner"])

    response = call(client, "GET", f"/v1/bookings/{booking.booking_id}", staff_token)

    assert response.status_code == 500
    assert body(response)["error"]["code"] == "data_integrity_error"
    assert token_of(booked["manage_url"])
