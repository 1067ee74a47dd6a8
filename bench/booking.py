"""Booking and slot queries: AWS calls per operation (counts); p50/p95 in process, in all and of SafeSlot's
own code (time inside AWS calls taken out: moto's times are not DynamoDB's); concurrent bookings per second
over HTTP on the local stack against health checks per second."""

from __future__ import annotations

import collections
import itertools
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.timing import milliseconds, percentile
from infra.local_stack import mocked_stack

STAFF, EXISTING, QUERY_DAYS, BOOKINGS, QUERIES = 10, 500, 14, 40, 20
HTTP_BOOKINGS, HTTP_THREADS = 60, 20


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from chalicelib.models.counter import Counter
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings, queries

    clinic = _clinic()
    free = _fill(clinic, EXISTING)  # 500 bookings over the 14 days; returns the starts still free
    actor = bookings.Actor(clinic["org_id"], "customer", SYSTEM, is_staff=False)
    emails = itertools.count()

    def book_one() -> None:
        contact = customers.CustomerDetails("Bench Customer", f"c{next(emails)}@bench.example", notes=None)
        customer_id = customers.find_or_create(clinic["org_id"], contact, SYSTEM)
        start, staff_id = free.pop()
        bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, staff_id, "note"))

    first = clinic["first_day"]
    query = queries.SlotQuery(clinic["service_id"], first, first + timedelta(days=QUERY_DAYS - 1), "Europe/Paris")
    put_ms, _ = _timed(lambda: Counter(f"bench/{time.perf_counter_ns()}", ttl=0).save(), BOOKINGS)
    with counting_calls() as booking_calls:
        booking_ms, booking_own_ms = _timed(book_one, BOOKINGS)
    with counting_calls() as query_calls:
        query_ms, query_own_ms = _timed(lambda: queries.find_slots(clinic["org_id"], query), QUERIES)
    slots_found = len(queries.find_slots(clinic["org_id"], query))
    return {
        "setup": {"staff": STAFF, "existing_bookings": EXISTING, "query_days": QUERY_DAYS, "slots_found": slots_found},
        "aws_calls_per_booking": per_operation(booking_calls, BOOKINGS),
        **_summary("booking", booking_ms, booking_own_ms),
        "aws_calls_per_slots_query": per_operation(query_calls, QUERIES),
        **_summary("slots_query", query_ms, query_own_ms),
        "baseline_put_item_p50_ms": round(statistics.median(put_ms), 2),
        "booking_own_p50_vs_put_item": round(statistics.median(booking_own_ms) / statistics.median(put_ms), 1),
    }


def _timed(action: Any, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds per call in all, and outside AWS calls (SafeSlot's own code)."""
    total, own = [], []
    for _ in range(count):
        with counting_calls() as calls:
            [elapsed] = milliseconds(action, 1)
        total.append(elapsed)
        own.append(elapsed - calls.seconds * 1000)
    return total, own


def _summary(name: str, total: list[float], own: list[float]) -> dict[str, float]:
    return {f"{name}_p50_ms": round(statistics.median(total), 1), f"{name}_p95_ms": round(percentile(total, 0.95), 1),
            f"{name}_own_code_p50_ms": round(statistics.median(own), 1),
            f"{name}_own_code_p95_ms": round(percentile(own, 0.95), 1)}


def _clinic() -> dict[str, Any]:
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import catalog
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.organizations import create_org

    org = create_org("bench-booking", "Bench Clinic")
    owner = Principal(org.org_id, "bench", "owner", "bench", "full", SYSTEM)
    service = catalog.create_service(owner, {"name": "Visit", "duration_minutes": 30, "min_notice_minutes": 0,
                                             "buffer_after_minutes": 5})
    hours = {day: [{"start": "08:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    staff = [catalog.create_staff(owner, {"display_name": f"Staff {i}", "timezone": "UTC", "weekly_hours": hours,
                                          "service_ids": [service["id"]]})["id"] for i in range(STAFF)]
    first_day = datetime.now(UTC).date() + timedelta(days=2)
    return {"org_id": org.org_id, "service_id": service["id"], "staff": staff, "first_day": first_day}


def _fill(clinic: dict[str, Any], count: int) -> list[tuple[datetime, str]]:
    """Book `count` starts spread over the staff and days; returns the grid's other starts (to book next)."""
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings

    grid = [(start, staff_id) for start in _starts(clinic["first_day"]) for staff_id in clinic["staff"]]
    actor = bookings.Actor(clinic["org_id"], "bench", SYSTEM, is_staff=True)
    customer_id = customers.create_customer(clinic["org_id"], customers.CustomerDetails("Existing", "e@bench.example"),
                                            "bench")
    step = len(grid) // count
    for start, staff_id in grid[::step][:count]:
        bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, staff_id))
    taken = set(grid[::step][:count])
    return [slot for slot in grid if slot not in taken][::7]  # spread out: no two of them overlap


def _starts(first: date) -> list[datetime]:
    """Every 45-minute start (30 minutes and a 5-minute buffer fit) on the weekdays of the query window."""
    found = []
    for offset in range(QUERY_DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() < 5:
            opening = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
            found += [opening + timedelta(minutes=45 * i) for i in range(13)]
    return found


def measure_http() -> dict[str, Any]:
    """Concurrent bookings per second on the local stack (`chalice local` + moto's server)."""
    from scripts.run_local import spawn

    with tempfile.TemporaryDirectory() as local_dir:
        process, credentials = spawn(Path(local_dir), SAFESLOT_PUBLIC_WRITES_PER_IP="100000")
        try:
            return _http_load(credentials["api"])
        finally:
            process.terminate()
            process.wait(timeout=20)


def _http_load(api: str) -> dict[str, Any]:
    import json

    org = json.loads(urllib.request.urlopen(f"{api}/v1/public/orgs/demo", timeout=30).read())
    service = next(s for s in org["services"] if s["name"] == "Follow-up call")
    staff = [m["id"] for m in org["staff"] if service["id"] in m["service_ids"]]
    bodies = [{"service_id": service["id"], "staff_id": staff_id, "start": start,
               "customer": {"name": "Load Test", "email": f"load{i}@example.org"}}
              for i, (start, staff_id) in enumerate(_free_starts(api, service["id"], staff))][:HTTP_BOOKINGS]

    def post(body: dict[str, Any]) -> str:
        request = urllib.request.Request(f"{api}/v1/public/orgs/demo/bookings", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return str(response.status)
        except urllib.error.HTTPError as error:
            return f"{error.code} {json.loads(error.read())['error']['code']}"

    def health(_: int) -> str:
        with urllib.request.urlopen(f"{api}/v1/health", timeout=60) as response:
            return str(response.status)

    health_rate, _ = _rate(health, list(range(HTTP_BOOKINGS)))
    booking_rate, statuses = _rate(post, bodies)
    return {"bookings": len(bodies), "threads": HTTP_THREADS, "answers": dict(collections.Counter(statuses)),
            "bookings_per_second": round(booking_rate, 1), "baseline_health_per_second": round(health_rate, 1),
            "bookings_vs_health": round(booking_rate / health_rate, 3)}


def _free_starts(api: str, service_id: str, staff: list[str]) -> list[tuple[str, str]]:
    import json

    first = datetime.now(UTC).date() + timedelta(days=3)
    last = first + timedelta(days=20)
    found = []
    for staff_id in staff:
        url = (f"{api}/v1/public/orgs/demo/slots?service_id={service_id}&from={first}&to={last}&tz=UTC"
               f"&staff_id={staff_id}")
        found += [(s["start"], staff_id) for s in json.loads(urllib.request.urlopen(url, timeout=60).read())["slots"]]
    return found[::2]  # every other 15-minute start: none overlap


def _rate(call: Any, items: list[Any]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=HTTP_THREADS) as pool:
        statuses = list(pool.map(call, items))
    return len(items) / (time.perf_counter() - start), statuses
