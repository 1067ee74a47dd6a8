"""The front desk's console, as AWS calls (counts) and time: the week of a whole clinic (10 staff members,
500 bookings of 500 patients) in one call, against reading the same bookings without names; and the
calls per patient search (by name words, phone, date of birth, e-mail) in a clinic of 500 patients."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.api_calls import counting_calls, per_operation
from infra.local_stack import mocked_stack

STAFF = 10
BOOKINGS = 500
ROUNDS = 3
FIRST_NAMES = ("José", "Maria", "Ana", "Luis", "Chen", "Fatima", "Olu", "Sven", "Priya", "Noah")


def measure() -> dict[str, Any]:
    with mocked_stack():
        from chalicelib.services.audit import SYSTEM
        from chalicelib.services.identity.sessions import Principal
        from chalicelib.services.organizations import create_org

        org = create_org("bench-desk", "Bench Clinic", timezone="America/New_York", actor="bench")
        owner = Principal(org.org_id, "bench-owner", "owner", "bench", "full", SYSTEM)
        monday = _fill(owner)
        return {"week_of_the_whole_clinic": _week(owner, monday), "search": _searches(owner),
                "setup": {"staff": STAFF, "bookings": BOOKINGS, "patients": BOOKINGS}}


def _fill(owner: Any) -> date:
    """10 staff members, 500 patients (name, phone, date of birth, e-mail), one booking each in one week."""
    from chalicelib.models.booking import Booking
    from chalicelib.services import customers
    from chalicelib.services.booking import catalog

    service = catalog.create_service(owner, {"name": "Consultation", "duration_minutes": 30})
    staff = [catalog.create_staff(owner, {"display_name": f"Dr {i}", "timezone": "America/New_York",
                                          "service_ids": [service["id"]]})["id"] for i in range(STAFF)]
    today = datetime.now(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=13)
    with Booking.batch_write() as batch:
        for i in range(BOOKINGS):
            birth = f"19{50 + i % 50}-01-{1 + i % 28:02d}"
            details = customers.CustomerDetails(f"{FIRST_NAMES[i % 10]} Patient{i}", f"p{i}@bench.example",
                                                f"+1415555{i:04d}", date_of_birth=birth)
            customer_id = customers.create_customer(owner.org_id, details, "bench", audited=False)
            at = start + timedelta(days=(i // 100) % 5, minutes=30 * ((i // STAFF) % 10))
            now = datetime.now(UTC)
            booking = Booking(owner.org_id, uuid.uuid4().hex, service_id=service["id"], staff_id=staff[i % STAFF],
                              customer_id=customer_id, customer_key=f"{owner.org_id}/{customer_id}", starts_at=at,
                              ends_at=at + timedelta(minutes=30), granules=[], status="confirmed", sequence=0,
                              created_at=now, updated_at=now)
            booking.seal({})
            batch.save(booking)
    return monday


def _week(owner: Any, monday: date) -> dict[str, Any]:
    from chalicelib.models.booking import Booking
    from chalicelib.services.booking.week_view import week_view

    week_view(owner, monday)  # warm: the data key cache, the derived keys
    with counting_calls() as calls:
        seconds = _best(lambda: week_view(owner, monday))
    shown = week_view(owner, monday)
    until = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    since = datetime.combine(monday, datetime.min.time(), tzinfo=UTC)
    baseline = _best(lambda: list(Booking.by_start.query(owner.org_id, Booking.starts_at.between(since, until))))
    return {"rows": len(shown["bookings"]), "aws_calls_per_view": per_operation(calls, ROUNDS),
            "ms_per_view": round(seconds * 1000, 1),
            "ms_reading_the_bookings_without_names": round(baseline * 1000, 1),
            "ratio_to_reading_without_names": round(seconds / baseline, 2)}


def _searches(owner: Any) -> dict[str, Any]:
    from chalicelib.services.customers import staff_search

    found: dict[str, Any] = {}
    for kind, terms in (("name_words", {"query": "JOSE patient10"}), ("phone", {"query": "(415) 555-0042"}),
                        ("date_of_birth", {"query": "1957-01-08"}), ("email", {"query": "P42@Bench.example"})):
        staff_search(owner, terms)
        with counting_calls() as calls:
            seconds = _best(lambda terms=terms: staff_search(owner, terms))
        found[kind] = {"matches": len(staff_search(owner, terms)),
                       "aws_calls_per_search": per_operation(calls, ROUNDS), "ms_per_search": round(seconds * 1000, 1)}
    return found


def _best(work: Any) -> float:
    """The best of ROUNDS runs, in seconds (the calls of every run are counted by the caller)."""
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - began)
    return best
