"""A booking for the same person racing their erasure never brings their data back."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from chalicelib.errors import NotFound
from chalicelib.models.booking import Booking
from chalicelib.services import audit, customers
from chalicelib.services.booking import bookings
from chalicelib.services.erasure.customers import erase_customer
from tests.functional.booking.helpers import at, make_clinic, next_weekday
from tests.functional.erasure.helpers import leaks, readable_everywhere

ALICE = customers.CustomerDetails("Alice Zebrowski", "alice.zebrowski@example.org", "+14155550123",
                                  "Knee pain since the fall; allergic to penicillin")


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


def staff_books(clinic, customer_id: str, start: str) -> None:
    actor = bookings.Actor(clinic.org_id, clinic.owner.user_id, audit.SYSTEM, is_staff=True)
    wanted = bookings.NewBooking(clinic.service["id"], datetime.fromisoformat(start), clinic.staff[0]["id"],
                                 "Bring the X-ray of the left knee")
    bookings.book(actor, customer_id, wanted)


def test_a_booking_that_reaches_its_commit_after_the_erasure_is_refused(clinic, monkeypatch):
    customer_id = customers.create_customer(clinic.org_id, ALICE, "t")
    checked_before_commit = bookings._commit_new

    def erasure_in_between(*args, **kwargs):  # the erasure runs between the request's checks and its commit
        erase_customer(clinic.org_id, customer_id, "u", audit.SYSTEM, "patient_request")
        return checked_before_commit(*args, **kwargs)
    monkeypatch.setattr(bookings, "_commit_new", erasure_in_between)

    with pytest.raises(NotFound):
        staff_books(clinic, customer_id, at(next_weekday(), "10:00"))

    assert Booking.count() == 0
    assert leaks(readable_everywhere()) == []


def test_bookings_racing_an_erasure_in_threads_leave_nothing_of_the_person(clinic, atomic_dynamodb):
    customer_id = customers.create_customer(clinic.org_id, ALICE, "t")
    day = next_weekday()
    starts = [at(day, f"{hour:02d}:{minute:02d}") for hour in (9, 10, 11, 13) for minute in (0, 30)]
    outcomes: list[str] = []
    go = threading.Barrier(len(starts) + 1)

    def book(start: str) -> None:
        go.wait()
        try:
            staff_books(clinic, customer_id, start)
            outcomes.append("booked")
        except NotFound:
            outcomes.append("refused")

    def erase() -> None:
        go.wait()
        erase_customer(clinic.org_id, customer_id, "u", audit.SYSTEM, "patient_request")

    threads = [threading.Thread(target=book, args=(start,)) for start in starts] + [threading.Thread(target=erase)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(set(outcomes)) <= ["booked", "refused"] and len(outcomes) == len(starts)
    assert Booking.count(f"{clinic.org_id}/{customer_id}", index_name="by-customer") == 0
    assert all(b.customer_id.startswith("erased-") for b in Booking.scan())
    assert leaks(readable_everywhere()) == []
