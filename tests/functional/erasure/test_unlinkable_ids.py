"""An erased patient cannot be re-identified (issue 22, item 8): their id is random, so that whoever holds
the application's keys and a list of addresses cannot compute which id the audit trail keeps for one;
once the record is erased no row links the address to the id; and first bookings still agree on one id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.crypto.blind_index import blind_index
from chalicelib.email_address import canonical_email
from chalicelib.models.booking import Booking
from chalicelib.models.counter import Counter
from chalicelib.models.customer import Customer
from chalicelib.services import audit, customers
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.erasure.helpers import erase, second_factor_token
from tests.functional.identity.helpers import body


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic")


def _booked_customer(client, clinic, hhmm: str = "10:00", customer=ALICE) -> str:
    answer = book(client, clinic, at(next_weekday(), hhmm), customer=customer)
    assert answer.status_code == 201, answer.body
    return Booking.get(clinic.org_id, body(answer)["booking"]["id"]).customer_id


def _rows_linking(index: str, customer_id: str) -> list[str]:
    """Every stored row (customers, counters) that holds both the address's blind index and the id."""
    rows = [*(c.serialize() for c in Customer.scan()), *(c.serialize() for c in Counter.scan())]
    return [str(row) for row in rows if index in str(row) and customer_id in str(row)]


def test_with_the_keys_an_address_no_longer_computes_the_id_of_its_erased_patient(client, clinic):
    customer_id = _booked_customer(client, clinic)
    index = customers.email_index(clinic.org_id, ALICE["email"])
    guessed = blind_index(clinic.org_id, "customer-id", canonical_email(ALICE["email"]))[:32]  # the old derivation
    assert customer_id != guessed and len(customer_id) == 32
    assert _rows_linking(index, customer_id)  # while the patient is on file, the address finds them

    assert erase(client, second_factor_token(client, clinic.accounts["owner"]), customer_id).status_code == 200

    assert _rows_linking(index, customer_id) == []  # the claim and the record's index are gone
    assert customers.find_customer_ids_by_email(clinic.org_id, ALICE["email"]) == []
    again = _booked_customer(client, clinic, "11:00")
    assert again != customer_id  # the address comes back as a stranger


def test_concurrent_first_bookings_with_one_address_make_one_customer(clinic, atomic_dynamodb):
    details = customers.CustomerDetails(ALICE["name"], ALICE["email"])

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: customers.find_or_create(clinic.org_id, details, audit.SYSTEM), range(16)))

    assert len(ids) == 1 and Customer.count(clinic.org_id) == 1
    assert customers.find_or_create(clinic.org_id, details, audit.SYSTEM) in ids


def test_a_customer_with_an_id_made_the_old_way_keeps_it_and_is_found_by_address(clinic):
    legacy = blind_index(clinic.org_id, "customer-id", canonical_email(ALICE["email"]))[:32]
    customers.create_customer(clinic.org_id, customers.CustomerDetails(ALICE["name"], ALICE["email"]), "customer",
                              customer_id=legacy, audited=False)

    found = customers.find_or_create(clinic.org_id, customers.CustomerDetails(ALICE["name"], ALICE["email"]),
                                     audit.SYSTEM)

    assert found == legacy and Customer.count(clinic.org_id) == 1


def test_a_claim_whose_customer_moved_address_is_taken_over_by_the_next_first_booking(clinic):
    first = customers.find_or_create(clinic.org_id, customers.CustomerDetails("A", "a@example.org"), audit.SYSTEM)
    customers.staff_update(clinic.owner, first, {"email": "a.new@example.org"})

    second = customers.find_or_create(clinic.org_id, customers.CustomerDetails("B", "a@example.org"), audit.SYSTEM)

    assert second != first and Customer.count(clinic.org_id) == 2
