"""Signed webhooks (issue 29, item 5): an owner's endpoint receives booking events signed with its own
secret and the time; a receiver that checks the signature and the replay window refuses a replay; failed
deliveries are retried with backoff and visible; private, loopback and plain-http destinations are refused."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.webhook import WebhookDelivery
from chalicelib.services.audit.chain import plain_subjects
from chalicelib.services.webhooks import deliveries
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, token_for

WINDOW = 300  # the documented replay window


class Receiver:
    """A clinic's system: checks each request's signature with its own HMAC code, refuses timestamps
    outside the window and delivery ids it already accepted."""

    def __init__(self) -> None:
        self.secret = ""
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[int] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        self.clock_skew = 0
        self.seen: set[str] = set()

    def judge(self, headers: dict[str, str], payload: bytes) -> int:
        if self.fail_next:
            self.fail_next -= 1
            return 500
        fields = dict(part.split("=", 1) for part in headers.get("safeslot-signature", "").split(","))
        stamp = int(fields.get("t", "0"))
        mac = hmac.new(self.secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, fields.get("v1", "")):
            return 401
        if abs(time.time() + self.clock_skew - stamp) > WINDOW:
            return 401
        delivery = headers.get("safeslot-delivery", "")
        if delivery in self.seen:
            return 409
        self.seen.add(delivery)
        self.accepted.append(json.loads(payload))
        return 200


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    judge = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            judge.raw.append((headers, payload))
            status = judge.judge(headers, payload)
            if status != 200:
                judge.refused.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield judge, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_webhooks(aws_stack, monkeypatch):
    """The explicit local-testing switch: http:// and loopback receivers (the test and local stages only)."""
    monkeypatch.setenv("SAFESLOT_WEBHOOKS_ALLOW_LOCAL", "1")
    settings.cache_clear()
    yield
    monkeypatch.delenv("SAFESLOT_WEBHOOKS_ALLOW_LOCAL")
    settings.cache_clear()


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("admin",))


def register(client, clinic, url: str, **extra: Any):
    owner = token_for(client, clinic.accounts["owner"])
    return call(client, "POST", "/v1/webhooks", owner, {"url": url, **extra})


def replay(port: int, headers: dict[str, str], payload: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    kept = {k: v for k, v in headers.items() if k.startswith("safeslot-") or k == "content-type"}
    connection.request("POST", "/hook", body=payload, headers=kept)
    status = connection.getresponse().status
    connection.close()
    return status


def events(org_id: str) -> list[tuple[str, dict]]:
    chained = [(e.action, plain_subjects(e.subjects)) for e in AuditEvent.query(org_id) if e.action]
    return chained + [(e.action, plain_subjects(e.subjects)) for e in AuditOutboxEntry.query(org_id)]


def test_a_receiver_verifies_the_signature_and_refuses_a_replay(client, clinic, receiver, local_webhooks):
    judge, port = receiver
    answer = register(client, clinic, f"http://127.0.0.1:{port}/hook")
    assert answer.status_code == 201, answer.body
    judge.secret = body(answer)["webhook"]["secret"]

    booked = book(client, clinic, at(next_weekday(), "10:00"), notes="Knee pain")  # the queue runs after it

    assert booked.status_code == 201
    [event] = judge.accepted
    assert event["type"] == "booking.created"
    assert event["data"]["booking_id"] == body(booked)["booking"]["id"]
    headers, payload = judge.raw[0]
    assert replay(port, headers, payload) == 409  # the same request again: refused
    assert replay(port, headers, payload.replace(b"booking.created", b"booking.cancelled")) == 401
    judge.seen.clear()
    judge.clock_skew = WINDOW + 1  # the same request, six minutes later
    assert replay(port, headers, payload) == 401
    assert len(judge.accepted) == 1


def test_a_payload_carries_ids_and_times_only_unless_the_owner_opts_in(client, clinic, receiver, local_webhooks):
    judge, port = receiver
    plain = body(register(client, clinic, f"http://127.0.0.1:{port}/hook"))["webhook"]
    named = body(register(client, clinic, f"http://127.0.0.1:{port}/hook", include_names=True))["webhook"]
    assert "secret" not in json.dumps(call(client, "GET", "/v1/webhooks",
                                           token_for(client, clinic.accounts["owner"])).body.decode())

    book(client, clinic, at(next_weekday(), "10:00"), notes="Knee pain")

    sent = {headers["safeslot-delivery"]: payload for headers, payload in judge.raw}
    assert len(sent) == 1  # one event id; each endpoint got its own request
    bodies = [json.loads(payload) for _, payload in judge.raw]
    assert len(bodies) == 2
    by_names = {("service_name" in b["data"]): b for b in bodies}
    assert set(by_names[False]["data"]) == {"booking_id", "service_id", "staff_id", "customer_id", "start", "end",
                                            "status", "sequence"}
    assert by_names[True]["data"]["service_name"] == "Consultation"
    for payload in sent.values():
        for personal in (ALICE["name"], ALICE["email"], ALICE["phone"], "Knee pain"):
            assert personal.encode() not in payload
    assert plain["id"] != named["id"]


def test_a_failed_delivery_is_retried_with_backoff_visible_and_audited(client, clinic, receiver, local_webhooks):
    judge, port = receiver
    webhook = body(register(client, clinic, f"http://127.0.0.1:{port}/hook"))["webhook"]
    judge.secret = webhook["secret"]
    judge.fail_next = 1
    owner = token_for(client, clinic.accounts["owner"])

    book(client, clinic, at(next_weekday(), "10:00"))

    [first] = body(call(client, "GET", f"/v1/webhooks/{webhook['id']}/deliveries", owner))["deliveries"]
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 500)
    assert first["next_attempt_at"] > first["created_at"]
    [delivery] = list(WebhookDelivery.query(clinic.org_id))

    assert deliveries.deliver(clinic.org_id, delivery.delivery_id) == "delivered"  # the queued retry

    [after] = body(call(client, "GET", f"/v1/webhooks/{webhook['id']}/deliveries", owner))["deliveries"]
    assert (after["status"], after["attempts"], after["last_status_code"]) == ("delivered", 2, 200)
    assert len(judge.accepted) == 1
    assert ("webhook.delivered", "2") in [(a, s.get("attempts")) for a, s in events(clinic.org_id)]


def test_a_delivery_that_keeps_failing_stops_after_its_last_attempt_and_is_audited(client, clinic, receiver,
                                                                                   local_webhooks):
    judge, port = receiver
    judge.fail_next = 100
    register(client, clinic, f"http://127.0.0.1:{port}/hook")
    book(client, clinic, at(next_weekday(), "10:00"))
    [delivery] = list(WebhookDelivery.query(clinic.org_id))

    outcomes = [deliveries.deliver(clinic.org_id, delivery.delivery_id) for _ in range(deliveries.MAX_ATTEMPTS)]

    assert outcomes[-2:] == ["failed", "failed"]
    assert WebhookDelivery.get(clinic.org_id, delivery.delivery_id).attempts == deliveries.MAX_ATTEMPTS
    assert len(judge.raw) == deliveries.MAX_ATTEMPTS
    assert "webhook.delivery_failed" in [a for a, _ in events(clinic.org_id)]


@pytest.mark.parametrize("url", [
    "http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://192.168.0.10/x",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x",
    "https://100.64.0.1/x", "https://0.0.0.0/x", "https://localhost/x", "https://user:pw@93.184.215.14/x",
    "ftp://93.184.215.14/x", "https://no-such-host.invalid/x", "https://[::1/x", "https://93.184.215.14:99999/x",
    "https://exa\u0000mple.com/x", "https://" + "a" * 300 + ".com/x"])
def test_registration_refuses_plain_http_and_private_or_loopback_addresses(client, clinic, url):
    answer = register(client, clinic, url)

    assert answer.status_code == 422, url
    assert body(answer)["error"]["field"] == "url"


def test_the_local_switch_allows_loopback_but_never_the_metadata_service(client, clinic, local_webhooks):
    assert register(client, clinic, "https://169.254.169.254/latest").status_code == 422
    assert register(client, clinic, "http://10.0.0.1/x").status_code == 422


def test_a_destination_refused_at_delivery_time_gets_nothing(client, clinic, receiver, monkeypatch, local_webhooks):
    judge, port = receiver
    register(client, clinic, f"http://127.0.0.1:{port}/hook")
    monkeypatch.delenv("SAFESLOT_WEBHOOKS_ALLOW_LOCAL")  # the address is no longer acceptable
    settings.cache_clear()

    book(client, clinic, at(next_weekday(), "10:00"))

    [delivery] = list(WebhookDelivery.query(clinic.org_id))
    assert delivery.last_error == "destination_refused" and judge.raw == []
    monkeypatch.setenv("SAFESLOT_WEBHOOKS_ALLOW_LOCAL", "1")


def test_only_the_owner_manages_webhooks(client, clinic):
    admin = token_for(client, clinic.accounts["admin"])

    assert call(client, "POST", "/v1/webhooks", admin, {"url": "https://93.184.215.14/x"}).status_code == 403
    assert call(client, "GET", "/v1/webhooks", admin).status_code == 403
