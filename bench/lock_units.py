"""What a one-hour public booking writes (issue 24 item 2, ADR 0002): its slot-lock items and their write
units, and the write units of the whole request by table, measured with bench/capacity.py's meter
(DynamoDB's published sizing rules: moto reports no units for transactions).

Two starts: on the hour (the busy span inside one staff-hour lock item) and at half past (two items).
The figures of the per-granule scheme this replaced (one item per 5-minute granule), measured with this
module on the commit before the change, are kept in `BEFORE` so that each run prints both."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api_calls import on_a_stack_taking_any_public_writes
from bench.capacity import metering
from bench.hot_paths import hour_clinic

REPEAT = 4
LOCKS = "slot_locks"
# Measured by this module on the per-granule scheme (main before lane3-granules), public booking, new customer.
BEFORE = {"on_the_hour": {"lock_items": 12, "lock_write_units": 24.0, "booking_write_units": 49.0},
          "half_past": {"lock_items": 12, "lock_write_units": 24.0, "booking_write_units": 49.0}}


def measure() -> dict[str, Any]:
    return on_a_stack_taking_any_public_writes(_measure)  # one source address makes every request here


def _measure() -> dict[str, Any]:
    from chalice.test import Client

    from app import app

    clinic = hour_clinic("locks")
    slug, service_id = clinic["slug"], clinic["service_id"]
    day = datetime.now(UTC).date() + timedelta(days=3)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    starts = {"on_the_hour": [datetime.combine(day + timedelta(days=7 * i), datetime.min.time(), UTC)
                              + timedelta(hours=10) for i in range(REPEAT + 1)],
              "half_past": [datetime.combine(day + timedelta(days=7 * i), datetime.min.time(), UTC)
                            + timedelta(hours=13, minutes=30) for i in range(REPEAT + 1)]}
    report: dict[str, Any] = {"repeats": REPEAT}
    with Client(app, stage_name="test") as client:
        for name, wanted in starts.items():
            _book(client, slug, service_id, wanted.pop(), f"warm-{name}")  # warm clients, keys, caches
            by_table: dict[str, float] = {}
            total, lock_items = 0.0, 0
            for i, start in enumerate(wanted):
                with metering() as usage:
                    _book(client, slug, service_id, start, f"{name}-{i}")
                total += usage.write_units
                for table, units in usage.write_units_by_table.items():
                    by_table[table] = by_table.get(table, 0.0) + units
                lock_items += sum(n for access, n in usage.access.items() if access.endswith(f" {LOCKS}")
                                  and access.startswith("TransactWriteItems"))
            report[name] = {"lock_items": lock_items / REPEAT,
                            "lock_write_units": round(by_table.get(LOCKS, 0.0) / REPEAT, 2),
                            "booking_write_units": round(total / REPEAT, 2),
                            "write_units_by_table": {t: round(u / REPEAT, 2) for t, u in sorted(by_table.items())},
                            "before": BEFORE[name]}
    return report


def _book(client: Any, slug: str, service_id: str, start: datetime, who: str) -> None:
    body = {"service_id": service_id, "start": start.isoformat(),
            "customer": {"name": "Bench Patient", "email": f"{who}@bench.example"}}
    answer = client.http.post(f"/v1/public/orgs/{slug}/bookings", headers={"Content-Type": "application/json"},
                              body=json.dumps(body))
    assert answer.status_code == 201, answer.body
