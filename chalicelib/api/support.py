"""Vendor support access: the vendor's asks, the clinic's decisions, and the support person's
read-only views (with the token of a live grant; without one, every one of them is 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import bearer_token, json_body, origin_of, parse_instant, query_param
from chalicelib.errors import ValidationFailed
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.support import grants, reads, sessions

support = Blueprint(__name__)


# --- the vendor's support people (a session of SafeSlot's vendor org, with a second factor) -------------

@support.route("/v1/support/access-requests", methods=["POST"])
def request_access() -> Response:
    agent, body = principal_of(support.current_request), json_body(support.current_request)
    return Response(body={"grant": grants.request_access(agent, _ask(body))}, status_code=201)


@support.route("/v1/support/break-glass", methods=["POST"])
def start_break_glass() -> Response:
    agent, body = principal_of(support.current_request), json_body(support.current_request)
    return Response(body={"grant": grants.start_break_glass(agent, _ask(body))}, status_code=201)


@support.route("/v1/support/break-glass/{grant_id}/confirm", methods=["POST"])
def confirm_break_glass(grant_id: str) -> dict[str, Any]:
    return {"grant": grants.confirm_break_glass(principal_of(support.current_request), grant_id)}


@support.route("/v1/support/grants/{grant_id}/session", methods=["POST"])
def open_support_session(grant_id: str) -> Response:
    return Response(body=sessions.open_session(principal_of(support.current_request), grant_id), status_code=201)


# --- the support principal: read-only, while the grant lives ---------------------------------------------

@support.route("/v1/support/bookings", methods=["GET"])
def support_calendar() -> dict[str, Any]:
    caller = _support_caller()
    return {"bookings": reads.calendar(caller, _instant("from"), _instant("to"))}


@support.route("/v1/support/bookings/{booking_id}", methods=["GET"])
def support_booking(booking_id: str) -> dict[str, Any]:
    return {"booking": reads.booking(_support_caller(), booking_id)}


@support.route("/v1/support/customers/{customer_id}", methods=["GET"])
def support_customer(customer_id: str) -> dict[str, Any]:
    return {"customer": reads.customer(_support_caller(), customer_id)}


@support.route("/v1/support/services", methods=["GET"])
def support_services() -> dict[str, Any]:
    return {"services": reads.services(_support_caller())}


# --- the clinic: owners and admins decide; auditors see -----------------------------------------------

@support.route("/v1/org/support-grants", methods=["GET"])
def list_support_grants() -> dict[str, Any]:
    return {"grants": grants.list_grants(principal_of(support.current_request))}


@support.route("/v1/org/support-grants/{grant_id}", methods=["GET"])
def get_support_grant(grant_id: str) -> dict[str, Any]:
    return grants.activity(principal_of(support.current_request), grant_id)


@support.route("/v1/org/support-grants/{grant_id}/approve", methods=["POST"])
def approve_support_grant(grant_id: str) -> dict[str, Any]:
    principal, body = principal_of(support.current_request), json_body(support.current_request)
    return {"grant": grants.approve(principal, grant_id, body)}


@support.route("/v1/org/support-grants/{grant_id}/refuse", methods=["POST"])
def refuse_support_grant(grant_id: str) -> dict[str, Any]:
    return {"grant": grants.refuse(principal_of(support.current_request), grant_id)}


@support.route("/v1/org/support-grants/{grant_id}/revoke", methods=["POST"])
def revoke_support_grant(grant_id: str) -> dict[str, Any]:
    return {"grant": grants.revoke(principal_of(support.current_request), grant_id)}


@support.route("/v1/org/support-grants/{grant_id}/review", methods=["POST"])
def review_support_grant(grant_id: str) -> dict[str, Any]:
    return {"grant": grants.review(principal_of(support.current_request), grant_id)}


def _support_caller() -> Principal:
    request = support.current_request
    assert request is not None
    return sessions.support_principal(bearer_token(request), origin_of(request))


def _ask(body: dict[str, Any]) -> grants.AccessAsk:
    return grants.AccessAsk(org_slug=body["org"], reason=body["reason"], hours=body["hours"],
                            notes=bool(body.get("notes", False)))


def _instant(name: str) -> datetime:
    value = parse_instant(query_param(support.current_request, name), name)
    if value is None:
        raise ValidationFailed(f"Parameter '{name}' is required.", field=name)
    return value
