"""The hot paths through the real request path (the Chalice test client on moto): AWS calls per public
booking, reschedule, cancel, login and authenticated staff request (counts do not drift between
machines), and the write units of a one-hour booking's transaction (issue 24, ADR 0020).

moto answers no ConsumedCapacity for TransactWriteItems, so write units are computed from each request
by DynamoDB's documented rules: an item's size is its attribute names plus values; a transactional write
costs 2 units per 1 KB of each item (put: the item written; update, delete, condition check: the item's
size is unknown to the caller, at least 1 KB)."""

from __future__ import annotations

import collections
import contextlib
import json
import math
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client

from bench.api_calls import on_a_stack_taking_any_public_writes
from bench.timing import milliseconds

REQUESTS = 12
CONSUMER = {"sqs:ReceiveMessage", "sqs:DeleteMessage"}


class Recorder:
    """The calls of the request being measured (the mail queue's consumer left out), and its write units."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.write_units = 0.0
        self.on = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[Recorder]:
        from chalicelib.jobs import queued_mail

        original, handle = botocore.client.BaseClient._make_api_call, queued_mail.handle
        recorder = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            name = f"{client.meta.service_model.service_name}:{operation}"
            if recorder.on and name not in CONSUMER:
                recorder.calls[name] += 1
                if operation == "TransactWriteItems":
                    recorder.write_units += transaction_write_units(params["TransactItems"])
            return original(client, operation, params)

        def consumer(body: str) -> None:
            was, recorder.on = recorder.on, False
            try:
                handle(body)
            finally:
                recorder.on = was

        botocore.client.BaseClient._make_api_call, queued_mail.handle = counted, consumer
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call, queued_mail.handle = original, handle

    @contextlib.contextmanager
    def measuring(self) -> Iterator[None]:
        self.on = True
        try:
            yield
        finally:
            self.on = False

    def take(self, count: int) -> dict[str, Any]:
        """What the last `count` requests cost each, and start counting afresh."""
        calls = {name: round(n / count, 2) for name, n in sorted(self.calls.items())}
        reads = sum(n for name, n in self.calls.items()
                    if name.split(":")[1] in ("GetItem", "Query", "BatchGetItem", "Scan"))
        taken = {"aws_calls": round(sum(self.calls.values()) / count, 2), "dynamodb_reads": round(reads / count, 2),
                 "transactions": round(self.calls["dynamodb:TransactWriteItems"] / count, 2),
                 "transaction_write_units": round(self.write_units / count, 1), "by_operation": calls}
        self.calls.clear()
        self.write_units = 0.0
        return taken


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in bytes: each attribute's name plus its value."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner) if isinstance(inner, bytes) else len(inner.encode())
    if kind == "N":
        return math.ceil(len(inner.lstrip("-").replace(".", "").lstrip("0") or "0") / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in inner.items())
    return 0


def transaction_write_units(items: list[dict[str, Any]]) -> float:
    units = 0.0
    for entry in items:
        (kind, request), = entry.items()
        size = item_size(request["Item"]) if kind == "Put" else 1024
        units += 2 * max(1, math.ceil(size / 1024))
    return units


def measure() -> dict[str, Any]:
    return on_a_stack_taking_any_public_writes(_measure)  # one source address makes every request here


def _measure() -> dict[str, Any]:
    from chalice.test import Client

    from app import app
    from chalicelib.models.counter import Counter
    from scripts.queue_consumer import drain

    clinic = hour_clinic("hot")
    recorder = Recorder()
    with Client(app, stage_name="test") as client, recorder.installed():
        send = client.http.request

        def request_then_drain(*args: Any, **kwargs: Any) -> Any:
            answer = send(*args, **kwargs)
            drain()  # the queue's consumer, as SQS runs it moments later (tests/harness/mail_drain.py)
            return answer

        client.http.request = request_then_drain  # type: ignore[method-assign]
        report = _requests(client, clinic, recorder)
        put_ms = milliseconds(lambda: Counter(f"bench/{datetime.now(UTC).timestamp()}", ttl=0).save(), REQUESTS)
    report["baseline_put_item_p50_ms"] = round(statistics.median(put_ms), 2)
    return report


PASSWORD = "violet-harbor-tundra-41"


def hour_clinic(name: str) -> dict[str, Any]:
    """An org (slug bench-<name>) with an owner (password set), a one-hour service, a doctor 09:00-17:00 on
    weekdays, and bookings made at once (e-mail verification off, as clinics that book by phone choose)."""
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import catalog
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.policy import change_policy
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org(f"bench-{name}", f"Bench {name.title()} Clinic")
    owner = create_first_owner(org.org_id, f"owner@bench-{name}.example", "Olive Owner")
    set_password_with_setup_token(owner.setup_token, PASSWORD, SYSTEM)
    principal = Principal(org.org_id, owner.user["id"], "owner", "bench", "full", SYSTEM)
    change_policy(principal, {"require_email_verification": False})
    service = catalog.create_service(principal, {"name": "Hour", "duration_minutes": 60, "min_notice_minutes": 0})
    hours = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    catalog.create_staff(principal, {"display_name": "Dr Ada", "timezone": "UTC", "weekly_hours": hours,
                                     "service_ids": [service["id"]]})
    return {"slug": org.slug, "service_id": service["id"], "email": f"owner@bench-{name}.example"}


def _requests(client: Any, clinic: dict[str, Any], recorder: Recorder) -> dict[str, Any]:
    starts = _starts()
    first = _post(client, f"/v1/public/orgs/{clinic['slug']}/bookings", _booking(clinic, starts.pop(), "warm"))
    assert first.status_code == 201, first.body  # warm clients, keys and caches
    report: dict[str, Any] = {"requests_each": REQUESTS}

    booked, times = [], []
    for i in range(REQUESTS):
        body = _booking(clinic, starts.pop(), f"p{i}")
        with recorder.measuring():
            start = time.perf_counter()
            booked.append(_post(client, f"/v1/public/orgs/{clinic['slug']}/bookings", body))
            times.append((time.perf_counter() - start) * 1000)
    assert all(b.status_code == 201 for b in booked), booked[0].body
    report["public_booking_new_customer"] = {**recorder.take(REQUESTS),
                                             "p50_ms": round(statistics.median(times), 1)}

    links = [(json.loads(b.body)["booking"]["id"], json.loads(b.body)["manage_url"].split("#", 1)[1])
             for b in booked]
    for name in ("reschedule", "cancel"):
        with recorder.measuring():
            answers = [_post(client, f"/v1/public/bookings/{booking_id}/{name}",
                             {"start": starts.pop()} if name == "reschedule" else {}, {"X-Manage-Token": token})
                       for booking_id, token in links]
        assert all(a.status_code == 200 for a in answers), [a.status_code for a in answers]
        report[name] = recorder.take(len(links))

    credentials = {"org": clinic["slug"], "email": clinic["email"], "password": PASSWORD}
    token = json.loads(_post(client, "/v1/auth/login", credentials).body)["token"]
    with recorder.measuring():
        for _ in range(REQUESTS):
            assert _post(client, "/v1/auth/login", credentials).status_code == 200
    report["login"] = recorder.take(REQUESTS)
    with recorder.measuring():
        for _ in range(REQUESTS):
            client.http.get("/v1/services", headers={"Authorization": f"Bearer {token}"})
    report["staff_request_list_services"] = {**recorder.take(REQUESTS), "of_which_the_route_own": 1}
    return report


def _starts() -> list[str]:
    """Whole hours 09:00-16:00 UTC on the weekdays from three days on (none overlap)."""
    day, found = datetime.now(UTC).date() + timedelta(days=3), list[str]()
    while len(found) < 4 * REQUESTS + 8:
        if day.weekday() < 5:
            found += [f"{day}T{hour:02d}:00:00+00:00" for hour in range(9, 17)]
        day += timedelta(days=1)
    return found


def _booking(clinic: dict[str, Any], start: str, who: str) -> dict[str, Any]:
    return {"service_id": clinic["service_id"], "start": start,
            "customer": {"name": "Bench Patient", "email": f"{who}@bench.example"}}


def _post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return client.http.post(path, headers={"Content-Type": "application/json", **(headers or {})},
                            body=json.dumps(body))
