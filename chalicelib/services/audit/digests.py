"""Signed digests of each org's chain, kept where a table writer cannot reach (modelled on CloudTrail's
log file integrity validation).

A digest seals the events chained since the previous one: their hashes, the head, counts and time
range, and the hash of the previous digest. KMS signs it with an asymmetric key (ECDSA P-256) that
only the audit job may use, and it is stored under S3 Object Lock in compliance mode: nobody, the
account's root included, can change or delete it before its retention ends.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import botocore.exceptions
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.services.audit import chain, proof

Signed = dict[str, Any]  # {"digest": {...}, "event_hashes": [...], "signature": base64}


class DigestRefused(Exception):
    """No digest was written: the events since the last one do not link up (nothing is signed over a
    broken chain until someone looks), or another run wrote this digest number first."""

    def __init__(self, org_id: str, seq: int, reason: str) -> None:
        super().__init__(f"no audit digest for org {org_id} at event {seq}: {reason}")
        self.seq, self.reason = seq, reason


def write(org_id: str) -> Signed:
    """Seal the org's chain as it stands now: sign a digest of the events since the last one and store it."""
    previous = latest(org_id)
    head = chain.read_head(org_id)
    first_seq = int(previous["digest"]["last_seq"]) + 1 if previous else head.pruned_seq + 1
    prev_hash = previous["digest"]["head_hash"] if previous else head.pruned_hash
    new = _linked_segment(org_id, first_seq, head.last_seq, prev_hash)
    number = int(previous["digest"]["number"]) + 1 if previous else 1
    digest = {
        "version": 1, "org_id": org_id, "number": number,
        "created_at": clock.isoformat(clock.now()), "first_seq": first_seq, "last_seq": head.last_seq,
        "event_count": len(new), "first_at": new[0]["at"] if new else None, "last_at": new[-1]["at"] if new else None,
        "head_hash": new[-1]["hash"] if new else prev_hash,
        "event_hashes_sha256": proof.hashes_digest([e["hash"] for e in new]),
        "previous_digest_sha256": proof.digest_file_hash(previous) if previous else None,
        "signing_key_id": settings().audit_signing_key_id, "signing_algorithm": proof.SIGNING_ALGORITHM,
    }
    signed = {"digest": digest, "event_hashes": [e["hash"] for e in new], "signature": _sign(digest)}
    _store(org_id, number, signed)
    return signed


def all_for(org_id: str) -> list[Signed]:
    """Every digest of the org, oldest first."""
    return [_read(key) for key in _keys(org_id)]


def latest(org_id: str) -> Signed | None:
    keys = _keys(org_id)
    return _read(keys[-1]) if keys else None


def public_key() -> ec.EllipticCurvePublicKey:
    """The signing key's public half, from KMS (an auditor gets the same bytes from us directly)."""
    return proof.load_public_key(public_key_der())


def public_key_der() -> bytes:
    answer = aws.client("kms").get_public_key(KeyId=settings().audit_signing_key_id)
    return bytes(answer["PublicKey"])


def _linked_segment(org_id: str, first_seq: int, last_seq: int, prev_hash: str) -> list[dict[str, Any]]:
    """Events first_seq..last_seq as records, after checking that they link onto `prev_hash`."""
    segment = []
    for expected_seq, event in enumerate(chain.events(org_id, after=first_seq - 1), start=first_seq):
        if expected_seq > last_seq:
            break
        record = chain.as_record(event)
        if record["seq"] != expected_seq or record["prev_hash"] != prev_hash:
            raise DigestRefused(org_id, expected_seq, "event missing, out of order or re-linked")
        if proof.event_hash(record) != record["hash"]:
            raise DigestRefused(org_id, expected_seq, "event was altered")
        segment.append(record)
        prev_hash = record["hash"]
    if len(segment) != max(0, last_seq - first_seq + 1):
        raise DigestRefused(org_id, first_seq + len(segment), "events missing before the head")
    return segment


def _sign(digest: dict[str, Any]) -> str:
    answer = aws.client("kms").sign(KeyId=settings().audit_signing_key_id, Message=proof.canonical(digest),
                                    MessageType="RAW", SigningAlgorithm=proof.SIGNING_ALGORITHM)
    return base64.b64encode(answer["Signature"]).decode()


def _key(org_id: str, number: int) -> str:
    return f"digests/{org_id}/{number:010d}.json"


def _store(org_id: str, number: int, signed: Signed) -> None:
    """Write once (a concurrent writer of the same number loses), locked in compliance mode."""
    config = settings()
    try:
        aws.client("s3").put_object(
            Bucket=config.audit_digest_bucket, Key=_key(org_id, number), Body=proof.canonical(signed),
            ContentType="application/json", IfNoneMatch="*", ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=clock.now() + timedelta(days=config.audit_digest_retention_days))
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise DigestRefused(org_id, int(signed["digest"]["first_seq"]),
                              f"digest {number} was written meanwhile by another run; run again") from error
        raise


def _keys(org_id: str) -> list[str]:
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket=settings().audit_digest_bucket, Prefix=f"digests/{org_id}/")
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _read(key: str) -> Signed:
    body = aws.client("s3").get_object(Bucket=settings().audit_digest_bucket, Key=key)["Body"].read()
    signed: Signed = json.loads(body)
    return signed
