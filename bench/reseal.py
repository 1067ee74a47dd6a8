"""Cost of `manage.py reseal` (jobs/reseal.py): AWS calls per 1,000 rows sealed before crypto-shredding, and
per 1,000 rows that are current already (the run that finds nothing to do), in one fresh process each."""

from __future__ import annotations

from typing import Any

from bench.api_calls import counting_calls
from bench.shredding import FIELDS, AwsCallCounter
from chalicelib import clock
from chalicelib.crypto import envelope
from infra.local_stack import mocked_stack

ROWS = 1000


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from chalicelib.jobs.reseal import run_reseal
    from chalicelib.jobs.runner import JobReport
    from chalicelib.models.customer import Customer

    sealer = envelope.sealer()
    for i in range(ROWS):
        row = Customer("org-bench", f"c{i}", email_index=f"x{i}", created_at=clock.now())
        row.sealed = sealer.seal(FIELDS, row._seal_context(), row.row_key())  # as before crypto-shredding
        row.save()
    return {"rows": ROWS, "legacy_rows": _per_1000(lambda: run_reseal(JobReport("reseal"))),
            "current_rows": _per_1000(lambda: run_reseal(JobReport("reseal")))}


def _per_1000(run: Any) -> dict[str, float]:
    with AwsCallCounter(), counting_calls() as log:
        run()
    return {call: count * 1000 / ROWS for call, count in sorted(log.counts.items())}
