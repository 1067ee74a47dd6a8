"""Cost of sealing and opening: KMS calls (counted) and time against a plaintext JSON round trip."""

from __future__ import annotations

import json
from typing import Any

import botocore.session

from bench.timing import microseconds_per_call
from chalicelib import aws, clock
from chalicelib.crypto.envelope import SealContext, Sealer
from infra.local_stack import mocked_stack

OPERATIONS = 1000
FIELDS = {"name": "Alice Zebrowski", "email": "alice@example.org", "phone": "+15551234567",
          "notes": "Prefers afternoons. " * 10}


class KmsCallCounter:
    def __init__(self) -> None:
        self.calls = 0

    def session(self) -> botocore.session.Session:
        session = aws.botocore_session()
        session.register("before-call.kms", self._count)
        return session

    def _count(self, **_kwargs: Any) -> None:
        self.calls += 1


def _measure_sealer(key_arn: str, cache: bool) -> dict[str, float]:
    counter = KmsCallCounter()
    sealer = Sealer(key_arn, session=counter.session(), cache=cache)
    context = SealContext("org-bench", "customers", "fields")
    blobs: list[bytes] = []
    seal_us = microseconds_per_call(lambda i: blobs.append(sealer.seal(FIELDS, context, f"row{i}")), OPERATIONS)
    seal_calls = counter.calls
    open_us = microseconds_per_call(lambda i: sealer.open(blobs[i], context, f"row{i}"), OPERATIONS)
    return {
        "kms_calls_per_1000_seals": seal_calls * 1000 / OPERATIONS,
        "kms_calls_per_1000_opens": (counter.calls - seal_calls) * 1000 / OPERATIONS,
        "us_per_seal": round(seal_us, 1),
        "us_per_open": round(open_us, 1),
        "sealed_bytes": len(blobs[0]),
    }


def _plaintext_round_trip_us() -> float:
    return microseconds_per_call(lambda i: json.loads(json.dumps({"row": f"row{i}", "fields": FIELDS})),
                                 OPERATIONS)


WRITES = 300


def _sealed_vs_plain_writes() -> dict[str, float]:
    """A customer row written sealed, against the same row with its fields in plain JSON (DynamoDB in moto)."""
    from chalicelib.models.customer import Customer

    def row(i: int) -> Customer:
        return Customer("org-bench", f"c{i}", email_index="x", created_at=clock.now())

    def sealed(i: int) -> None:
        customer = row(i)
        customer.seal(FIELDS)
        customer.save()

    def plain(i: int) -> None:
        customer = row(WRITES + i)
        customer.sealed = json.dumps({"row": customer.row_key(), "fields": FIELDS}).encode()
        customer.save()

    plain(0)
    sealed(0)  # warm both paths (clients, cache) before timing
    plain_us = microseconds_per_call(plain, WRITES)
    sealed_us = microseconds_per_call(sealed, WRITES)
    return {"writes": WRITES, "us_per_plain_write": round(plain_us, 1), "us_per_sealed_write": round(sealed_us, 1),
            "sealed_write_vs_plain_write": round(sealed_us / plain_us, 2)}


def measure() -> dict[str, Any]:
    with mocked_stack() as stack:
        key_arn = stack["SAFESLOT_KEY_ARN"]
        cached = _measure_sealer(key_arn, cache=True)
        uncached = _measure_sealer(key_arn, cache=False)
        writes = _sealed_vs_plain_writes()
    baseline = _plaintext_round_trip_us()
    return {
        "operations": OPERATIONS,
        "plaintext_json_round_trip_us": round(baseline, 2),
        "cached": cached,
        "uncached": uncached,
        "cached_seal_plus_open_vs_plaintext": round((cached["us_per_seal"] + cached["us_per_open"]) / baseline, 1),
        "plaintext_bytes": len(json.dumps({"row": "row0", "fields": FIELDS})),
        "through_dynamodb": writes,
    }
