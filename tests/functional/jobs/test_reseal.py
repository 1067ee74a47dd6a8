"""`manage.py reseal`: rows sealed before crypto-shredding are rewritten so that an erasure reaches them, with
nothing they hold changed and no concurrent change overwritten."""

from __future__ import annotations

import pytest

from chalicelib.crypto import envelope
from chalicelib.errors import SealedDataErased
from chalicelib.jobs.reseal import CHANGED, reseal_row
from chalicelib.models.base import SHRED_BOX, SealedModel
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body
from tests.functional.jobs.test_manage import run


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


def make_legacy(row: SealedModel) -> dict:
    """Rewrite `row` as rows were sealed before crypto-shredding: the fields in the envelope itself."""
    fields = row.unseal()
    row.sealed = envelope.sealer().seal(fields, row._seal_context(), row.row_key())
    row.save()
    return fields


def in_shred_box(row: SealedModel) -> bool:
    return SHRED_BOX in envelope.sealer().open(row.sealed, row._seal_context(), row.row_key())


@pytest.fixture
def legacy_patient(client, clinic) -> tuple[Customer, Booking, dict, dict]:
    answer = book(client, clinic, at(next_weekday(), "10:00"), customer=ALICE, notes="Allergic to latex")
    assert answer.status_code == 201, answer.body
    booking = Booking.get(clinic.org_id, body(answer)["booking"]["id"])
    customer = Customer.get(clinic.org_id, booking.customer_id)
    return customer, booking, make_legacy(customer), make_legacy(booking)


def test_resealed_rows_hold_the_same_fields_and_an_erasure_now_reaches_them(clinic, legacy_patient, capsys):
    customer, booking, customer_fields, booking_fields = legacy_patient
    assert not in_shred_box(customer) and not in_shred_box(booking)

    code, report = run(capsys, "reseal")

    assert code == 0 and report["rows"]["customers"]["resealed"] == 1 and report["rows"]["bookings"]["resealed"] == 1
    customer.refresh(consistent_read=True)
    booking.refresh(consistent_read=True)
    assert (customer.unseal(), booking.unseal()) == (customer_fields, booking_fields)
    assert in_shred_box(customer) and in_shred_box(booking)
    erased, _ = run(capsys, "erase-customer", "--org", "clinic", "--customer", customer.customer_id,
                    "--reason", "patient_request")
    assert erased == 0
    for copy in (customer, booking):  # as a backup holds them: the re-sealed rows as they were
        with pytest.raises(SealedDataErased):
            copy.unseal()


def test_current_rows_are_left_as_they_are_unless_all_are_asked_for(clinic, legacy_patient, capsys):
    _, booking, _, booking_fields = legacy_patient
    run(capsys, "reseal")
    booking.refresh(consistent_read=True)
    sealed_once = booking.sealed

    _, again = run(capsys, "reseal")
    booking.refresh(consistent_read=True)
    assert again["rows"]["bookings"] == {"resealed": 0, "current": 1, "changed": 0, "erased": 0}
    assert booking.sealed == sealed_once
    _, every = run(capsys, "reseal", "--all")
    booking.refresh(consistent_read=True)
    assert every["rows"]["bookings"]["resealed"] == 1 and every["rows"]["users"]["resealed"] >= 1
    assert booking.sealed != sealed_once and booking.unseal() == booking_fields


def test_a_row_changed_while_it_is_resealed_keeps_the_change(clinic, legacy_patient):
    customer, _, fields, _ = legacy_patient
    stale = Customer.get(clinic.org_id, customer.customer_id)
    customer.seal({**fields, "name": "Alice Renamed"})
    customer.save()

    assert reseal_row(stale, every_row=False) == CHANGED
    assert Customer.get(clinic.org_id, customer.customer_id).unseal()["name"] == "Alice Renamed"
