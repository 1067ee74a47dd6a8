"""The daily backup (point-in-time exports of every table), a restore and the restore drill for 30,000
items (24,000 bookings, 6,000 customers): time and bytes, against a plain scan of the
same tables in the same run (the least any backup must do), and the AWS calls each makes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api_calls import counting_calls, per_operation
from infra.local_stack import mocked_stack

BOOKINGS, CUSTOMERS = 24_000, 6_000


def measure() -> dict[str, Any]:
    with mocked_stack():
        from chalicelib.jobs import backup, restore, tables
        from chalicelib.jobs.runner import run_job

        _fill()
        start = time.perf_counter()
        scanned = sum(1 for model in tables.owned_tables().values() for _ in tables.scan(model.Meta.table_name))
        scan_seconds = time.perf_counter() - start
        with counting_calls() as backup_calls:
            backed_up = run_job("backup", backup.run_backup)
        with counting_calls() as drill_calls:
            drilled = run_job("restore_drill", restore.run_drill)
        run_id = backed_up.details["run_id"]
        restored = run_job("restore", lambda report: restore.run_restore(
            report, run_id, restore.Source.primary(), "bench-restored-"))
    assert backed_up.ok and drilled.ok and restored.ok, (backed_up.failures, drilled.failures, restored.failures)
    return {
        "bookings": BOOKINGS, "customers": CUSTOMERS, "items_in_all_tables": scanned,
        "backup_seconds": backed_up.details["seconds"],
        "export_bytes": backed_up.details["bytes"],
        "export_bytes_per_item": round(backed_up.details["bytes"] / scanned, 1),
        "drill_recovery_seconds": drilled.details["recovery_seconds"],
        "restore_seconds": restored.details["seconds"],
        "restore_invariants": restored.details["invariants"],
        "baseline_scan_seconds": round(scan_seconds, 3),
        "backup_vs_scan": round(backed_up.details["seconds"] / scan_seconds, 2),
        "drill_vs_scan": round(drilled.details["recovery_seconds"] / scan_seconds, 2),
        "aws_calls_per_backup": per_operation(backup_calls, 1),
        "kms_calls_per_drill": {k: v for k, v in per_operation(drill_calls, 1).items() if k.startswith("kms")},
    }


def _fill() -> None:
    """10,000 sealed bookings of 2,000 sealed customers, written in batches (not through `book`: the
    benchmark is of the backup, and moto's transactions would dominate the set-up)."""
    from chalicelib.models.booking import Booking
    from chalicelib.models.customer import Customer
    from chalicelib.services.customers import email_index

    org, first = "bench-org", datetime(2027, 1, 4, 9, tzinfo=UTC)
    customer_ids = [uuid.uuid4().hex for _ in range(CUSTOMERS)]
    with Customer.batch_write() as batch:
        for n, customer_id in enumerate(customer_ids):
            customer = Customer(org, customer_id, email_index=email_index(org, f"c{n}@bench.example"),
                                created_at=first)
            customer.seal({"name": f"Customer {n}", "email": f"c{n}@bench.example", "phone": "+14155550123"})
            batch.save(customer)
    with Booking.batch_write() as batch:
        for n in range(BOOKINGS):
            start = first + timedelta(minutes=30 * n)
            customer_id = customer_ids[n % CUSTOMERS]
            booking = Booking(org, uuid.uuid4().hex, service_id="svc", staff_id=f"staff{n % 10}",
                              customer_id=customer_id, customer_key=f"{org}/{customer_id}", starts_at=start,
                              ends_at=start + timedelta(minutes=30), granules=[], status="confirmed",
                              created_at=first, updated_at=first)
            booking.seal({"notes": f"Follow-up {n}: knee, left side"})
            batch.save(booking)
