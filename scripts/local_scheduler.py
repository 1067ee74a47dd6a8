"""`make run`'s EventBridge: every `@app.schedule` function of app.py, called on its own schedule.

The same functions the deployed rules invoke (by their handler, with a scheduled event), so what waits
in an outbox, expires or is due happens locally as it would deployed: the audit chain sweep and the
export builds every minute, reminders every 15 minutes, the daily jobs at their UTC times. Each job runs
in its own thread; a job still running when it is due again is not started twice (a Lambda would be,
but the jobs take leases for that: locally one at a time is simpler to read in the log).

    python scripts/local_scheduler.py    (run_local.py starts it; its output goes to .local/scheduler.log)
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # EventBridge numbers Sunday 1
_MONTHS = {name: n for n, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


@dataclass
class Scheduled:
    """One scheduled function: its rule name, its expression (`rate(...)` or `cron(...)`) and its handler."""

    name: str
    expression: str
    handler: Callable[[dict[str, Any], Any], Any]
    running: threading.Lock = field(default_factory=threading.Lock)

    def due(self, minute: datetime, started: datetime) -> bool:
        """Whether the rule fires at `minute` (UTC, whole minutes); a rate fires every period after `started`."""
        rate = _RATE.fullmatch(self.expression)
        if rate:
            period = int(rate[1]) * _UNIT_MINUTES[rate[2]]
            elapsed = int((minute - started).total_seconds() // 60)
            return elapsed > 0 and elapsed % period == 0
        return cron_matches(self.expression, minute)


def scheduled_functions() -> list[Scheduled]:
    """Every `@app.schedule` function of app.py, with the handler EventBridge would invoke."""
    sys.path.insert(0, str(ROOT))
    from chalice.app import ScheduledEventConfig

    from app import app

    found = []
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            module, name = source.handler_string.rsplit(".", 1)
            expression = source.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            found.append(Scheduled(source.name, text, getattr(importlib.import_module(module), name)))
    return found


def cron_matches(expression: str, minute: datetime) -> bool:
    """Whether an EventBridge `cron(min hour day-of-month month day-of-week year)` fires at `minute` (UTC)."""
    fields = expression.removeprefix("cron(").removesuffix(")").split()
    minutes, hours, days, months, weekdays, years = fields
    weekday = (minute.isoweekday() % 7) + 1  # Sunday 1 ... Saturday 7
    return (_field(minutes, minute.minute) and _field(hours, minute.hour) and _field(days, minute.day)
            and _field(months, minute.month, _MONTHS) and _field(weekdays, weekday, _DAYS)
            and _field(years, minute.year))


def _field(spec: str, value: int, names: dict[str, int] | None = None) -> bool:
    if spec in ("*", "?"):
        return True
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            low, high = 0, 10_000
        elif "-" in part:
            low, high = (_number(p, names) for p in part.split("-", 1))
        else:
            low = high = _number(part, names)
            if step > 1:
                high = 10_000
        if low <= value <= high and (value - low) % step == 0:
            return True
    return False


def _number(text: str, names: dict[str, int] | None) -> int:
    return (names or {}).get(text.upper(), 0) or int(text)


def run_due(jobs: list[Scheduled], minute: datetime, started: datetime, wait: bool = False) -> list[str]:
    """Start every job due at `minute` (each in its own thread, one run of a job at a time); their names."""
    threads, started_names = [], []
    for job in jobs:
        if job.due(minute, started) and job.running.acquire(blocking=False):
            thread = threading.Thread(target=_run, args=(job, minute), name=job.name, daemon=True)
            thread.start()
            threads.append(thread)
            started_names.append(job.name)
    if wait:
        for thread in threads:
            thread.join()
    return started_names


def _event(job: Scheduled, minute: datetime) -> dict[str, Any]:
    """The scheduled event EventBridge sends."""
    return {"version": "0", "id": f"local-{job.name}-{int(minute.timestamp())}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000", "time": minute.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{job.name}"],
            "detail": {}}


def _run(job: Scheduled, minute: datetime) -> None:
    try:
        report = job.handler(_event(job, minute), None)
        print(json.dumps({"scheduled": job.name, "at": minute.isoformat(), "report": report}, default=str),
              flush=True)
    except Exception as error:  # a job reports its own failures; this is the scheduler's
        print(json.dumps({"scheduled": job.name, "at": minute.isoformat(), "error": type(error).__name__}),
              flush=True)
    finally:
        job.running.release()


def main() -> None:
    jobs = scheduled_functions()
    started = _whole_minute(datetime.now(UTC))
    print(json.dumps({"scheduler": "started", "jobs": {job.name: job.expression for job in jobs}}), flush=True)
    minute = started
    while True:
        minute += timedelta(minutes=1)
        time.sleep(max(0.0, (minute - datetime.now(UTC)).total_seconds()))
        run_due(jobs, minute, started)


def _whole_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


if __name__ == "__main__":
    main()
