"""Staff routes for transparency: the org's privacy-policy versions and settings, and a customer's
access report produced on their behalf."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, parse_instant
from chalicelib.services import access_report, policy_audience, privacy_policies, transparency_settings

org_transparency = Blueprint(__name__)


@org_transparency.route("/v1/org/privacy-policies", methods=["GET"])
def list_privacy_policies() -> dict[str, Any]:
    return {"versions": privacy_policies.list_versions(principal_of(org_transparency.current_request))}


@org_transparency.route("/v1/org/privacy-policies", methods=["POST"])
def publish_privacy_policy() -> Response:
    request = org_transparency.current_request
    principal, body = principal_of(request), json_body(request)
    new = privacy_policies.NewPolicy(text=body["text"], summary=body["summary"],
                                     source_format=body.get("format", "markdown"),
                                     effective_at=parse_instant(body.get("effective_at"), "effective_at"))
    return Response(body={"version": privacy_policies.publish(principal, new)}, status_code=201)


@org_transparency.route("/v1/org/privacy-policies/{version}/notices", methods=["GET"])
def privacy_policy_notices(version: str) -> dict[str, Any]:
    return {"notices": policy_audience.who_was_told(principal_of(org_transparency.current_request), version)}


@org_transparency.route("/v1/org/transparency-settings", methods=["GET"])
def get_transparency_settings() -> dict[str, Any]:
    return transparency_settings.read_settings(principal_of(org_transparency.current_request))


@org_transparency.route("/v1/org/transparency-settings", methods=["PUT"])
def put_transparency_settings() -> dict[str, Any]:
    request = org_transparency.current_request
    return transparency_settings.change_settings(principal_of(request), json_body(request))


@org_transparency.route("/v1/customers/{customer_id}/access-report", methods=["GET"])
def customer_access_report(customer_id: str) -> dict[str, Any]:
    return access_report.report_for_staff(principal_of(org_transparency.current_request), customer_id)
