"""The audit trail: AWS calls and transactions per booking (with the chain step after the commit, and
without it), audited writes per second for one org under 20 threads against plain PutItems in the same
run, and the delay from an entry's commit to its chained event (p50, p95, max)."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.timing import percentile
from infra.local_stack import mocked_stack

BOOKINGS, WRITES, THREADS = 20, 400, 20


def measure() -> dict[str, Any]:
    with mocked_stack():  # bench/__main__ made in-process DynamoDB atomic (scripts/local_aws.py)
        return {**_per_booking(), **_burst()}


def _per_booking() -> dict[str, Any]:
    from bench.booking import _clinic, _starts
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM, chain
    from chalicelib.services.booking import bookings

    clinic = _clinic()
    actor = bookings.Actor(clinic["org_id"], "customer", SYSTEM, is_staff=False)
    customer_id = customers.create_customer(clinic["org_id"], customers.CustomerDetails("B", "b@bench.example"), "b")
    grid = iter([(start, staff) for start in _starts(clinic["first_day"]) for staff in clinic["staff"]][::3])

    def book_some() -> Any:
        with counting_calls() as calls:
            for _ in range(BOOKINGS):
                start, staff_id = next(grid)
                bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, staff_id))
        return calls

    chained = book_some()
    assert chain._take_lease(clinic["org_id"], "bench-holds-the-lease")  # the chain step finds it busy
    deferred = book_some()
    return {
        "aws_calls_per_booking_with_chain_step": per_operation(chained, BOOKINGS),
        "aws_calls_per_booking_chain_deferred": per_operation(deferred, BOOKINGS),
        "transactions_per_booking_with_chain_step": chained.counts["dynamodb:TransactWriteItems"] / BOOKINGS,
        "transactions_per_booking_chain_deferred": deferred.counts["dynamodb:TransactWriteItems"] / BOOKINGS,
    }


def _burst() -> dict[str, Any]:
    from chalicelib.models.counter import Counter
    from chalicelib.services import audit
    from chalicelib.services.audit import chain

    delays_ms: list[float] = []
    transactions = [0]
    original_chain = chain._chain

    def timed_chain(org_id: str, owner: str, head: Any, entries: list[Any]) -> bool:
        committed = original_chain(org_id, owner, head, entries)
        transactions[0] += 1
        if committed:
            now = time.time_ns()
            delays_ms.extend((now - int(e.entry_id.split("-")[0])) / 1e6 for e in entries)
        return committed

    chain._chain = timed_chain
    try:
        plain_s = _threaded(lambda n: Counter(f"bench-audit/{n}", ttl=0).save())
        audited_s = _threaded(lambda n: audit.record("bench-org", f"user{n}", "customer.read",
                                                     subjects={"customer_id": f"c{n}"}))
        left = chain.build("bench-org")
    finally:
        chain._chain = original_chain
    result = audit.verify("bench-org")
    return {
        "burst": {"writes": WRITES, "threads": THREADS, "refused": 0, "left_for_the_sweep": left,
                  "chain_verifies": result.ok, "events_chained": result.events_checked},
        "chain_transactions_per_event": round(transactions[0] / WRITES, 3),
        "audited_writes_per_s_one_org": round(WRITES / audited_s, 1),
        "plain_put_items_per_s": round(WRITES / plain_s, 1),
        "audited_write_cost_vs_put_item": round(audited_s / plain_s, 2),
        "commit_to_chained_ms": {"p50": round(statistics.median(delays_ms), 1),
                                 "p95": round(percentile(delays_ms, 0.95), 1), "max": round(max(delays_ms), 1)},
    }


def _threaded(write: Any) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(write, range(WRITES)))  # any refusal raises here
    return time.perf_counter() - started
