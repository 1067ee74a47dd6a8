"""Cost of crypto-shredding (ADR 0010): KMS and DynamoDB calls per 1,000 sealed rows and opens, and the time of
a shredded seal/open against the envelope alone, measured in the same run."""

from __future__ import annotations

from collections import Counter
from typing import Any

import botocore.session
import pynamodb.connection.base

from bench.timing import microseconds_per_call
from chalicelib import aws, clock
from chalicelib.crypto import envelope, shred_keys
from chalicelib.models.base import reset_connections
from infra.local_stack import mocked_stack

OPERATIONS = 1000
FIELDS = {"name": "Alice Zebrowski", "email": "alice@example.org", "phone": "+15551234567",
          "notes": "Prefers afternoons. " * 10}


class AwsCallCounter:
    """Counts every call SafeSlot's botocore sessions make, per service (the Sealer's KMS, PynamoDB)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._make_session = aws.botocore_session

    def __enter__(self) -> AwsCallCounter:
        aws.botocore_session = pynamodb.connection.base.get_session = self._session
        self._fresh_process()
        return self

    def __exit__(self, *_exc: object) -> None:
        aws.botocore_session = pynamodb.connection.base.get_session = self._make_session
        self._fresh_process()

    def _session(self) -> botocore.session.Session:
        session = self._make_session()
        session.register("before-call", self._count)
        return session

    def _count(self, model: Any, **_kwargs: Any) -> None:
        self.calls[model.service_model.service_name] += 1

    @staticmethod
    def _fresh_process() -> None:
        """Forget what a new Lambda container would not have: sealers, unwrapped keys, connections."""
        envelope.reset_sealers()
        shred_keys.reset_cache()
        reset_connections()


def _rows(org_id: str, under_org_key: bool = False) -> list[Any]:
    from chalicelib.models.customer import Customer

    class OrgRow(Customer):
        """A row under the org's own key, as users and second factors are."""

        def shred_subject(self) -> str:
            return shred_keys.ORG

    model = OrgRow if under_org_key else Customer
    return [model(org_id, f"c{i}", email_index="x", created_at=clock.now()) for i in range(OPERATIONS)]


def _counted(action: Any) -> dict[str, float]:
    """KMS and DynamoDB calls per 1,000 of `action(i)`, run in a fresh process."""
    with AwsCallCounter() as counter:
        for i in range(OPERATIONS):
            action(i)
    return {f"{service}_calls_per_1000": calls * 1000 / OPERATIONS for service, calls in sorted(counter.calls.items())}


def _times(rows: list[Any]) -> dict[str, float]:
    """Microseconds per seal and open, shredded (keys warm) and through the envelope alone."""
    sealer = envelope.sealer()
    blobs = [sealer.seal(FIELDS, row._seal_context(), row.row_key()) for row in rows[:10]]  # warm both paths
    for row in rows:
        row.unseal()  # every subject key unwrapped and cached, as in a busy container
    envelope_seal = microseconds_per_call(
        lambda i: blobs.append(sealer.seal(FIELDS, rows[i]._seal_context(), rows[i].row_key())), OPERATIONS)
    envelope_open = microseconds_per_call(
        lambda i: sealer.open(blobs[10 + i], rows[i]._seal_context(), rows[i].row_key()), OPERATIONS)
    shredded_seal = microseconds_per_call(lambda i: rows[i].seal(FIELDS), OPERATIONS)
    shredded_open = microseconds_per_call(lambda i: rows[i].unseal(), OPERATIONS)
    return {
        "us_per_envelope_seal": round(envelope_seal, 1), "us_per_shredded_seal": round(shredded_seal, 1),
        "us_per_envelope_open": round(envelope_open, 1), "us_per_shredded_open": round(shredded_open, 1),
        "shredded_seal_vs_envelope_seal": round(shredded_seal / envelope_seal, 2),
        "shredded_open_vs_envelope_open": round(shredded_open / envelope_open, 2),
    }


def measure() -> dict[str, Any]:
    with mocked_stack():
        people = _rows("org-bench-people")  # 1,000 customers: 1,000 subject keys made on first use
        first_seals = _counted(lambda i: people[i].seal(FIELDS))
        opens = _counted(lambda i: people[i].unseal())
        org_rows = _rows("org-bench-org", under_org_key=True)
        org_seals = _counted(lambda i: org_rows[i].seal(FIELDS))
        times = _times(people)
    return {
        "operations": OPERATIONS,
        "first_seals_of_1000_customers": first_seals,
        "opens_of_1000_customers_in_a_fresh_process": opens,
        "seals_of_1000_org_rows": org_seals,
        "warm": times,
    }
