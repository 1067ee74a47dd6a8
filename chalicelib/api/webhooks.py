"""The owner's webhook endpoints (issue 29): register, list, remove, and each one's deliveries."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body
from chalicelib.services.webhooks import deliveries, endpoints

webhooks = Blueprint(__name__)


@webhooks.route("/v1/webhooks", methods=["POST"])
def register_webhook() -> Response:
    request = webhooks.current_request
    principal = principal_of(request)
    return Response(body={"webhook": endpoints.register(principal, json_body(request))}, status_code=201)


@webhooks.route("/v1/webhooks", methods=["GET"])
def list_webhooks() -> dict[str, Any]:
    return {"webhooks": endpoints.list_endpoints(principal_of(webhooks.current_request))}


@webhooks.route("/v1/webhooks/{endpoint_id}", methods=["DELETE"])
def remove_webhook(endpoint_id: str) -> Response:
    endpoints.remove(principal_of(webhooks.current_request), endpoint_id)
    return Response(body="", status_code=204)


@webhooks.route("/v1/webhooks/{endpoint_id}/deliveries", methods=["GET"])
def list_webhook_deliveries(endpoint_id: str) -> dict[str, Any]:
    return {"deliveries": deliveries.list_deliveries(principal_of(webhooks.current_request), endpoint_id)}
