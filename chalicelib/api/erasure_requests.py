"""Staff routes for patients' erasure requests (customers.erase: owners and admins)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, query_param
from chalicelib.services.self_service import erasure_requests as requests

erasure_requests = Blueprint(__name__)


@erasure_requests.route("/v1/erasure-requests", methods=["GET"])
def list_erasure_requests() -> dict[str, Any]:
    request = erasure_requests.current_request
    return {"erasure_requests": requests.staff_list(principal_of(request), query_param(request, "status"))}


@erasure_requests.route("/v1/erasure-requests/{request_id}/refuse", methods=["POST"])
def refuse_erasure_request(request_id: str) -> dict[str, Any]:
    request = erasure_requests.current_request
    principal = principal_of(request)
    reason = json_body(request)["reason"]
    return {"erasure_request": requests.refuse(principal, request_id, reason)}
