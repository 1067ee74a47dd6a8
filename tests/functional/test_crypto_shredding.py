"""Crypto-shredding as an attacker with a copy of the tables, and as staff and patients after an erasure."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import boto3
import pytest

from chalicelib import aws
from chalicelib.crypto import envelope, shred_keys
from chalicelib.errors import SealedDataErased
from chalicelib.models import ALL_MODELS
from chalicelib.models.base import SHRED_BOX, SealedModel
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.shred_key import ShredKey
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body, call, token_for

BOB = {"name": "Bob Quillfeather", "email": "bob.quillfeather@example.org", "phone": "+14155550188"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "frontdesk"))


def booked(client, clinic, who: dict[str, str], hhmm: str) -> dict[str, Any]:
    response = book(client, clinic, at(next_weekday(), hhmm), customer=who, notes=f"notes of {who['name']}")
    assert response.status_code == 201, response.body
    return body(response)


def customer_of(clinic, booking_id: str) -> str:
    return Booking.get(clinic.org_id, booking_id).customer_id


def sealed_rows_of(org_id: str) -> list[SealedModel]:
    rows: list[SealedModel] = []
    for model in ALL_MODELS:
        if issubclass(model, SealedModel):
            rows.extend(row for row in model.scan() if row.tenant == org_id)
    return rows


def test_the_envelope_alone_yields_no_personal_value(client, clinic):
    """Someone who can make KMS decrypt the envelope, but holds no shred key, sees only the inner box."""
    alice = booked(client, clinic, ALICE, "10:00")
    customer = Customer.get(clinic.org_id, customer_of(clinic, alice["booking"]["id"]))

    opened = envelope.sealer().open(customer.sealed, customer._seal_context(), customer.row_key())

    dumped = json.dumps(opened).encode()
    dumped += base64.b64decode(opened[SHRED_BOX]["box"])
    for value in (ALICE["name"], ALICE["email"], ALICE["phone"], "Zebrowski"):
        assert value.encode() not in dumped
    assert opened[SHRED_BOX]["subject"] == shred_keys.customer_subject(customer.customer_id)


def test_the_org_key_is_sealed_through_kms_with_no_personal_data_in_its_context(client, clinic):
    booked(client, clinic, ALICE, "10:00")
    row = ShredKey.get(clinic.org_id, shred_keys.ORG)

    context = envelope.sealer()._client.decrypt(source=row.wrapped, materials_manager=envelope.sealer()._materials)[1]
    assert dict(context.encryption_context) == {"app": "safeslot", "org": clinic.org_id, "table": "shred_keys",
                                                 "purpose": "shred-org-key"}


def test_destroying_a_customer_key_makes_only_that_customers_rows_unopenable(client, clinic):
    alice = booked(client, clinic, ALICE, "10:00")
    bob = booked(client, clinic, BOB, "11:00")
    alice_id = customer_of(clinic, alice["booking"]["id"])

    shred_keys.destroy_subject(clinic.org_id, shred_keys.customer_subject(alice_id))

    with pytest.raises(SealedDataErased):
        Customer.get(clinic.org_id, alice_id).unseal()
    with pytest.raises(SealedDataErased):
        Booking.get(clinic.org_id, alice["booking"]["id"]).unseal()
    bob_id = customer_of(clinic, bob["booking"]["id"])
    assert Customer.get(clinic.org_id, bob_id).unseal()["name"] == BOB["name"]
    assert Booking.get(clinic.org_id, bob["booking"]["id"]).unseal()["notes"] == f"notes of {BOB['name']}"


def test_an_erased_customer_answers_410_erased_to_staff_and_nothing_personal_to_a_leftover_link(client, clinic):
    alice = booked(client, clinic, ALICE, "10:00")
    alice_id = customer_of(clinic, alice["booking"]["id"])
    shred_keys.destroy_subject(clinic.org_id, shred_keys.customer_subject(alice_id))

    staff_view = call(client, "GET", f"/v1/customers/{alice_id}", token_for(client, clinic.accounts["frontdesk"]))
    patient_view = manage(client, "GET", f"/v1/public/bookings/{alice['booking']['id']}",
                          token_of(alice["manage_url"]))

    assert (staff_view.status_code, body(staff_view)["error"]["code"]) == (410, "erased")
    for response in (staff_view, patient_view):
        assert ALICE["name"] not in response.body.decode()
        assert "notes of" not in response.body.decode()


def test_a_destroyed_key_is_not_made_again(client, clinic):
    alice = booked(client, clinic, ALICE, "10:00")
    customer = Customer.get(clinic.org_id, customer_of(clinic, alice["booking"]["id"]))
    shred_keys.destroy_subject(clinic.org_id, customer.shred_subject())

    with pytest.raises(SealedDataErased):
        customer.seal({"name": "Alice again"})
    assert ShredKey.get(clinic.org_id, customer.shred_subject()).wrapped is None


def test_another_process_stops_opening_once_its_cached_key_ages_out(client, clinic, monkeypatch):
    alice = booked(client, clinic, ALICE, "10:00")
    customer = Customer.get(clinic.org_id, customer_of(clinic, alice["booking"]["id"]))
    customer.unseal()  # cached here
    # another process destroys the key: this one still holds it until the cache age passes
    ShredKey(clinic.org_id, customer.shred_subject(), created_at=ShredKey.get(
        clinic.org_id, customer.shred_subject()).created_at).save()
    assert customer.unseal()["name"] == ALICE["name"]

    monkeypatch.setattr(shred_keys.time, "monotonic", lambda: 10**12)  # far past data_key_max_age_seconds

    with pytest.raises(SealedDataErased):
        customer.unseal()


def test_destroying_the_org_key_makes_every_sealed_row_of_the_org_unopenable(client, clinic):
    booked(client, clinic, ALICE, "10:00")
    booked(client, clinic, BOB, "11:00")
    other = make_clinic("other-clinic")
    booked(client, other, ALICE, "10:00")
    rows = sealed_rows_of(clinic.org_id)
    assert {type(row).__name__ for row in rows} >= {"Customer", "Booking", "User"}

    shred_keys.destroy_org(clinic.org_id)

    for row in rows:
        with pytest.raises(SealedDataErased):
            row.unseal()
    for row in sealed_rows_of(other.org_id):
        row.unseal()
    assert {r.subject for r in ShredKey.query(clinic.org_id) if r.wrapped is not None} == set()


def test_a_box_moved_to_another_customer_does_not_open(client, clinic):
    alice = booked(client, clinic, ALICE, "10:00")
    bob = booked(client, clinic, BOB, "11:00")
    alice_row = Customer.get(clinic.org_id, customer_of(clinic, alice["booking"]["id"]))
    bob_row = Customer.get(clinic.org_id, customer_of(clinic, bob["booking"]["id"]))
    alice_box = envelope.sealer().open(alice_row.sealed, alice_row._seal_context(), alice_row.row_key())
    # an insider with KMS rewrites Bob's envelope around Alice's box (her key still exists)
    bob_row.sealed = envelope.sealer().seal(alice_box, bob_row._seal_context(), bob_row.row_key())

    with pytest.raises(Exception) as raised:
        bob_row.unseal()
    assert type(raised.value).__name__ == "SealedDataInvalid"


def test_two_first_uses_at_once_agree_on_one_key(aws_stack, atomic_dynamodb):
    subject = shred_keys.customer_subject("c-race")
    boxes: list[bytes] = []

    def seal() -> None:
        boxes.append(shred_keys.seal_box("org-race", subject, b"secret", "t/row"))

    threads = [threading.Thread(target=seal) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    shred_keys.reset_cache()
    assert [shred_keys.open_box("org-race", subject, box, "t/row") for box in boxes] == [b"secret"] * 8


def test_kms_calls_per_1000_seals_and_opens_are_at_most_2(aws_stack, monkeypatch):
    calls = {"n": 0}
    make_session = aws.botocore_session

    def counted_session():
        session = make_session()
        session.register("before-call.kms", lambda **_: calls.__setitem__("n", calls["n"] + 1))
        return session

    monkeypatch.setattr(aws, "botocore_session", counted_session)
    envelope.reset_sealers()
    shred_keys.reset_cache()
    rows = [Customer("org-kms", f"c{i}", email_index="x") for i in range(1000)]
    for row in rows:
        row.seal({"name": f"Person {row.customer_id}"})
    seal_calls = calls["n"]
    envelope.reset_sealers()  # a fresh process opens them
    shred_keys.reset_cache()
    for row in rows:
        row.unseal()

    assert seal_calls <= 2
    assert calls["n"] - seal_calls <= 2


def test_the_key_table_is_not_in_any_backup(aws_stack):
    from chalicelib.jobs import tables

    assert ShredKey not in tables.owned_tables().values()
    assert boto3.client("dynamodb").describe_table(TableName=ShredKey.Meta.table_name)["Table"]["KeySchema"]


def test_a_customers_idempotency_record_goes_with_their_key(client, clinic):
    from chalicelib.models.booking import IdempotencyRecord

    response = book(client, clinic, at(next_weekday(), "10:00"), key="retry-1", customer=ALICE)
    alice_id = customer_of(clinic, body(response)["booking"]["id"])
    record = next(r for r in IdempotencyRecord.scan() if r.org_id == clinic.org_id)
    assert record.unseal()["response"]["booking"]["id"] == body(response)["booking"]["id"]

    shred_keys.destroy_subject(clinic.org_id, shred_keys.customer_subject(alice_id))

    with pytest.raises(SealedDataErased):
        record.unseal()


def test_keys_are_read_from_the_key_table_once_per_process_not_once_per_row(aws_stack, monkeypatch):
    rows = [Booking("org-reads", f"b{i}", customer_id="c1") for i in range(1000)]
    for row in rows:
        row.seal({"notes": "a note"})
    shred_keys.reset_cache()  # a fresh process
    reads = []
    stored = shred_keys._stored
    monkeypatch.setattr(shred_keys, "_stored", lambda *key: reads.append(key) or stored(*key))

    for row in rows:
        row.unseal()

    assert sorted(reads) == [("org-reads", "customer/c1"), ("org-reads", "org")]


def test_a_row_sealed_before_crypto_shredding_still_opens(aws_stack):
    """Rows written before this change hold their fields in the envelope itself; they open until rewritten."""
    row = Customer("org-old", "c-old", email_index="x")
    row.sealed = envelope.sealer().seal({"name": "Old Row"}, row._seal_context(), row.row_key())

    assert row.unseal() == {"name": "Old Row"}
