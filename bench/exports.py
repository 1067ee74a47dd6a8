"""An org export of 10,000 bookings (the `org_exports` job's work): time, memory and archive size,
against a raw read of the same items measured in the same run (every customer and booking queried from
DynamoDB, nothing opened or written).

In-process moto answers faster than DynamoDB over the network: `aws_seconds` is the time spent inside
AWS calls, so that the part that scales with DynamoDB's latency can be told from SafeSlot's own work.
"""

from __future__ import annotations

import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api_calls import counting_calls
from infra.local_stack import mocked_stack

BOOKINGS = 10_000
CUSTOMERS = 2_000
API_GATEWAY_SECONDS = 29


def measure() -> dict[str, Any]:
    with mocked_stack():
        org_id, staff_ids, service_id = _clinic()
        _seed(org_id, staff_ids, service_id)
        baseline = _timed(lambda: _raw_read(org_id))
        with counting_calls() as calls:
            export_seconds, made = _timed_export(org_id)
        peak_bytes = _peak_memory(org_id)
        return {
            "bookings": BOOKINGS, "customers": CUSTOMERS,
            "raw_read_seconds": round(baseline, 3),
            "export_seconds": round(export_seconds, 3),
            "export_to_raw_read_ratio": round(export_seconds / baseline, 2),
            "aws_seconds_in_export": round(calls.seconds, 3),
            "kms_calls": sum(n for name, n in calls.counts.items() if name.startswith("kms:")),
            "dynamodb_calls": sum(n for name, n in calls.counts.items() if name.startswith("dynamodb:")),
            "archive_bytes": made["archive_bytes"],
            "archive_bytes_per_booking": round(made["archive_bytes"] / BOOKINGS, 1),
            "zip_to_archive_ratio": round(made["archive_bytes"] / made["zip_bytes"], 4),
            "python_peak_memory_mib": round(peak_bytes / 2**20, 1),
            "share_of_api_gateway_limit": round(export_seconds / API_GATEWAY_SECONDS, 3),
        }


def _clinic() -> tuple[str, list[str], str]:
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import catalog
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org("bench-export", "Bench Export Clinic", "Europe/London")
    owner = create_first_owner(org.org_id, "owner@bench-export.example", "Olive Owner")
    acting = Principal(org.org_id, owner.user["id"], "owner", "bench", "full", SYSTEM)
    service = catalog.create_service(acting, {"name": "Consultation", "duration_minutes": 30})
    hours = {day: [{"start": "08:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    staff = [catalog.create_staff(acting, {"display_name": f"Dr {n}", "timezone": "Europe/London",
                                           "service_ids": [service["id"]], "weekly_hours": hours})["id"]
             for n in range(5)]
    return org.org_id, staff, service["id"]


def _seed(org_id: str, staff_ids: list[str], service_id: str) -> None:
    """Customers and bookings written as the booking service leaves them: sealed, one row each."""
    from chalicelib.models.booking import Booking
    from chalicelib.models.customer import Customer
    from chalicelib.services.customers import email_index

    now = datetime.now(UTC).replace(microsecond=0)
    customer_ids = [uuid.uuid4().hex for _ in range(CUSTOMERS)]
    with Customer.batch_write() as batch:
        for n, customer_id in enumerate(customer_ids):
            customer = Customer(org_id, customer_id, email_index=email_index(org_id, f"p{n}@bench.example"),
                                created_at=now)
            customer.seal({"name": f"Patient {n}", "email": f"p{n}@bench.example", "phone": "+14155550123",
                           "notes": "Prefers mornings; allergic to latex. " * 3})
            batch.save(customer)
    with Booking.batch_write() as batch:
        for n in range(BOOKINGS):
            booking = _booking(org_id, staff_ids[n % len(staff_ids)], service_id, customer_ids[n % CUSTOMERS],
                               now + timedelta(minutes=30 * n), now)
            batch.save(booking)


def _booking(org_id: str, staff_id: str, service_id: str, customer_id: str, start: datetime,
             now: datetime) -> Any:
    from chalicelib.models.booking import Booking

    booking = Booking(org_id, uuid.uuid4().hex, service_id=service_id, staff_id=staff_id, customer_id=customer_id,
                      customer_key=f"{org_id}/{customer_id}", starts_at=start, ends_at=start + timedelta(minutes=30),
                      granules=[], status="confirmed", sequence=0, locale="en", created_at=now, updated_at=now)
    booking.seal({"notes": "Follow-up after the first visit."})
    return booking


def _raw_read(org_id: str) -> int:
    from chalicelib.models.booking import Booking
    from chalicelib.models.customer import Customer

    return sum(1 for _ in Booking.query(org_id)) + sum(1 for _ in Customer.query(org_id))


def _timed(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _timed_export(org_id: str) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    made = _export(org_id)
    return time.perf_counter() - start, made


def _export(org_id: str) -> dict[str, int]:
    """What the `org_exports` job does for one queued export: build, encrypt, store, audit, tell the owners."""
    import boto3

    from chalicelib import clock
    from chalicelib.config import settings
    from chalicelib.models.user import User
    from chalicelib.services.exports import archive, org_export, storage

    owner = next(iter(User.query(org_id)))
    key = archive.new_key()
    queued = storage.ExportRecord(uuid.uuid4().hex, org_id, storage.QUEUED, clock.isoformat(clock.now()),
                                  owner.user_id, archive.recipient_of(key), "192.0.2.1")
    storage.save(queued)
    ready = org_export.produce(queued)
    assert ready is not None
    sealed = boto3.client("s3").get_object(Bucket=settings().export_bucket,
                                           Key=storage.archive_key(org_id, ready.export_id))["Body"].read()
    assert ready.counts["bookings.json"] == BOOKINGS
    return {"archive_bytes": len(sealed), "zip_bytes": len(archive.open_sealed(sealed, key))}


def _peak_memory(org_id: str) -> int:
    """Peak Python memory of one export (a separate run: tracing slows it down)."""
    tracemalloc.start()
    try:
        _export(org_id)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
