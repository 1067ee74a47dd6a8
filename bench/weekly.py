"""The clinic's weekly tools (issue 29): AWS calls and estimated DynamoDB write units of a cancellation
that backfills from the waitlist (the cancel, its webhook event and the offers), of booking a 10-week
series (one transaction), of a booking event for an org without webhooks, of a calendar feed read and of
answering an intake form.

Write units are estimated from the items each write sends (1 unit per started KB; 2 for an item in a
transaction): for an update it is a lower bound (DynamoDB charges the larger of the item before and after).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

import botocore.client

from bench.api_calls import counting_calls, per_operation
from infra.local_stack import mocked_stack

WAITING = 3  # patients on the waitlist when the time frees


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _measure()


def _measure() -> dict[str, Any]:
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings, catalog
    from chalicelib.services.booking.grants import booking_for  # noqa: F401 (loaded before counting)
    from chalicelib.services.calendar_feeds import feeds
    from chalicelib.services.calendar_feeds.contents import feed_calendar
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.intake import answers, forms
    from chalicelib.services.organizations import create_org
    from chalicelib.services.waitlist import entries
    from chalicelib.services.webhooks import deliveries

    org = create_org("bench-weekly", "Bench Clinic")
    owner = Principal(org.org_id, "bench", "owner", "bench", "full", SYSTEM)
    service = catalog.create_service(owner, {"name": "Visit", "duration_minutes": 30, "min_notice_minutes": 0})
    hours = {day: [{"start": "08:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
    staff = catalog.create_staff(owner, {"display_name": "Dr Bench", "timezone": "UTC", "weekly_hours": hours,
                                         "service_ids": [service["id"]]})["id"]
    day = datetime.now(UTC).date() + timedelta(days=3)
    while day.weekday() > 3:
        day += timedelta(days=1)
    actor = bookings.Actor(org.org_id, "bench", SYSTEM, is_staff=True)

    def booked(hour: int, n: int) -> Any:
        contact = customers.CustomerDetails(f"Patient {n}", f"p{n}@bench.example")
        customer_id = customers.find_or_create(org.org_id, contact, SYSTEM)
        start = datetime.combine(day, time(hour), tzinfo=UTC)
        _, answer = bookings.book(actor, customer_id, bookings.NewBooking(service["id"], start, staff))
        return bookings.get_booking(org.org_id, answer["booking"]["id"])

    first = booked(9, 0)
    for n in range(1, WAITING + 1):
        entries.join(booked(12 + n, n), None, False, SYSTEM)

    with counting_calls() as event_calls, write_units() as event_units:
        deliveries.announce("booking.created", org.org_id, first.booking_id)  # no endpoints yet
    with counting_calls() as cancel_calls, write_units() as cancel_units:
        cancelled = bookings.cancel(actor, first, None)
        deliveries.announce("booking.cancelled", org.org_id, first.booking_id)
        offered = entries.backfill(cancelled)

    issued = feeds.issue(owner, staff)
    secret = issued["url"].rsplit("/", 1)[1]
    with counting_calls() as feed_calls:
        feed_calendar(feeds.open_feed(secret, SYSTEM), SYSTEM)

    forms.change_form(owner, service["id"], [{"id": "why", "kind": "text", "label": "Why?", "required": True}])
    patient = booked(16, WAITING + 1)
    with counting_calls() as intake_calls, write_units() as intake_units:
        answers.answer(patient, {"why": "A sore shoulder"}, SYSTEM)

    return {
        "cancellation_that_backfills": {
            "waiting_patients": WAITING, "offers_sent": offered,
            "aws_calls": per_operation(cancel_calls, 1), "estimated_write_units": cancel_units.total},
        "booking_event_without_webhooks": {"aws_calls": per_operation(event_calls, 1),
                                           "estimated_write_units": event_units.total},
        "calendar_feed_read": {"aws_calls": per_operation(feed_calls, 1)},
        "intake_answers": {"aws_calls": per_operation(intake_calls, 1),
                           "estimated_write_units": intake_units.total},
        "series_of_10_weeks": _series(owner, service["id"], staff),
    }


def _series(owner: Any, service_id: str, staff_id: str) -> dict[str, Any]:
    """Booking a 10-week series of 30-minute visits (one transaction), without its e-mail."""
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.series import booking as series_booking

    customer_id = customers.find_or_create(owner.org_id, customers.CustomerDetails("Series", "s@bench.example"),
                                           SYSTEM)
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=8), time(8), tzinfo=UTC)
    while start.weekday() > 3:
        start += timedelta(days=1)
    wanted = series_booking.SeriesRequest(customer_id, service_id, staff_id, start, 1, 10)
    with counting_calls() as calls, write_units() as units:
        series_booking.book_series(owner, wanted)
    return {"occurrences": 10, "transaction_items": series_booking.check(owner, wanted)["transaction_items"],
            "aws_calls": per_operation(calls, 1), "estimated_write_units": units.total}


class WriteUnits:
    total = 0


@contextmanager
def write_units() -> Iterator[WriteUnits]:
    """Estimated write units of every DynamoDB write made inside the block."""
    units = WriteUnits()
    original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            units.total += _units(operation, params)
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = counted
    try:
        yield units
    finally:
        botocore.client.BaseClient._make_api_call = original


def _units(operation: str, params: dict[str, Any]) -> int:
    if operation == "PutItem":
        return _kb(params.get("Item"))
    if operation in ("UpdateItem", "DeleteItem"):
        return _kb({**params.get("Key", {}), **params.get("ExpressionAttributeValues", {})})
    if operation == "TransactWriteItems":
        total = 0
        for action in params.get("TransactItems", []):
            body = next(iter(action.values()))
            item = body.get("Item") or {**body.get("Key", {}), **body.get("ExpressionAttributeValues", {})}
            total += 2 * _kb(item)
        return total
    if operation == "BatchWriteItem":
        return sum(_kb(r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key"))
                   for requests in params.get("RequestItems", {}).values() for r in requests)
    return 0


def _kb(item: Any) -> int:
    return max(1, math.ceil(len(json.dumps(item or {}, default=str).encode()) / 1024))
