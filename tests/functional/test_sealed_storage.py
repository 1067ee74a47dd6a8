"""The encrypted data layer as an attacker with a copy of the table, or a broken KMS, would meet it."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import aws_encryption_sdk
import boto3
import botocore.session
import pytest
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.identifiers import Algorithm
from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider

from chalicelib import aws
from chalicelib.crypto import envelope
from chalicelib.crypto.envelope import SealContext, Sealer
from chalicelib.errors import EncryptionUnavailable, SealedDataInvalid
from chalicelib.models.customer import Customer
from chalicelib.services import customers
from chalicelib.services.customers import CustomerDetails

ALICE = CustomerDetails(
    name="Alice Zebrowski", email="alice.zebrowski@example.org", phone="+15551234567",
    notes="Allergic to latex; prefers afternoons",
)


def raw_items(table: str) -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=f"safeslot-test-{table}")["Items"]


def encodings(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, raw.lower(), base64.b64encode(raw), raw.hex().encode(), value.encode("utf-16-le")]


def test_raw_table_holds_no_personal_value_in_any_encoding(aws_stack):
    customers.create_customer("org1", ALICE, actor="u1")

    items = raw_items("customers") + raw_items("audit_events")
    binaries = [value["B"] for item in items for value in item.values() if "B" in value]
    dumped = repr(items).encode() + b"".join(binaries) + b"".join(base64.b64encode(b) for b in binaries)
    for value in (ALICE.name, ALICE.email, ALICE.phone, ALICE.notes, "Zebrowski", "latex"):
        for encoded in encodings(value):
            assert encoded not in dumped, value


def test_sealed_details_read_back_intact(aws_stack):
    customer_id = customers.create_customer("org1", ALICE, actor="u1")

    assert customers.read_customer("org1", customer_id, actor="u1") == ALICE


def test_customer_is_found_by_email_in_any_case_but_only_in_its_own_org(aws_stack):
    customer_id = customers.create_customer("org1", ALICE, actor="u1")

    assert customers.find_customer_ids_by_email("org1", "  ALICE.Zebrowski@Example.org ") == [customer_id]
    assert customers.find_customer_ids_by_email("org2", ALICE.email) == []


def test_blind_index_differs_between_orgs_for_the_same_email(aws_stack):
    assert customers.email_index("org1", ALICE.email) != customers.email_index("org2", ALICE.email)


def test_sealed_value_copied_onto_another_customer_fails_to_open(aws_stack):
    victim = customers.create_customer("org1", ALICE, actor="u1")
    other = customers.create_customer("org1", CustomerDetails(name="Bob", email="bob@example.org"), "u1")
    stolen = Customer.get("org1", victim).sealed
    target = Customer.get("org1", other)
    target.sealed = stolen
    target.save()

    with pytest.raises(SealedDataInvalid):
        customers.read_customer("org1", other, actor="u1")


def test_sealed_value_moved_to_another_org_fails_to_open(aws_stack):
    victim = customers.create_customer("org1", ALICE, actor="u1")
    row = Customer.get("org1", victim)
    moved = Customer("org2", victim, email_index=row.email_index, created_at=row.created_at, sealed=row.sealed)
    moved.save()

    with pytest.raises(SealedDataInvalid):
        customers.read_customer("org2", victim, actor="u1")


@pytest.mark.parametrize("opened_as", [SealContext("org1", "customers", "fields"),
                                       SealContext("org1", "bookings", "org_key")],
                         ids=["other table", "other purpose"])
def test_a_value_sealed_for_one_table_or_purpose_does_not_open_as_another_with_the_same_row(aws_stack, opened_as):
    """The row check passes (same org, same row key): only the encryption context, compared on open, refuses."""
    sealer = Sealer(aws_stack["SAFESLOT_KEY_ARN"])
    blob = sealer.seal({"name": "x"}, SealContext("org1", "bookings", "fields"), "org1/x")

    with pytest.raises(SealedDataInvalid):
        sealer.open(blob, opened_as, "org1/x")


def test_a_legacy_value_moved_onto_a_customer_row_of_the_same_key_fails_to_open(aws_stack):
    """A value sealed before crypto-shredding has no inner table binding: pasted from the bookings table onto a
    customer row that shares its key (org1/<id>), only the context check (table "bookings") refuses it."""
    template = Customer.get("org1", customers.create_customer("org1", ALICE, actor="u1"))
    legacy = Sealer(aws_stack["SAFESLOT_KEY_ARN"]).seal(
        {"name": "Mallory", "email": "mallory@example.org", "phone": None, "notes": "planted"},
        SealContext("org1", "bookings", "fields"), "org1/b-1")
    Customer("org1", "b-1", email_index=template.email_index, created_at=template.created_at, sealed=legacy).save()

    with pytest.raises(SealedDataInvalid):
        customers.read_customer("org1", "b-1", actor="u1")


def test_a_legacy_value_copied_onto_another_customer_of_the_org_fails_to_open(aws_stack):
    """A value sealed before crypto-shredding has no inner row binding, and its context (org, table, purpose)
    is the same on every customer row of the org: copied onto another customer, only the row sealed inside
    the message refuses it (`make controls`: envelope-row-binding)."""
    template = Customer.get("org1", customers.create_customer("org1", ALICE, actor="u1"))
    legacy = Sealer(aws_stack["SAFESLOT_KEY_ARN"]).seal(
        {"name": "Vera Victim", "email": "vera@example.org", "phone": None, "notes": "private"},
        SealContext("org1", "customers", "fields"), "org1/c-victim")
    for customer_id in ("c-victim", "c-other"):
        Customer("org1", customer_id, email_index=template.email_index, created_at=template.created_at,
                 sealed=legacy).save()

    assert customers.read_customer("org1", "c-victim", actor="u1").name == "Vera Victim"  # it opens where it was
    with pytest.raises(SealedDataInvalid):
        customers.read_customer("org1", "c-other", actor="u1")


def test_message_made_with_a_non_committing_suite_is_refused(aws_stack):
    context = SealContext("org1", "customers", "fields")
    legacy = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    provider = StrictAwsKmsMasterKeyProvider(key_ids=[aws_stack["SAFESLOT_KEY_ARN"]])
    payload = json.dumps({"row": "org1/c1", "fields": {"name": "x"}}).encode()
    blob, _ = legacy.encrypt(source=payload, key_provider=provider, encryption_context=context.encryption_context(),
                             algorithm=Algorithm.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384)

    with pytest.raises(SealedDataInvalid):
        Sealer(aws_stack["SAFESLOT_KEY_ARN"]).open(blob, context, "org1/c1")


def test_message_with_extra_encrypted_data_keys_is_refused(aws_stack):
    kms = boto3.client("kms")
    second_key = kms.create_key()["KeyMetadata"]["Arn"]
    context = SealContext("org1", "customers", "fields")
    two_keys = StrictAwsKmsMasterKeyProvider(key_ids=[aws_stack["SAFESLOT_KEY_ARN"], second_key])
    client = aws_encryption_sdk.EncryptionSDKClient()
    payload = json.dumps({"row": "org1/c1", "fields": {}}).encode()
    blob, _ = client.encrypt(source=payload, key_provider=two_keys, encryption_context=context.encryption_context())

    with pytest.raises(SealedDataInvalid):
        Sealer(aws_stack["SAFESLOT_KEY_ARN"]).open(blob, context, "org1/c1")


def test_tampered_ciphertext_is_refused(aws_stack):
    context = SealContext("org1", "customers", "fields")
    sealer = Sealer(aws_stack["SAFESLOT_KEY_ARN"])
    blob = bytearray(sealer.seal({"name": "x"}, context, "org1/c1"))
    blob[-40] ^= 0x01

    with pytest.raises(SealedDataInvalid):
        sealer.open(bytes(blob), context, "org1/c1")


def test_encryption_context_names_org_and_table_but_no_personal_data_or_item(aws_stack):
    customer_id = customers.create_customer("org1", ALICE, actor="u1")
    blob = Customer.get("org1", customer_id).sealed
    _, header = aws_encryption_sdk.EncryptionSDKClient().decrypt(
        source=blob, key_provider=StrictAwsKmsMasterKeyProvider(key_ids=[aws_stack["SAFESLOT_KEY_ARN"]]))

    assert dict(header.encryption_context) == {
        "app": "safeslot", "org": "org1", "table": "customers", "purpose": "fields"}
    assert header.algorithm == Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY


ORIGINAL_SESSION = aws.botocore_session


def refusing_kms_session(code: str) -> botocore.session.Session:
    """A session whose KMS answers every call with `code` (moto itself ignores a disabled key)."""
    session = ORIGINAL_SESSION()

    def refuse(**_kwargs: object) -> tuple[object, dict]:
        return SimpleNamespace(status_code=400), {"Error": {"Code": code, "Message": "refused"}}

    session.register("before-call.kms", refuse)
    return session


def test_kms_refusing_fails_closed_and_writes_nothing(aws_stack, monkeypatch):
    monkeypatch.setattr(aws, "botocore_session", lambda: refusing_kms_session("DisabledException"))
    envelope.reset_sealers()  # a cold container: nothing cached

    with pytest.raises(EncryptionUnavailable):
        customers.create_customer("org1", ALICE, actor="u1")
    assert raw_items("customers") == []


def test_unreachable_kms_fails_closed_and_writes_nothing(aws_stack, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")  # nothing listens there
    envelope.reset_sealers()

    with pytest.raises(EncryptionUnavailable):
        customers.create_customer("org1", ALICE, actor="u1")
    assert raw_items("customers") == []


def test_models_refuse_to_seal_undeclared_fields(aws_stack):
    customer = Customer("org1", "c1", email_index="x")

    with pytest.raises(ValueError, match="does not seal"):
        customer.seal({"name": "x", "ssn": "123-45-6789"})
