"""The e-mail routes ("we sent you an e-mail if..."): answer time for a known and an unknown address side by
side (their ratio in the same run), the consumer's time for each, and the AWS calls the queue adds (ADR 0016).

In process, against moto: each route's service (what the route calls after its per-source limit, the same
for every caller), 20 known and 20 unknown addresses interleaved. Per-address limits are raised for the run
so that only the work is timed.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.notices import _book, _clinic
from bench.timing import milliseconds
from infra.local_stack import mocked_stack

ROUNDS = 20


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from chalicelib.services import rate_limits
    from chalicelib.services.audit import Origin
    from chalicelib.services.booking.links import send_my_bookings_link
    from chalicelib.services.identity import password_reset
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import org_by_id
    from chalicelib.services.self_service import links
    from scripts.queue_consumer import drain

    _raise_limits(rate_limits, password_reset)
    clinic = _clinic()
    org = org_by_id(clinic["org_id"])
    _book(clinic, 0)  # p0@bench.example is a patient
    create_first_owner(org.org_id, "owner@bench.example", "Bench Owner")
    origin = Origin("192.0.2.1", "bench")
    routes: dict[str, tuple[Callable[[str], None], str]] = {
        "self_service_link": (lambda email: links.request_link(org, email, origin, None), "p0@bench.example"),
        "my_bookings_link": (lambda email: send_my_bookings_link(org, email, origin), "p0@bench.example"),
        "password_forgot": (lambda email: password_reset.request_reset(org.slug, email, origin),
                            "owner@bench.example"),
    }
    report: dict[str, Any] = {}
    for name, (ask, known) in routes.items():
        ask("warm-up@bench.example")
        drain()
        answers: dict[str, list[float]] = {"known": [], "unknown": []}
        consumer: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(ROUNDS):
            for kind, email in (("known", known), ("unknown", f"nobody{n}@bench.example")):
                answers[kind] += milliseconds(functools.partial(ask, email), 1)
                consumer[kind] += milliseconds(drain, 1)
        known_ms, unknown_ms = statistics.median(answers["known"]), statistics.median(answers["unknown"])
        report[name] = {
            "answer_p50_ms_known": round(known_ms, 2), "answer_p50_ms_unknown": round(unknown_ms, 2),
            "answer_known_vs_unknown": round(known_ms / unknown_ms, 2),
            "consumer_p50_ms_known": round(statistics.median(consumer["known"]), 1),
            "consumer_p50_ms_unknown": round(statistics.median(consumer["unknown"]), 1),
        }
    with counting_calls() as asking:
        links.request_link(org, "p0@bench.example", origin, None)
    with counting_calls() as consuming:
        drain()
    with counting_calls() as booking:
        _book(clinic, 1)
    report["aws_calls_per_email_request"] = per_operation(asking, 1)
    report["aws_calls_queue_adds_per_email_request"] = _sqs_only(per_operation(asking, 1))
    report["aws_calls_consumer_per_known_message"] = per_operation(consuming, 1)  # incl. the poller's receive/delete
    report["aws_calls_queue_adds_per_booking"] = _sqs_only(per_operation(booking, 1))  # booking mails go direct
    return report


def _sqs_only(calls: dict[str, float]) -> dict[str, float]:
    return {name: count for name, count in calls.items() if name.startswith("sqs:")}


def _raise_limits(rate_limits: Any, password_reset: Any) -> None:
    """Per-address and per-source limits out of the way: 40 requests per route from one bench address."""
    unlimited = 10**6
    for owner, name in ((rate_limits, "SELF_SERVICE_LINKS_PER_EMAIL"), (rate_limits, "SELF_SERVICE_LINKS_PER_ORG"),
                        (rate_limits, "LINK_REQUESTS_PER_EMAIL"), (password_reset, "REQUESTS_PER_IP"),
                        (password_reset, "REQUESTS_PER_ACCOUNT")):
        limit = getattr(owner, name)
        setattr(owner, name, rate_limits.Limit(limit.name, unlimited, limit.window_seconds))
