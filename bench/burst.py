"""The contended burst of issue 23 on the local stack (`make run`'s processes, scheduler included): 100
callers x 2 public bookings aimed at 12 contested times of one doctor, each answer's status and time
(p50/p95/max), and how long an audit entry waits in the outbox before the chain has it (nobody runs
manage.py: the local scheduler's minutely sweep and each request's own chaining do it).

The same burst on another day goes first (`first_burst_after_start`): a cold `chalice local` builds every
request thread's clients at once in one process, which a Lambda fleet does per container; the judged burst
(tests/e2e/test_contended_burst.py: every answer 202 or 409, none over 5 s) meets a warm API.

`cpu_ms_per_request` is the CPU (user + system, from /proc/<pid>/stat) each of the two serving processes
spent per request of a burst: `chalice local` (api) and moto's server (local_aws). Unlike seconds, it does
not grow with what else the machine runs. `sequential_cpu_ms_per_request` splits it by path, one request at
a time: a winner (a hold: limits, sealing, a transaction, a mail) and a loser (409 from the early lock read).
`load_average` is the machine's 1-minute load when the judged burst began."""

from __future__ import annotations

import collections
import itertools
import json
import os
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CALLERS = 100
REQUESTS_PER_CALLER = 2
TIMES = ("09:00", "09:45", "10:30", "11:15", "13:00", "13:45", "14:30", "15:15", "16:00", "09:15", "10:00", "11:00")
APART = TIMES[:9]  # 45 minutes apart: none overlaps another (a consultation is 30 minutes)
SEQUENTIAL_WEEKS = 3  # 27 winners, then 27 losers (a fourth week is past the booking horizon)
OUTBOX_WAIT_LIMIT_SECONDS = 150.0
_emails = itertools.count()


def measure() -> dict[str, Any]:
    from scripts.run_local import spawn

    with tempfile.TemporaryDirectory() as local_dir:
        process, credentials = spawn(Path(local_dir), SAFESLOT_PUBLIC_WRITES_PER_IP="100000")
        try:
            api, pids = credentials["api"], serving_processes(process.pid)
            first, first_cpu = on_cpu(pids, lambda: burst(api, _a_wednesday() + timedelta(days=7)))
            load = round(os.getloadavg()[0], 1)
            answers, cpu = on_cpu(pids, lambda: burst(api, _a_wednesday()))
            return {**summary(answers), "cpu_ms_per_request": cpu, "load_average": load,
                    "sequential_cpu_ms_per_request": one_at_a_time(api, pids, _a_wednesday() + timedelta(days=14)),
                    "outbox_to_chain_seconds": outbox_delay(credentials["aws_endpoint"]),
                    "first_burst_after_start": {**{k: summary(first)[k] for k in (
                        "answers", "p50_seconds", "p95_seconds", "max_seconds")}, "cpu_ms_per_request": first_cpu}}
        finally:
            process.terminate()
            process.wait(timeout=20)


def burst(api: str, day: date) -> list[tuple[str, float]]:
    """(answer, seconds) of each request: "202", "409 slot_unavailable", "503 storage_unavailable", ..."""
    org = _get(f"{api}/v1/public/orgs/demo")
    service = next(s for s in org["services"] if s["name"] == "Consultation")
    doctor = next(m for m in org["staff"] if m["timezone"] == "America/New_York")

    def caller(n: int) -> list[tuple[str, float]]:
        answers = []
        for k in range(REQUESTS_PER_CALLER):
            body = _booking(service["id"], doctor["id"], day, TIMES[(n + k) % len(TIMES)])
            began = time.monotonic()
            answer = _post(f"{api}/v1/public/orgs/demo/bookings", body)
            answers.append((answer, time.monotonic() - began))
        return answers

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        return [answer for answers in pool.map(caller, range(CALLERS)) for answer in answers]


def serving_processes(stack_pid: int) -> dict[str, int]:
    """The pids of `chalice local` ("api") and moto's server ("local_aws") among run_local.py's children."""
    found = {}
    for task in os.listdir(f"/proc/{stack_pid}/task"):
        for child in Path(f"/proc/{stack_pid}/task/{task}/children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            for name, script in (("api", b"chalice_local.py"), ("local_aws", b"local_aws.py")):
                if script in command:
                    found[name] = int(child)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def on_cpu(pids: dict[str, int], requests: Any) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """(answers of `requests()`, CPU ms per answer of each serving process)."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    answers = requests()
    return answers, {name: round(1000 * (cpu_seconds(pid) - before[name]) / len(answers), 1)
                     for name, pid in pids.items()}


def one_at_a_time(api: str, pids: dict[str, int], day: date) -> dict[str, Any]:
    """CPU ms per request of each process for winners (each time free) and then losers (each taken), sent
    one after another: no contention, the cost of each path alone."""
    org = _get(f"{api}/v1/public/orgs/demo")
    service = next(s for s in org["services"] if s["name"] == "Consultation")
    doctor = next(m for m in org["staff"] if m["timezone"] == "America/New_York")

    def each_time() -> list[tuple[str, float]]:  # enough requests that /proc's 10 ms ticks do not show
        return [(_post(f"{api}/v1/public/orgs/demo/bookings", _booking(service["id"], doctor["id"], on, hhmm)), 0.0)
                for on in (day + timedelta(days=7 * week) for week in range(SEQUENTIAL_WEEKS)) for hhmm in APART]

    won, winner = on_cpu(pids, each_time)
    lost, loser = on_cpu(pids, each_time)
    return {"winner": winner, "loser": loser, "answers": dict(collections.Counter(a for a, _ in won + lost))}


def _booking(service_id: str, staff_id: str, day: date, hhmm: str) -> dict[str, Any]:
    start = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), ZoneInfo("America/New_York"))
    return {"service_id": service_id, "staff_id": staff_id, "start": start.isoformat(),
            "customer": {"name": "Burst Bea", "email": f"bea{next(_emails)}@example.org"}}


def summary(answers: list[tuple[str, float]]) -> dict[str, Any]:
    seconds = sorted(s for _, s in answers)
    return {"callers": CALLERS, "requests": len(answers), "contested_times": len(TIMES),
            "answers": dict(collections.Counter(a for a, _ in answers)),
            "p50_seconds": round(statistics.median(seconds), 2),
            "p95_seconds": round(seconds[int(0.95 * (len(seconds) - 1))], 2),
            "max_seconds": round(seconds[-1], 2), "over_5_seconds": sum(1 for s in seconds if s > 5.0)}


def outbox_delay(aws_endpoint: str) -> float | None:
    """Seconds from now until every org's outbox is empty (None: still not after OUTBOX_WAIT_LIMIT_SECONDS)."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("audit_outbox"))
    began = time.monotonic()
    while time.monotonic() - began < OUTBOX_WAIT_LIMIT_SECONDS:
        if dynamodb.scan(TableName=table, Select="COUNT", ConsistentRead=True)["Count"] == 0:
            return round(time.monotonic() - began, 1)
        time.sleep(1.0)
    return None


def _a_wednesday() -> date:
    day = datetime.now(UTC).date() + timedelta(days=31)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> str:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return str(response.status)
    except urllib.error.HTTPError as error:
        return f"{error.code} {json.loads(error.read() or b'{}').get('error', {}).get('code', '')}"
