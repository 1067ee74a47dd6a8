"""The owner's export of all of the org's data: asked for here, made by the `org_exports` job (ADR 0013)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body

exports = Blueprint(__name__)


@exports.route("/v1/org/exports", methods=["POST"])
def start_export() -> Response:
    from chalicelib.services.exports import org_export  # the export machinery loads with its first call

    request = exports.current_request
    principal, body = principal_of(request), json_body(request)
    return Response(body={"export": org_export.request_export(principal, body)}, status_code=202)


@exports.route("/v1/org/exports/{export_id}", methods=["GET"])
def get_export(export_id: str) -> dict[str, Any]:
    from chalicelib.services.exports import org_export  # the export machinery loads with its first call

    return {"export": org_export.export_status(principal_of(exports.current_request), export_id)}


@exports.route("/v1/org/exports/{export_id}/stop", methods=["POST"])
def stop_export(export_id: str) -> dict[str, Any]:
    from chalicelib.services.exports import org_export  # the export machinery loads with its first call

    return {"export": org_export.stop_export(principal_of(exports.current_request), export_id)}
