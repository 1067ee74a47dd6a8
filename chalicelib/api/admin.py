"""Routes for owners, admins and auditors: users, the security policy, login attempts, the audit trail."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, parse_instant, query_param
from chalicelib.errors import ValidationFailed
from chalicelib.services import audit
from chalicelib.services.identity import login_attempts, privileged, user_sessions, users
from chalicelib.services.identity.policy import read_policy
from chalicelib.services.identity.roles import Permission, require

admin = Blueprint(__name__)


@admin.route("/v1/users", methods=["GET"])
def list_users() -> dict[str, Any]:
    return {"users": users.list_users(principal_of(admin.current_request))}


@admin.route("/v1/users", methods=["POST"])
def create_user() -> Response:
    principal = principal_of(admin.current_request)
    body = json_body(admin.current_request)
    created = privileged.create_user(principal, body["email"], body["name"], body["role"])
    return Response(body={"user": created}, status_code=201)  # the setup token goes to the user by e-mail


@admin.route("/v1/users/{user_id}", methods=["GET"])
def get_user(user_id: str) -> dict[str, Any]:
    return {"user": users.get_user(principal_of(admin.current_request), user_id)}


@admin.route("/v1/users/{user_id}", methods=["PATCH"])
def update_user(user_id: str) -> dict[str, Any]:
    principal = principal_of(admin.current_request)
    return {"user": privileged.update_user(principal, user_id, json_body(admin.current_request))}


@admin.route("/v1/users/{user_id}/reset", methods=["POST"])
def start_reset(user_id: str) -> Response:
    users.start_reset(principal_of(admin.current_request), user_id)  # the token goes to the user by e-mail
    return Response(body="", status_code=202)


@admin.route("/v1/users/{user_id}/unlock", methods=["POST"])
def unlock(user_id: str) -> Response:
    users.unlock(principal_of(admin.current_request), user_id)
    return Response(body="", status_code=204)


@admin.route("/v1/users/{user_id}/sessions", methods=["DELETE"])
def end_user_sessions(user_id: str) -> dict[str, Any]:
    return {"ended": users.end_user_sessions(principal_of(admin.current_request), user_id)}


@admin.route("/v1/users/{user_id}/sessions", methods=["GET"])
def list_user_sessions(user_id: str) -> dict[str, Any]:
    return {"sessions": user_sessions.list_user_sessions(principal_of(admin.current_request), user_id)}


@admin.route("/v1/users/{user_id}/sessions/{session_id}", methods=["DELETE"])
def end_user_session(user_id: str, session_id: str) -> Response:
    user_sessions.end_user_session(principal_of(admin.current_request), user_id, session_id)
    return Response(body="", status_code=204)


@admin.route("/v1/org/security-policy", methods=["GET"])
def get_security_policy() -> dict[str, Any]:
    return read_policy(principal_of(admin.current_request)).as_dict()


@admin.route("/v1/org/security-policy", methods=["PUT"])
def put_security_policy() -> dict[str, Any]:
    principal = principal_of(admin.current_request)
    return privileged.change_security_policy(principal, json_body(admin.current_request)).as_dict()


@admin.route("/v1/login-attempts", methods=["GET"])
def list_login_attempts() -> dict[str, Any]:
    principal = principal_of(admin.current_request)
    require(principal.role, Permission.LOGIN_ATTEMPTS_READ)
    query = login_attempts.AttemptFilter(
        user_id=query_param(admin.current_request, "user_id"),
        outcome=_one_of(query_param(admin.current_request, "outcome"), login_attempts.OUTCOMES, "outcome"),
        **_window(),
    )
    return {"attempts": login_attempts.list_attempts(principal.org_id, query, principal.user_id, principal.origin)}


@admin.route("/v1/audit-events", methods=["GET"])
def list_audit_events() -> dict[str, Any]:
    principal = principal_of(admin.current_request)
    require(principal.role, Permission.AUDIT_READ)
    query = audit.EventFilter(
        actor=query_param(admin.current_request, "actor"),
        action=query_param(admin.current_request, "action"),
        customer_id=query_param(admin.current_request, "customer_id"),
        **_window(),
    )
    return {"events": audit.list_events(principal.org_id, query, principal.user_id, principal.origin)}


@admin.route("/v1/audit-events/verify", methods=["GET"])
def verify_audit_chain() -> dict[str, Any]:
    principal = principal_of(admin.current_request)
    require(principal.role, Permission.AUDIT_READ)
    return audit.verify(principal.org_id, principal.user_id, principal.origin).__dict__


def _window() -> dict[str, Any]:
    """`from`, `to` and `limit` of a listing's query string, checked."""
    request = admin.current_request
    return {"since": parse_instant(query_param(request, "from"), "from"),
            "until": parse_instant(query_param(request, "to"), "to"),
            "limit": _limit(query_param(request, "limit"))}


def _one_of(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationFailed(f"Parameter '{name}' must be one of {', '.join(allowed)}.", field=name)
    return value


def _limit(value: str | None) -> int:
    if value is None:
        return 100
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 500:  # "²".isdigit() is True
        raise ValidationFailed("Parameter 'limit' must be 1 to 500.", field="limit")
    return int(value)
