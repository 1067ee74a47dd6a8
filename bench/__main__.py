"""`make bench`: one JSON document of measured costs, each a ratio or a count against a baseline.

Counts (KMS calls per operation) do not drift between machines; times are given with a baseline
measured in the same run so that their ratio means something on any machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
    SAFESLOT_STAGE="test", SAFESLOT_TABLE_PREFIX="safeslot-bench-",
    POWERTOOLS_LOG_LEVEL="ERROR",  # stdout carries the JSON report and nothing else
)
for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[name]


def main() -> None:
    from bench import (
        audit,
        backups,
        booking,
        burst,
        cold_start,
        cost,
        desk,
        envelope,
        erasure,
        exports,
        hot_paths,
        local_aws,
        lock_units,
        login,
        mail_queue,
        notices,
        reseal,
        self_service,
        shredding,
        transparency,
        weekly,
    )
    from scripts.local_aws import make_dynamodb_atomic

    make_dynamodb_atomic()  # in-process moto as the local stack serves it: no table copies per transaction

    measures = {
        "envelope": envelope.measure,
        "shredding": shredding.measure,
        "login": login.measure,
        "booking": booking.measure,
        "booking_over_http": booking.measure_http,
        "local_aws_memory": local_aws.measure,
        "notices": notices.measure,
        "backups": backups.measure,
        "audit": audit.measure,
        "cold_start": cold_start.measure,
        "transparency": transparency.measure,
        "erasure": erasure.measure,
        "self_service": self_service.measure,
        "org_export": exports.measure,
        "reseal": reseal.measure,
        "contended_burst": burst.measure,  # issue 23: p50/p95 of the burst, outbox delay to the chain
        "email_routes_and_mail_queue": mail_queue.measure,
        "cost_model": cost.measure,  # issue 24: units per hot path, USD per million; SCALE=1: the scale run
        "hot_paths": hot_paths.measure,  # issue 24: calls per booking, reschedule, cancel, login, staff request
        "front_desk_console": desk.measure,  # issue 25: a week of the whole clinic, calls per patient search
        "weekly_tools": weekly.measure,  # issue 29: backfill, webhooks, calendar feeds, intake
        "lock_units": lock_units.measure,  # issue 24 item 2: lock items and write units of a one-hour booking
    }
    report = {}
    for name, measure in measures.items():
        with contextlib.redirect_stdout(sys.stderr):  # jobs print EMF metrics; stdout is for the report
            report[name] = measure()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
