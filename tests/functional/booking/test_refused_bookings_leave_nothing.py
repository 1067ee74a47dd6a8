"""No personal data without its owner: a public booking's new customer record is written in the same
transaction as the booking (or the confirmed hold) that names it, so a refused booking leaves nothing."""

from __future__ import annotations

import pytest

from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.services import customers
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body

BOB = {"name": "Bob Okafor", "email": "bob.okafor@example.org", "phone": "+14155550199"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


@pytest.fixture
def day():
    return next_weekday()


def _customer_ids() -> set[str]:
    return {customer.customer_id for customer in Customer.scan()}


def test_a_public_booking_refused_for_a_taken_time_stores_no_customer(client, clinic, day):
    assert book(client, clinic, at(day, "10:00")).status_code == 201
    alice_only = _customer_ids()

    refused = book(client, clinic, at(day, "10:00"), customer=BOB)

    assert (refused.status_code, body(refused)["error"]["code"]) == (409, "slot_unavailable")
    assert _customer_ids() == alice_only
    assert customers.find_customer_ids_by_email(clinic.org_id, BOB["email"]) == []


def test_a_public_booking_refused_for_a_time_not_offered_stores_no_customer(client, clinic, day):
    refused = book(client, clinic, at(day, "03:00"), customer=BOB)

    assert refused.status_code in (409, 422), refused.body
    assert _customer_ids() == set()


def test_every_customer_a_public_booking_stores_is_named_by_its_booking(client, clinic, day):
    booked = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    book(client, clinic, at(day, "10:00"), customer=BOB)  # refused
    again = body(book(client, clinic, at(day, "11:00")))["booking"]["id"]  # Alice again: the same record

    named = {booking.customer_id for booking in Booking.scan()}
    assert _customer_ids() == named and len(named) == 1
    assert Booking.get(clinic.org_id, booked).customer_id == Booking.get(clinic.org_id, again).customer_id
    assert customers.find_customer_ids_by_email(clinic.org_id, ALICE["email"]) == list(named)
