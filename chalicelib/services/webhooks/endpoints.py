"""Registering, listing and removing an org's webhook endpoints (the owner only: booking events leave
the org to another system, the same trust decision as an org export)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.models.webhook import WebhookEndpoint
from chalicelib.services import audit, hot_cache
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.webhooks import destinations

EVENTS = ("booking.created", "booking.rescheduled", "booking.cancelled")
MAX_ENDPOINTS = 10
CACHE_NAME = "webhook_endpoints"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def register(principal: Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new endpoint; the answer holds its signing secret, shown this once."""
    require(principal.role, Permission.ORG_EXPORT)
    destinations.checked(fields["url"])  # 422 for http://, private, loopback or link-local destinations
    events = list(dict.fromkeys(fields.get("events") or EVENTS))
    if not set(events) <= set(EVENTS):
        raise ValidationFailed(f"'events' may name only {', '.join(EVENTS)}.", field="events")
    if sum(1 for _ in WebhookEndpoint.query(principal.org_id)) >= MAX_ENDPOINTS:
        raise ValidationFailed(f"At most {MAX_ENDPOINTS} endpoints per clinic.", field="url")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(principal.org_id, uuid.uuid4().hex, url=fields["url"], events=events,
                               include_names=bool(fields.get("include_names", False)), created_at=clock.now(),
                               created_by=principal.user_id)
    endpoint.seal({"secret": secret})
    created = audit.entry(principal.org_id, principal.user_id, "webhook.registered", origin=principal.origin,
                          subjects={"endpoint_id": endpoint.endpoint_id})
    with audit.audited_transaction(created) as tx:
        tx.save(endpoint, condition=WebhookEndpoint.endpoint_id.does_not_exist())
    hot_cache.forget(principal.org_id, CACHE_NAME)
    return {**endpoint_view(endpoint), "secret": secret}


def list_endpoints(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.ORG_EXPORT)
    return [endpoint_view(e) for e in WebhookEndpoint.query(principal.org_id)]


def remove(principal: Principal, endpoint_id: str) -> None:
    """Delete the endpoint; its pending deliveries are dropped when their turn comes."""
    require(principal.role, Permission.ORG_EXPORT)
    endpoint = get_endpoint(principal.org_id, endpoint_id)
    removed = audit.entry(principal.org_id, principal.user_id, "webhook.removed", origin=principal.origin,
                          subjects={"endpoint_id": endpoint_id})
    with audit.audited_transaction(removed) as tx:
        tx.delete(endpoint)
    hot_cache.forget(principal.org_id, CACHE_NAME)


def cached_endpoints(org_id: str) -> list[WebhookEndpoint]:
    """The org's endpoints from the hot-path cache (ADR 0020): a booking's `announce` reads none per request.
    A change in this process is seen at once; one made in another Lambda within hot_cache.TTL_SECONDS."""
    return hot_cache.cached_rows(org_id, CACHE_NAME, WebhookEndpoint, lambda: list(WebhookEndpoint.query(org_id)))


def get_endpoint(org_id: str, endpoint_id: str) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.get(org_id, endpoint_id, consistent_read=True)
    except WebhookEndpoint.DoesNotExist as error:
        raise NotFound("No such webhook endpoint.") from error


def endpoint_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.endpoint_id, "url": endpoint.url, "events": list(endpoint.events or []),
            "include_names": bool(endpoint.include_names), "created_at": clock.isoformat(endpoint.created_at)}
