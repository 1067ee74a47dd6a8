"""32 clients at once over HTTP against the local stack (scripts/local_aws.py): bookings, reschedules,
cancels and audited staff reads racing for a few hours of one doctor's time. Afterwards the raw tables
hold no overlapping bookings, no orphan locks, and the audit chain verifies with every read in it.

Against stock `moto_server` this fails (overlapping bookings, locks held for the wrong booking, 500s
from a wedged audit chain): moto applies transactions unlocked and rolls them back from stale copies."""

from __future__ import annotations

import itertools
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pyotp
import pytest

from tests.e2e.conftest import emailed_code, request
from tests.e2e.test_booking_concurrency import weekday

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CLIENTS, STEPS = 32, 5
BUSY_CHAIN = (409, "conflict")  # an audited read refused when its event cannot be appended in time: fails closed
ALLOWED = {"book": {(201, None), (409, "slot_unavailable")},
           "reschedule": {(200, None), (409, "slot_unavailable")},
           "cancel": {(200, None)}, "calendar": {(200, None)},
           "read_booking": {(200, None), BUSY_CHAIN}, "read_customer": {(200, None), BUSY_CHAIN}}
Outcome = tuple[int, str | None]


def call(method: str, url: str, body: dict | None = None, token: str | None = None,
         **headers: str) -> tuple[Outcome, Any]:
    """((status, error code or None), body) of one HTTP call."""
    status, answer = request(method, url, body, token, **headers)
    code = answer["error"]["code"] if status >= 400 and isinstance(answer, dict) and "error" in answer else None
    return (status, code), answer


class Load:
    """The demo org's API, one owner session, and the bookings each client made (id, manage token)."""

    def __init__(self, credentials: dict[str, Any]) -> None:
        self.api, self.credentials = credentials["api"], credentials
        self.token = _owner_token(credentials)
        _, org = request("GET", f"{self.api}/v1/public/orgs/demo")
        self.service = next(s["id"] for s in org["services"] if s["name"] == "Consultation")
        self.doctor = next(m["id"] for m in org["staff"] if m["timezone"] == "America/New_York")
        first, last = weekday(4), weekday(4) + timedelta(days=6)
        _, offered = request("GET", f"{self.api}/v1/public/orgs/demo/slots?service_id={self.service}"
                                    f"&from={first}&to={last}&tz=UTC&staff_id={self.doctor}")
        self.starts = [slot["start"] for slot in offered["slots"]]  # overlapping starts: they compete
        self.emails = itertools.count()
        self.outcomes: Counter[tuple[str, Outcome]] = Counter()
        self.lock = threading.Lock()

    def client(self, seed: int) -> None:
        """STEPS actions, each picked at random (seeded: a failure can be replayed)."""
        rng, mine = random.Random(seed), []  # noqa: S311 (test data, not a secret)
        for _ in range(STEPS):
            action = rng.choice(("book", "reschedule", "reschedule", "cancel", "read_booking", "read_customer",
                                 "calendar") if mine else ("book",))
            outcome = getattr(self, action)(rng, mine)
            with self.lock:
                self.outcomes[(action, outcome)] += 1

    def book(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        body = {"service_id": self.service, "staff_id": self.doctor, "start": rng.choice(self.starts),
                "customer": {"name": "Load Lena", "email": f"lena{next(self.emails)}@example.org"}}
        outcome, answer = call("POST", f"{self.api}/v1/public/orgs/demo/bookings", body)
        if outcome[0] == 202:  # held until the mailbox is proven: the patient types the e-mailed code
            booking_id = answer["booking"]["id"]
            outcome, answer = call("POST", f"{self.api}/v1/public/orgs/demo/bookings/{booking_id}/confirm",
                                   {"code": emailed_code(self.credentials, booking_id)})
            outcome = (201, None) if outcome[0] == 200 else outcome
        if outcome[0] == 201:
            mine.append((answer["booking"]["id"], answer["manage_url"].split("#", 1)[1]))
        return outcome

    def reschedule(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        booking_id, token = rng.choice(mine)
        return call("POST", f"{self.api}/v1/public/bookings/{booking_id}/reschedule",
                    {"start": rng.choice(self.starts)}, **{"X-Manage-Token": token})[0]

    def cancel(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        booking_id, token = mine.pop(rng.randrange(len(mine)))
        return call("POST", f"{self.api}/v1/public/bookings/{booking_id}/cancel", {},
                    **{"X-Manage-Token": token})[0]

    def read_booking(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        return call("GET", f"{self.api}/v1/bookings/{rng.choice(mine)[0]}", token=self.token)[0]

    def read_customer(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        """The booking (an audited read), then its customer (another)."""
        outcome, answer = call("GET", f"{self.api}/v1/bookings/{rng.choice(mine)[0]}", token=self.token)
        if outcome[0] != 200:
            return outcome
        return call("GET", f"{self.api}/v1/customers/{answer['booking']['customer_id']}", token=self.token)[0]

    def calendar(self, rng: random.Random, mine: list[tuple[str, str]]) -> Outcome:
        window = urllib.parse.urlencode({"from": self.starts[0], "to": self.starts[-1]})
        return call("GET", f"{self.api}/v1/bookings?{window}", token=self.token)[0]


def _owner_token(credentials: dict[str, Any]) -> str:
    status, first = request("POST", f"{credentials['api']}/v1/auth/login",
                            {k: credentials[k] for k in ("org", "email", "password")})
    assert status == 200, first
    code = pyotp.TOTP(credentials["totp_secret"]).at(time.time() + 30)  # the seed spent the current one
    status, session = request("POST", f"{credentials['api']}/v1/auth/mfa/verify",
                              {"mfa_token": first["mfa_token"], "method": "totp", "code": code})
    assert status == 200, session
    return str(session["token"])


def raw_table(credentials: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every item of one of the local stack's tables, read through boto3 (not through SafeSlot)."""
    dynamodb = boto3.client("dynamodb", endpoint_url=credentials["aws_endpoint"], region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    pages = dynamodb.get_paginator("scan").paginate(TableName=f"safeslot-local-{name}", ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def overlapping(bookings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of confirmed bookings of one staff member whose busy spans (granules) intersect."""
    holder: dict[tuple[str, int], str] = {}
    pairs = []
    for booking in bookings:
        if booking["status"]["S"] != "confirmed":
            continue
        for granule in booking["granules"]["L"]:
            key = (booking["staff_id"]["S"], int(granule["N"]))
            if key in holder:
                pairs.append((holder[key], booking["booking_id"]["S"]))
            holder[key] = booking["booking_id"]["S"]
    return pairs


def orphan_locks(bookings: list[dict[str, Any]], locks: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Locks that no confirmed booking or pending hold owns, and their granules with no lock of theirs."""
    held = {(f"{b['org_id']['S']}/{b['staff_id']['S']}", int(g["N"])): b["booking_id"]["S"]
            for b in bookings if b["status"]["S"] in ("confirmed", "pending") for g in b["granules"]["L"]}
    locked = {(lock["staff_key"]["S"], int(lock["granule"]["N"]) * 12 + int(name[1:]) // 5): slot["M"]["b"]["S"]
              for lock in locks for name, slot in lock.items() if re.fullmatch(r"m\d\d", name)}  # staff-hour items
    return {"locks_without_their_booking": [k for k, owner in locked.items() if held.get(k) != owner],
            "bookings_without_their_locks": [k for k, owner in held.items() if locked.get(k) != owner]}


def verify_audit_with_the_cli(credentials: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """`manage.py verify-audit` pointed at the stack by its .local/stack.env."""
    lines = Path(credentials["env_file"]).read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if "=" in line)
    return subprocess.run([sys.executable, "manage.py", "verify-audit", "--org", "demo"], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=120)


def test_thirty_two_clients_leave_no_double_booking_no_orphan_lock_and_a_verifying_chain(stack):
    credentials, _ = stack
    load = Load(credentials)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(load.client, range(CLIENTS)))

    bookings, locks = raw_table(credentials, "bookings"), raw_table(credentials, "slot_locks")
    assert overlapping(bookings) == []
    assert orphan_locks(bookings, locks) == {"locks_without_their_booking": [], "bookings_without_their_locks": []}
    unexpected = {k: n for k, n in load.outcomes.items() if k[1] not in ALLOWED[k[0]]}
    assert not unexpected, load.outcomes
    made, refused = load.outcomes[("book", (201, None))], load.outcomes[("book", (409, "slot_unavailable"))]
    assert made >= CLIENTS and refused > 0, load.outcomes  # every client booked; the slots were contended
    status, chain = request("GET", f"{load.api}/v1/audit-events/verify", token=load.token)
    assert status == 200 and chain["ok"], chain
    cli = verify_audit_with_the_cli(credentials)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    actions = Counter(event.get("action", {}).get("S") for event in raw_table(credentials, "audit_events"))
    assert actions["booking.read"] >= sum(n for (action, (status, _)), n in load.outcomes.items()
                                          if action in ("read_booking", "read_customer") and status == 200)
    assert actions["customer.read"] >= load.outcomes[("read_customer", (200, None))]
