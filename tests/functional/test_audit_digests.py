"""Signed digests: a table writer who rewrites the whole chain (hashes and head included) is caught at
the first event changed, and an auditor checks an export with nothing but the public key."""

from __future__ import annotations

import base64
import json

import boto3
import botocore.exceptions
import pytest

from chalicelib.config import settings
from chalicelib.models.audit import HEAD_SEQ, AuditEvent
from chalicelib.services import audit
from chalicelib.services.audit import chain, digests, proof
from tests.functional.test_audit_chain import append_events


def rewrite_from(org_id: str, seq: int, actor: str = "someone-else") -> None:
    """What a table writer can do: edit one event, recompute every later hash and link, and the head."""
    events = list(AuditEvent.query(org_id, AuditEvent.seq > HEAD_SEQ))
    prev_hash = events[seq - 2].hash if seq > 1 else proof.GENESIS_HASH
    for event in events[seq - 1:]:
        if int(event.seq) == seq:
            event.actor = actor
        event.prev_hash = prev_hash
        event.hash = prev_hash = audit.event_hash(event)
        event.save()
    AuditEvent(org_id, HEAD_SEQ).update(actions=[AuditEvent.hash.set(prev_hash)])


def test_a_whole_chain_rewrite_fails_at_the_first_event_changed(aws_stack):
    append_events("org1", 6)
    digests.write("org1")
    rewrite_from("org1", 3)

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq, result.reason) == (False, 3, "event differs from the signed digest")


def test_a_re_linked_event_fails_at_that_event(aws_stack):
    append_events("org1", 5)
    digests.write("org1")
    event = AuditEvent.get("org1", 4)
    event.prev_hash = AuditEvent.get("org1", 2).hash  # skip event 3 and hide the gap
    event.hash = audit.event_hash(event)
    event.save()

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 4)


def test_deleting_sealed_tail_events_and_moving_the_head_back_is_caught(aws_stack):
    append_events("org1", 5)
    digests.write("org1")
    for seq in (4, 5):
        AuditEvent(org_id="org1", seq=seq).delete()
    AuditEvent("org1", HEAD_SEQ).update(actions=[AuditEvent.last_seq.set(3),
                                                 AuditEvent.hash.set(AuditEvent.get("org1", 3).hash)])

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 4)


def test_digests_link_cover_every_event_once_and_report_the_unsealed_tail(aws_stack):
    append_events("org1", 3)
    first = digests.write("org1")
    append_events("org1", 2)
    second = digests.write("org1")
    append_events("org1", 1)

    assert (first["digest"]["first_seq"], first["digest"]["last_seq"]) == (1, 3)
    assert (second["digest"]["first_seq"], second["digest"]["last_seq"], second["digest"]["event_count"]) == (4, 5, 2)
    assert second["digest"]["previous_digest_sha256"] == proof.digest_file_hash(first)
    result = audit.verify("org1")
    assert (result.ok, result.digests_checked, result.events_after_last_digest) == (True, 2, 1)


def test_the_signature_is_kms_ecdsa_over_the_digest_and_a_forged_one_fails(aws_stack):
    append_events("org1", 2)
    signed = digests.write("org1")
    kms = boto3.client("kms")

    assert kms.verify(KeyId=settings().audit_signing_key_id, Message=proof.canonical(signed["digest"]),
                      Signature=base64.b64decode(signed["signature"]),
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    forged = {**signed, "digest": {**signed["digest"], "head_hash": "f" * 64}}
    assert not proof.signature_ok(forged, digests.public_key())


def test_a_digest_cannot_be_deleted_or_replaced_in_its_bucket(aws_stack):
    append_events("org1", 2)
    digests.write("org1")
    s3 = boto3.client("s3")
    bucket = settings().audit_digest_bucket
    key = s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"]
    version = s3.list_object_versions(Bucket=bucket)["Versions"][0]["VersionId"]

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError):
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}", IfNoneMatch="*")


def test_no_digest_is_signed_over_a_chain_that_is_already_broken(aws_stack):
    append_events("org1", 3)
    boto3.resource("dynamodb").Table("safeslot-test-audit_events").update_item(
        Key={"org_id": "org1", "seq": 2}, UpdateExpression="SET actor = :a", ExpressionAttributeValues={":a": "x"})

    with pytest.raises(digests.DigestRefused) as broken:
        digests.write("org1")
    assert broken.value.seq == 2
    assert digests.latest("org1") is None


def test_retention_keeps_the_chain_verifying_against_earlier_digests(aws_stack, fake_clock):
    append_events("org1", 3)
    digests.write("org1")
    fake_clock.advance(days=10)
    append_events("org1", 2)

    assert audit.prune_older_than("org1", fake_clock.now) == 3
    assert audit.verify("org1").ok
    AuditEvent("org1", HEAD_SEQ).update(actions=[AuditEvent.pruned_through_hash.set("e" * 64)])
    assert audit.verify("org1").ok is False


# --- an auditor outside the company -------------------------------------------------------------------

def test_an_auditor_verifies_an_export_with_only_the_public_key(aws_stack, tmp_path):
    append_events("org1", 4)
    digests.write("org1")
    append_events("org1", 1)

    assert audit.export("org1", tmp_path / "export").ok
    key_only = tmp_path / "key.pem"
    key_only.write_bytes((tmp_path / "export" / "signing-key.pem").read_bytes())
    assert proof.main([str(tmp_path / "export"), "--public-key", str(key_only)]) == 0


def test_an_export_rewritten_after_the_fact_fails_offline_at_the_changed_event(aws_stack, tmp_path):
    append_events("org1", 4)
    digests.write("org1")
    audit.export("org1", tmp_path)
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    prev_hash = lines[0]["hash"]
    for record in lines[1:]:  # edit event 2 and recompute every later hash and the head
        record["actor"] = "someone-else" if record["seq"] == 2 else record["actor"]
        record["prev_hash"] = prev_hash
        record["hash"] = prev_hash = proof.event_hash(record)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    state = json.loads((tmp_path / "state.json").read_text())
    (tmp_path / "state.json").write_text(json.dumps({**state, "head_hash": prev_hash}))

    result = proof.verify_export(tmp_path, tmp_path / "signing-key.pem")
    assert (result.ok, result.failed_at_seq) == (False, 2)


def test_an_export_missing_a_digest_or_signed_by_another_key_fails(aws_stack, tmp_path):
    append_events("org1", 2)
    digests.write("org1")
    append_events("org1", 2)
    digests.write("org1")
    audit.export("org1", tmp_path)
    other = boto3.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    (tmp_path / "other.der").write_bytes(boto3.client("kms").get_public_key(KeyId=other)["PublicKey"])

    assert proof.verify_export(tmp_path, tmp_path / "other.der").ok is False
    (tmp_path / "digests" / "0000000001.json").unlink()
    assert proof.verify_export(tmp_path, tmp_path / "signing-key.pem").ok is False


def test_chain_reads_see_only_what_the_head_vouches_for(aws_stack):
    append_events("org1", 2)
    write = audit.entry("org1", "u", "customer.read")
    write.save()  # committed, not yet chained: not on the chain, not an error
    assert audit.verify("org1").events_checked == 2
    assert chain.build("org1") == 1


def test_a_digest_with_nothing_new_still_links_and_verifies(aws_stack):
    append_events("org1", 2)
    digests.write("org1")
    empty = digests.write("org1")  # a day without events: the digest still proves the chain stood

    assert (empty["digest"]["event_count"], empty["digest"]["number"]) == (0, 2)
    assert audit.verify("org1").ok and audit.verify("org1").digests_checked == 2
