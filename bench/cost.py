"""What each hot path costs, measured (issue 24, ADR 0019): DynamoDB calls and read/write units (bench/
capacity.py) per booking, slots query, login and staff calendar view, then dollars per million of each at
the list prices of bench/prices.py.

`SAFESLOT_BENCH_SCALE=1` (`make bench SCALE=1`) measures the same paths a second time, on an identical
clinic made after 999 other clinics (19,980 staff, 99,934 bookings) were loaded into the same tables in
batches: the calls and units must not move (`scale.unchanged`)."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.capacity import Usage, metering
from bench.prices import DYNAMODB_CALL_MS, PRICES, READ_ON, REGION, SQS_REQUESTS_PER_MAIL
from infra.local_stack import mocked_stack

STAFF, EXISTING, DAYS, REPEAT = 20, 60, 31, 5
PASSWORD = "violet-harbor-tundra-41"
SCALE_ORGS, SCALE_STAFF, SCALE_BOOKINGS = 1_000, 20_000, 100_000
LAMBDA_MEMORY_MB = json.loads((Path(__file__).resolve().parent.parent / ".chalice" / "config.json").read_text())[
    "lambda_memory_size"]


def measure() -> dict[str, Any]:
    """The small run; with SAFESLOT_BENCH_SCALE=1 also the scale run and whether anything moved."""
    with mocked_stack():
        small = _measured_clinic("cost-a")
        report: dict[str, Any] = {"setup": {"staff": STAFF, "bookings_in_clinic": EXISTING, "slots_days": DAYS,
                                            "repeats": REPEAT, "lambda_memory_mb": LAMBDA_MEMORY_MB},
                                  "per_operation": small, "usd_per_million": _dollars(small),
                                  "prices": {"read_on": READ_ON, "region": REGION,
                                             **{name: f"{p.usd} USD per {p.per:g} {p.unit}"
                                                for name, p in PRICES.items()}}}
        if os.environ.get("SAFESLOT_BENCH_SCALE") == "1":
            report["scale"] = _scale_run(small)
    return report


def _scale_run(small: dict[str, dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    measured_bookings = EXISTING + REPEAT + 1  # the clinic's own, the measured ones and the warm-up's
    loaded = load_other_clinics(SCALE_ORGS - 1, SCALE_STAFF // SCALE_ORGS, SCALE_BOOKINGS - measured_bookings)
    load_seconds = time.perf_counter() - started
    large = _measured_clinic("cost-b")
    counted = ("dynamodb_calls", "read_units", "write_units", "access")  # KMS calls follow the keys' age, not size
    moved = {name: {k: (small[name][k], large[name][k]) for k in counted if small[name][k] != large[name][k]}
             for name in small}
    return {"loaded": {**loaded, "orgs": loaded["orgs"] + 1, "staff": loaded["staff"] + STAFF,
                       "bookings": loaded["bookings"] + measured_bookings},
            "load_seconds": round(load_seconds, 1), "per_operation": large,
            "unchanged": not any(moved.values()), "moved": {k: v for k, v in moved.items() if v}}


# --- the measured clinic --------------------------------------------------------------------------------

def _measured_clinic(slug: str) -> dict[str, dict[str, Any]]:
    """A clinic of STAFF staff with EXISTING bookings over DAYS days, and each hot path measured on it."""
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM, Origin
    from chalicelib.services.booking import bookings, day_view, queries
    from chalicelib.services.identity.authentication import login

    clinic = _clinic(slug)
    org_id, service_id, first = clinic["org_id"], clinic["service_id"], clinic["first_day"]
    free = _fill(clinic)
    owner = clinic["owner"]
    team = queries.SlotQuery(service_id, first, first + timedelta(days=DAYS - 1), "Europe/Paris")
    one = queries.SlotQuery(service_id, first, first + timedelta(days=DAYS - 1), "Europe/Paris",
                            staff_id=clinic["staff"][0])
    origin = Origin("192.0.2.1", "bench")
    actor = bookings.Actor(org_id, "customer", SYSTEM, is_staff=False)
    emails = itertools.count()

    def book_one() -> None:
        contact = customers.CustomerDetails("Bench Customer", f"c{next(emails)}@bench.example", notes=None)
        customer_id = customers.find_or_create(org_id, contact, SYSTEM)
        start, staff_id = free.pop()
        bookings.book(actor, customer_id, bookings.NewBooking(service_id, start, staff_id, "note"))

    measured: dict[str, Callable[[], Any]] = {
        "slots_query_team_31_days": lambda: queries.find_slots(org_id, team),
        "slots_query_one_staff_31_days": lambda: queries.find_slots(org_id, one),
        "staff_calendar_day_view": lambda: day_view.day_view(owner, first),
        "staff_calendar_list_31_days": lambda: queries.staff_calendar(
            owner, datetime.combine(first, datetime.min.time(), UTC),
            datetime.combine(first + timedelta(days=DAYS), datetime.min.time(), UTC), None, None),
        "login": lambda: login(slug, f"owner@{slug}.example", PASSWORD, origin),
        "booking": book_one,
    }
    return {name: _measured(action) for name, action in measured.items()}


def _measured(action: Callable[[], Any]) -> dict[str, Any]:
    """REPEAT runs after one that warms caches and data keys as a warm Lambda has them (keys age in 60 s:
    warmed just before, not at the start)."""
    action()
    usages, own_ms = [], []
    for _ in range(REPEAT):
        with metering() as usage:
            start = time.perf_counter()
            action()
            elapsed = time.perf_counter() - start
        usages.append(usage)
        own_ms.append((elapsed - usage.seconds) * 1000)
    total = Usage()
    for usage in usages:
        total.calls.update(usage.calls)
        total.access.update(usage.access)
        total.read_units += usage.read_units
        total.write_units += usage.write_units
        total.reported_units += usage.reported_units
    return {**total.per(REPEAT), "own_code_p50_ms": round(statistics.median(own_ms), 1)}


def _dollars(measured: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """USD per million of each operation, by service, at the list prices."""
    return {name: _operation_dollars(figures) for name, figures in measured.items()}


def _operation_dollars(figures: dict[str, Any]) -> dict[str, float]:
    calls = figures["calls"]
    queued = calls.get("sqs:SendMessage", 0)  # each becomes one SES send in the queue's consumer
    mails = queued + sum(n for c, n in calls.items() if c.startswith("ses:Send"))
    seconds = (figures["own_code_p50_ms"] + figures["dynamodb_calls"] * DYNAMODB_CALL_MS) / 1000
    each = {
        "dynamodb": figures["read_units"] * PRICES["dynamodb_read_request_unit"].each
        + figures["write_units"] * PRICES["dynamodb_write_request_unit"].each,
        "kms": sum(n for c, n in calls.items() if c.startswith("kms:")) * PRICES["kms_request"].each,
        "lambda": PRICES["lambda_request"].each
        + seconds * LAMBDA_MEMORY_MB / 1024 * PRICES["lambda_gb_second"].each,
        "ses": mails * PRICES["ses_email"].each,
        "sqs": queued * SQS_REQUESTS_PER_MAIL * PRICES["sqs_request"].each,
        "api_gateway": PRICES["api_gateway_request"].each,
    }
    return {**{k: round(v * 1_000_000, 2) for k, v in each.items()}, "total": round(sum(each.values()) * 1_000_000, 2)}


def _clinic(slug: str) -> dict[str, Any]:
    from chalicelib.services.audit import SYSTEM, Origin
    from chalicelib.services.booking import catalog
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org(slug, "Bench Clinic")
    user = create_first_owner(org.org_id, f"owner@{slug}.example", "Owner")
    set_password_with_setup_token(user.setup_token, PASSWORD, Origin("192.0.2.1", "bench"))
    owner = Principal(org.org_id, user.user["id"], "owner", "bench", "full", SYSTEM)
    service = catalog.create_service(owner, {"name": "Visit", "duration_minutes": 30, "min_notice_minutes": 0,
                                             "buffer_after_minutes": 5})
    hours = {day: [{"start": "08:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    staff = [catalog.create_staff(owner, {"display_name": f"Staff {i:02d}", "timezone": "Europe/Paris",
                                          "weekly_hours": hours, "service_ids": [service["id"]]})["id"]
             for i in range(STAFF)]
    first_day = datetime.now(UTC).date() + timedelta(days=2)
    return {"org_id": org.org_id, "owner": owner, "service_id": service["id"], "staff": staff, "first_day": first_day}


def _fill(clinic: dict[str, Any]) -> list[tuple[datetime, str]]:
    """EXISTING bookings spread over the staff and days; returns other starts, none overlapping."""
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings

    grid = [(start, staff_id) for start in _starts(clinic["first_day"]) for staff_id in clinic["staff"]]
    actor = bookings.Actor(clinic["org_id"], "bench", SYSTEM, is_staff=True)
    customer_id = customers.create_customer(clinic["org_id"], customers.CustomerDetails("Existing", "e@bench.example"),
                                            "bench")
    step = len(grid) // EXISTING
    taken = grid[::step][:EXISTING]
    for start, staff_id in taken:
        bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, staff_id))
    kept = set(taken)
    return [slot for slot in grid if slot not in kept][::7]


def _starts(first: date) -> list[datetime]:
    found = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() < 5:
            opening = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
            found += [opening + timedelta(minutes=45 * i) for i in range(12)]
    return found


# --- the other clinics of the scale run ------------------------------------------------------------------

def load_other_clinics(orgs: int, staff_each: int, bookings: int) -> dict[str, int]:
    """`orgs` clinics with their staff, a service and `bookings` in all over the next month, written 25 items to a
    BatchWriteItem. Their bookings carry their granules but no lock items: every read measured here names
    one staff member's lock partition (or none), so the locks table's size enters none of them."""
    from chalicelib.models.booking import Booking
    from chalicelib.models.catalog import Service, StaffMember
    from chalicelib.models.organization import Organization, OrgSlug
    from chalicelib.services.booking.availability import busy_span
    from chalicelib.services.booking.timeline import granules

    now = datetime.now(UTC)
    hours = {day: [{"start": "08:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    sealed = os.urandom(600)  # never opened by the measured paths; the size of a sealed booking's envelope
    written = {"orgs": 0, "staff": 0, "bookings": 0}
    with Organization.batch_write() as orgs_out, OrgSlug.batch_write() as slugs_out, \
            Service.batch_write() as services_out, StaffMember.batch_write() as staff_out, \
            Booking.batch_write() as bookings_out:
        for n in range(orgs):
            org_id = f"scale{n:05d}{'0' * 22}"[:32]
            orgs_out.save(Organization(org_id, slug=f"scale-{n}", name=f"Clinic {n}", timezone="Europe/Paris",
                                       created_at=now))
            slugs_out.save(OrgSlug(f"scale-{n}", org_id=org_id))
            service = Service(org_id, "visit", name="Visit", duration_minutes=30, buffer_after_minutes=5,
                              created_at=now, updated_at=now)
            services_out.save(service)
            staff_ids = [f"s{n:05d}{i:03d}" for i in range(staff_each)]
            for staff_id in staff_ids:
                staff_out.save(StaffMember(org_id, staff_id, display_name=f"Staff {staff_id}",
                                           timezone="Europe/Paris", service_ids=["visit"], weekly_hours=hours,
                                           created_at=now, updated_at=now, version=1))
            bookings_each = bookings // orgs + (1 if n < bookings % orgs else 0)
            for i in range(bookings_each):
                start = (now + timedelta(days=2 + i % 28)).replace(hour=8 + i % 9, minute=0, second=0, microsecond=0)
                bookings_out.save(Booking(
                    org_id, f"b{n:05d}{i:06d}", service_id="visit", staff_id=staff_ids[i % staff_each],
                    customer_id=f"c{n:05d}{i:06d}", customer_key=f"{org_id}/c{n:05d}{i:06d}", starts_at=start,
                    ends_at=start + timedelta(minutes=30), granules=granules(busy_span(service, start)),
                    status="confirmed", sequence=0, created_at=now, updated_at=now, sealed=sealed))
            written["orgs"] += 1
            written["staff"] += staff_each
            written["bookings"] += bookings_each
    return written
