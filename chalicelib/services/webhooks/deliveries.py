"""Booking events to webhook endpoints: queued by the request, posted and retried by the queue's consumer.

`announce` runs after a booking change committed: for each endpoint that wants the event it writes one
delivery row (keyed by endpoint and event, so a retried request queues it once) and puts one message on
the mail queue (ADR 0016's queue, consumer and dead-letter queue; `jobs/queued_mail.handle` dispatches it
here). `deliver` signs the stored body with the endpoint's secret and the time of the attempt, posts it to
the re-checked address, and on a failure queues the next attempt with a growing delay (SQS DelaySeconds)
until MAX_ATTEMPTS; every outcome is on the audit chain and in `GET /v1/webhooks/{id}/deliveries`.

A payload holds ids and times only; the owner may opt an endpoint in to the service's and the staff
member's names. Never a patient's details: those stay behind the API and its audited reads.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.logs import logger
from chalicelib.models.booking import Booking
from chalicelib.models.webhook import WebhookDelivery, WebhookEndpoint
from chalicelib.services import audit, mail_queue
from chalicelib.services.booking import catalog
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.webhooks import destinations, signing
from chalicelib.services.webhooks.endpoints import cached_endpoints, get_endpoint

QUEUE_KIND = "webhook_delivery"
BACKOFF_SECONDS = (30, 120, 480, 900, 900)  # after attempts 1..5; SQS delays at most 900 s
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
KEEP = timedelta(days=30)
SHOWN = 100
PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"
ACTOR = "webhooks"


def announce(event_type: str, org_id: str, booking_id: str) -> int:
    """Queue `event_type` of the booking for every endpoint of its org that wants it; how many were queued.
    Never fails the request whose change already committed: a failure here is logged (kind only)."""
    try:
        wanting = [e for e in cached_endpoints(org_id) if event_type in (e.events or [])]
        if not wanting:
            return 0  # no call for an org without endpoints (cached, ADR 0020); a Query every 5 s at most
        return _announce(event_type, Booking.get(org_id, booking_id, consistent_read=True), wanting)
    except Exception as error:  # the booking stands; operators see the kind of failure
        logger.warning("webhook event not queued", extra={"error_type": type(error).__name__})
        return 0


def _announce(event_type: str, booking: Booking, wanting: list[WebhookEndpoint]) -> int:
    event_id = f"{booking.booking_id}.{int(booking.sequence)}.{event_type}"
    queued = 0
    for endpoint in wanting:
        delivery = WebhookDelivery(
            booking.org_id, f"{endpoint.endpoint_id}/{event_id}", endpoint_id=endpoint.endpoint_id,
            event_type=event_type, payload=_payload(event_id, event_type, booking, endpoint), status=PENDING,
            attempts=0, created_at=clock.now(), ttl=int((clock.now() + KEEP).timestamp()))
        try:
            delivery.save(condition=WebhookDelivery.delivery_id.does_not_exist())
        except PutError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                continue  # this event was queued for this endpoint already (a retried request)
            raise
        _enqueue(booking.org_id, delivery.delivery_id, delay=0)
        queued += 1
    return queued


def is_delivery_message(body: str) -> bool:
    """Whether a queued body is a delivery (the mail queue carries both)."""
    try:
        fields = json.loads(body)
    except ValueError:
        return False
    return isinstance(fields, dict) and fields.get("kind") == QUEUE_KIND


def handle_message(body: str) -> None:
    """The queue consumer's entry (ValueError for a body this code did not write)."""
    fields: Any = json.loads(body)
    if not isinstance(fields, dict) or fields.get("kind") != QUEUE_KIND:
        raise ValueError("not a webhook delivery")
    org_id, delivery_id = fields.get("org_id"), fields.get("delivery_id")
    if not isinstance(org_id, str) or not isinstance(delivery_id, str):
        raise ValueError("not a webhook delivery")
    deliver(org_id, delivery_id)


def deliver(org_id: str, delivery_id: str) -> str:
    """One attempt of a pending delivery; returns its status afterwards."""
    try:
        delivery = WebhookDelivery.get(org_id, delivery_id, consistent_read=True)
    except WebhookDelivery.DoesNotExist:
        return DROPPED
    if delivery.status != PENDING:
        return str(delivery.status)  # a duplicate message: SQS delivers at least once
    try:
        endpoint = WebhookEndpoint.get(org_id, delivery.endpoint_id, consistent_read=True)
    except WebhookEndpoint.DoesNotExist:
        return _finish(delivery, DROPPED, None, "endpoint_removed")
    status_code, error = _attempt(endpoint, delivery)
    if error is None and status_code is not None and 200 <= status_code < 300:
        return _finish(delivery, DELIVERED, status_code, None)
    attempts = int(delivery.attempts) + 1
    if attempts >= MAX_ATTEMPTS:
        return _finish(delivery, FAILED, status_code, error)
    delay = BACKOFF_SECONDS[attempts - 1]
    if not _record(delivery, PENDING, status_code, error, next_at=clock.now() + timedelta(seconds=delay)):
        return str(delivery.status)
    _enqueue(org_id, delivery_id, delay=delay)
    return PENDING


def list_deliveries(principal: Principal, endpoint_id: str) -> list[dict[str, Any]]:
    """The endpoint's deliveries of the last 30 days, newest first (at most 100)."""
    require(principal.role, Permission.ORG_EXPORT)
    get_endpoint(principal.org_id, endpoint_id)
    found = list(WebhookDelivery.query(principal.org_id, WebhookDelivery.delivery_id.startswith(f"{endpoint_id}/")))
    found.sort(key=lambda d: d.created_at, reverse=True)
    return [delivery_view(d) for d in found[:SHOWN]]


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": delivery.delivery_id.split("/", 1)[1], "event": delivery.event_type, "status": delivery.status,
            "attempts": int(delivery.attempts), "last_status_code": _int(delivery.last_status_code),
            "last_error": delivery.last_error, "created_at": clock.isoformat(delivery.created_at),
            "next_attempt_at": _iso(delivery.next_attempt_at), "finished_at": _iso(delivery.finished_at)}


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    """(status code, kind of failure); the address is checked again (it may have moved inside)."""
    body = delivery.payload.encode()
    try:
        destination = destinations.checked(endpoint.url)
    except ValidationFailed:
        return None, "destination_refused"
    headers = {"Content-Type": "application/json", "User-Agent": "SafeSlot-Webhooks/1",
               signing.SIGNATURE_HEADER: signing.signature(endpoint.unseal()["secret"], int(time.time()), body),
               signing.DELIVERY_HEADER: delivery.delivery_id.split("/", 1)[1],
               signing.EVENT_HEADER: delivery.event_type}
    try:
        status_code = destinations.post(destination, body, headers)
    except TimeoutError:
        return None, "timeout"
    except OSError as error:  # refused, reset, TLS failures (ssl.SSLError is an OSError)
        return None, type(error).__name__
    except Exception as error:  # a malformed answer (http.client.HTTPException)
        return None, type(error).__name__
    return status_code, None if 200 <= status_code < 300 else f"http_{status_code}"


def _finish(delivery: WebhookDelivery, status: str, status_code: int | None, error: str | None) -> str:
    if not _record(delivery, status, status_code, error, finished=True):
        return str(delivery.status)
    action = {DELIVERED: "webhook.delivered", FAILED: "webhook.delivery_failed"}.get(status, "webhook.dropped")
    audit.record(delivery.org_id, ACTOR, action, outcome="success" if status == DELIVERED else "failure",
                 subjects={"endpoint_id": delivery.endpoint_id, "delivery_id": delivery.delivery_id,
                           "attempts": str(int(delivery.attempts))})  # as recorded (update reads it back)
    return status


def _record(delivery: WebhookDelivery, status: str, status_code: int | None, error: str | None,
            next_at: Any = None, finished: bool = False) -> bool:
    """Write the attempt's outcome, only if no other consumer recorded this attempt first."""
    counted = 0 if status == DROPPED else 1
    actions: list[Action] = [WebhookDelivery.status.set(status),
                             WebhookDelivery.attempts.set(int(delivery.attempts) + counted)]
    actions.append(WebhookDelivery.last_status_code.set(status_code) if status_code is not None
                   else WebhookDelivery.last_status_code.remove())
    actions.append(WebhookDelivery.last_error.set(error) if error else WebhookDelivery.last_error.remove())
    actions.append(WebhookDelivery.next_attempt_at.set(next_at) if next_at
                   else WebhookDelivery.next_attempt_at.remove())
    if finished:
        actions.append(WebhookDelivery.finished_at.set(clock.now()))
    try:
        delivery.update(actions=actions, condition=(WebhookDelivery.attempts == delivery.attempts)
                        & (WebhookDelivery.status == PENDING))
    except UpdateError as failure:
        if getattr(failure, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _payload(event_id: str, event_type: str, booking: Booking, endpoint: WebhookEndpoint) -> str:
    data: dict[str, Any] = {
        "booking_id": booking.booking_id, "service_id": booking.service_id, "staff_id": booking.staff_id,
        "customer_id": booking.customer_id, "start": clock.isoformat(booking.starts_at),
        "end": clock.isoformat(booking.ends_at), "status": booking.status, "sequence": int(booking.sequence)}
    if endpoint.include_names:
        data["service_name"] = catalog.get_service(booking.org_id, booking.service_id).name
        data["staff_name"] = catalog.get_staff(booking.org_id, booking.staff_id).display_name
    return json.dumps({"id": event_id, "type": event_type, "created_at": clock.isoformat(clock.now()),
                       "data": data}, separators=(",", ":"), sort_keys=True)


def _enqueue(org_id: str, delivery_id: str, delay: int) -> None:
    body = json.dumps({"kind": QUEUE_KIND, "org_id": org_id, "delivery_id": delivery_id}, separators=(",", ":"))
    mail_queue.send(body, delay_seconds=delay)


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _iso(value: Any) -> str | None:
    return clock.isoformat(value) if value is not None else None
