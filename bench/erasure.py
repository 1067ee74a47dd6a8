"""Erasing a patient with 50 bookings: time as a ratio to reading those 50 bookings (the baseline, in the
same run), and the AWS calls it makes (counts by service and operation, through a botocore hook)."""

from __future__ import annotations

import functools
import statistics
from typing import Any

from bench.api_calls import counting_calls
from bench.timing import milliseconds
from infra.local_stack import mocked_stack

PATIENTS, BOOKINGS_EACH = 3, 50


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from bench.booking import _clinic, _starts
    from chalicelib.models.booking import Booking
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings
    from chalicelib.services.erasure.customers import erase_customer

    clinic = _clinic()
    actor = bookings.Actor(clinic["org_id"], "bench", SYSTEM, is_staff=True)
    grid = iter([(start, staff) for start in _starts(clinic["first_day"]) for staff in clinic["staff"]])
    patients = []
    for index in range(PATIENTS):
        details = customers.CustomerDetails(f"Patient {index}", f"p{index}@bench.example", "+14155550100", "notes")
        customer_id = customers.create_customer(clinic["org_id"], details, "bench")
        for _ in range(BOOKINGS_EACH):
            start, staff_id = next(grid)
            bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, staff_id, "a note"))
        patients.append(customer_id)

    def read_bookings(customer_id: str) -> None:
        for booking in Booking.by_customer.query(f"{clinic['org_id']}/{customer_id}"):
            booking.unseal()

    def erase(customer_id: str) -> None:
        erase_customer(clinic["org_id"], customer_id, "bench", SYSTEM, "patient_request")

    baseline_ms: list[float] = []
    erasure_ms: list[float] = []
    calls = []
    for customer_id in patients:
        baseline_ms += milliseconds(functools.partial(read_bookings, customer_id), 1)
        with counting_calls() as log:
            erasure_ms += milliseconds(functools.partial(erase, customer_id), 1)
        calls.append(log.counts)
    counts = calls[-1]
    return {
        "setup": {"bookings_per_patient": BOOKINGS_EACH, "patients": PATIENTS},
        "erasure_p50_ms": round(statistics.median(erasure_ms), 1),
        "read_50_bookings_p50_ms": round(statistics.median(baseline_ms), 1),
        "erasure_vs_reading_the_bookings": round(statistics.median(erasure_ms) / statistics.median(baseline_ms), 1),
        "dynamodb_calls_per_erasure": sum(n for name, n in counts.items() if name.startswith("dynamodb:")),
        "kms_calls_per_erasure": sum(n for name, n in counts.items() if name.startswith("kms:")),
        "s3_calls_per_erasure": sum(n for name, n in counts.items() if name.startswith("s3:")),
        "calls_per_erasure": dict(sorted(counts.items())),
    }
