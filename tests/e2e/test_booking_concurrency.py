"""Double booking is impossible under concurrent HTTP requests against the local stack (decision 4)."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.e2e.conftest import book_and_confirm, request

pytestmark = pytest.mark.e2e
CALLERS = 50
_emails = itertools.count()


@pytest.fixture(scope="module")
def demo(stack):
    """The demo org's API, consultation service and New York doctor (weekdays 09:00-12:00, 13:00-17:00)."""
    credentials, _ = stack
    api = credentials["api"]
    _, org = request("GET", f"{api}/v1/public/orgs/demo")
    service = next(s for s in org["services"] if s["name"] == "Consultation")
    doctor = next(m for m in org["staff"] if m["timezone"] == "America/New_York")
    return api, service["id"], doctor["id"]


def weekday(offset_weeks: int) -> date:
    day = datetime.now(UTC).date() + timedelta(days=3 + 7 * offset_weeks)
    while day.weekday() != 2:  # a Wednesday
        day += timedelta(days=1)
    return day


def new_york(day: date, hhmm: str) -> str:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), ZoneInfo("America/New_York")).isoformat()


def booking(demo, start: str) -> dict:
    _, service_id, doctor_id = demo
    return {"service_id": service_id, "staff_id": doctor_id, "start": start,
            "customer": {"name": "Concurrent Carla", "email": f"carla{next(_emails)}@example.org"}}


def race(calls) -> Counter:
    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        return Counter(status for status, _ in pool.map(retried, calls))


def retried(call, attempts: int = 3) -> tuple[int, dict]:
    """A caller that retries an honest 503 as told. Local-stack limit: moto serves every DynamoDB call under
    one lock, so a 50-request burst on a loaded 2-core CI worker can outlast the API's 3 s per-call timeout.
    Only storage_unavailable or encryption_unavailable (both: nothing changed) may come back, and the slot
    still has one winner."""
    for _ in range(attempts):
        status, answer = call()
        if status != 503:
            return status, answer
        assert answer["error"]["code"] in {"storage_unavailable", "encryption_unavailable"}, answer
        time.sleep(1.0)
    return status, answer


def test_fifty_requests_for_one_slot_make_exactly_one_booking(demo):
    api = demo[0]
    start = new_york(weekday(1), "10:00")
    bodies = [booking(demo, start) for _ in range(CALLERS)]  # fifty patients: one address's own limit is 3 an hour

    outcome = race([lambda b=body: request("POST", f"{api}/v1/public/orgs/demo/bookings", b) for body in bodies])

    assert outcome == Counter({202: 1, 409: CALLERS - 1})  # one pending hold: it blocks the slot


def test_overlapping_unequal_slots_make_exactly_one_booking(demo):
    api, day = demo[0], weekday(2)
    bodies = [booking(demo, new_york(day, hhmm)) for hhmm in ("10:00", "10:15") * (CALLERS // 2)]

    outcome = race([lambda b=b: request("POST", f"{api}/v1/public/orgs/demo/bookings", b) for b in bodies])

    assert outcome == Counter({202: 1, 409: CALLERS - 1})  # one pending hold: it blocks the slot


def test_concurrent_reschedules_into_one_slot_move_exactly_one_booking(demo, stack):
    api, day = demo[0], weekday(3)
    # eight bookings on the doctor's grid that day (30 minutes and a 10-minute buffer), then all move to 16:00
    grid = [new_york(day, hhmm) for hhmm in ("09:00", "09:45", "10:30", "11:15", "13:00", "13:45",
                                             "14:30", "15:15")]
    links = []
    for start in grid:
        status, answer = book_and_confirm(stack[0], booking(demo, start))
        assert status == 200, answer
        links.append((answer["booking"]["id"], answer["manage_url"].split("#", 1)[1]))
    target = {"start": new_york(day, "16:00")}

    outcome = race([lambda b=b, t=t: request("POST", f"{api}/v1/public/bookings/{b}/reschedule", target,
                                             **{"X-Manage-Token": t}) for b, t in links])

    assert outcome == Counter({200: 1, 409: len(links) - 1})
