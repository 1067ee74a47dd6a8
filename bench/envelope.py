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
KNOWN_SUBJECTS = 50  # customers whose shred keys this process holds (cached: ADR 0010's bounded cache)


def _sealed_vs_plain_writes() -> dict[str, float]:
    """A customer row written sealed, against the same row with its fields in plain JSON (DynamoDB in moto),
    interleaved one by one and timed in CPU time (the median of each); the subjects' keys are cached, as they
    are for every row but a subject's first. Reads likewise: a sealed row read and opened against a plain
    row read and parsed (this process wrote it or read it before: its envelope is not decrypted again, and
    once as another process's row). A new subject's first row is counted apart (its key rides in its
    transaction)."""
    import statistics
    import time

    from chalicelib.crypto import opened_envelopes
    from chalicelib.models.customer import Customer

    def row(i: int) -> Customer:
        return Customer("org-bench", f"c{i}", email_index="x", created_at=clock.now())

    def sealed(i: int) -> None:
        customer = row(i % KNOWN_SUBJECTS)
        customer.seal(FIELDS)
        customer.save()

    def plain(i: int) -> None:
        customer = row(KNOWN_SUBJECTS + i % KNOWN_SUBJECTS)
        customer.sealed = json.dumps({"row": customer.row_key(), "fields": FIELDS}).encode()
        customer.save()

    def read_sealed(i: int) -> None:
        Customer.get("org-bench", f"c{i % KNOWN_SUBJECTS}").unseal()

    def read_plain(i: int) -> None:
        json.loads(Customer.get("org-bench", f"c{KNOWN_SUBJECTS + i % KNOWN_SUBJECTS}").sealed)

    for i in range(KNOWN_SUBJECTS):  # warm both paths (clients, caches, each subject's key)
        plain(i)
        sealed(i)
    def read_sealed_elsewhere(i: int) -> None:  # a row another process wrote: its envelope is decrypted
        opened_envelopes.clear()
        read_sealed(i)

    names = ("plain", "sealed", "read_plain", "read_sealed", "read_sealed_elsewhere")
    timings: dict[str, list[float]] = {name: [] for name in names}
    for i in range(WRITES):
        for name, action in zip(names, (plain, sealed, read_plain, read_sealed, read_sealed_elsewhere), strict=True):
            start = time.process_time()  # CPU time: moto runs in this process, and other processes on a
            action(i)  # shared machine stretch wall time by whatever they do meanwhile
            timings[name].append((time.process_time() - start) * 1e6)
    us = {name: statistics.median(values) for name, values in timings.items()}
    return {"writes": WRITES, "us_per_plain_write": round(us["plain"], 1),
            "us_per_sealed_write": round(us["sealed"], 1),
            "sealed_write_vs_plain_write": round(us["sealed"] / us["plain"], 2),
            "us_per_plain_read": round(us["read_plain"], 1), "us_per_sealed_read": round(us["read_sealed"], 1),
            "sealed_read_vs_plain_read": round(us["read_sealed"] / us["read_plain"], 2),
            "sealed_read_of_another_process_row_vs_plain_read": round(
                us["read_sealed_elsewhere"] / us["read_plain"], 2),
            "new_subject_first_write_dynamodb_calls": _new_subject_calls()}


def _new_subject_calls() -> float:
    """DynamoDB calls to write a new customer (its record, its new shred key, its audit entry): one
    transaction, against a read and a conditional put of the key before the write until issue 24."""
    from bench.api_calls import counting_calls
    from chalicelib.services import customers
    from chalicelib.services.audit import handoff

    details = customers.CustomerDetails("Alice Zebrowski", "alice@example.org", "+15551234567")
    chaining = handoff.chain.build_after_commit
    handoff.chain.build_after_commit = lambda org_id: None  # chaining is counted elsewhere (hot_paths)
    try:
        customers.create_customer("org-bench", details, "bench")  # warm (the org key)
        with counting_calls() as calls:
            for _ in range(20):
                customers.create_customer("org-bench", details, "bench")
    finally:
        handoff.chain.build_after_commit = chaining
    return round(sum(n for name, n in calls.counts.items() if name.startswith("dynamodb:")) / 20, 2)


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
