"""Routes of one's own account: login, password set-up and change, sessions, logout."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, origin_of
from chalicelib.api.session_cookie import session_token
from chalicelib.services.identity import authentication, own_account, password_reset
from chalicelib.services.identity.sessions import MFA_ENROLL, PASSWORD_CHANGE

auth = Blueprint(__name__)
FORGOT_ANSWER = "If this address belongs to an account, a reset code is on its way; it works for 30 minutes."


def no_content() -> Response:
    return Response(body="", status_code=204)


@auth.route("/v1/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    request = auth.current_request
    body = json_body(request)
    return authentication.login(body["org"], body["email"], body["password"], origin_of(request)).as_dict()


@auth.route("/v1/auth/setup", methods=["POST"])
def set_up_password() -> Response:
    body = json_body(auth.current_request)
    authentication.set_password_with_setup_token(body["token"], body["password"], origin_of(auth.current_request))
    return no_content()


@auth.route("/v1/auth/password", methods=["POST"])
def change_password() -> Response | dict[str, Any]:
    principal = principal_of(auth.current_request, also_allow=[PASSWORD_CHANGE])
    body = json_body(auth.current_request)
    factor: dict[str, Any] = {k: body[k] for k in ("code", "credential") if k in body}
    result = authentication.change_password(principal, body["current_password"], body["new_password"], factor)
    return result.as_dict() if result.token else no_content()


@auth.route("/v1/auth/logout", methods=["POST"])
def logout() -> Response:
    principal = principal_of(auth.current_request, also_allow=[PASSWORD_CHANGE, MFA_ENROLL])
    authentication.logout(principal, session_token(auth.current_request) or "")
    return no_content()


@auth.route("/v1/auth/sessions", methods=["GET"])
def list_sessions() -> dict[str, Any]:
    return {"sessions": authentication.own_sessions(principal_of(auth.current_request))}


@auth.route("/v1/auth/sessions", methods=["DELETE"])
def end_other_sessions() -> dict[str, Any]:
    """Sign out everywhere else: every session of the caller but this one ends (after a step-up)."""
    request = auth.current_request
    assert request is not None
    principal = principal_of(request)
    body = json_body(request) if request.raw_body else {}
    proof: dict[str, Any] = {k: body[k] for k in ("password", "code", "credential") if k in body}
    return {"ended": own_account.end_my_other_sessions(principal, proof)}


@auth.route("/v1/auth/sessions/{session_id}", methods=["DELETE"])
def end_session(session_id: str) -> Response:
    authentication.end_own_session(principal_of(auth.current_request), session_id)
    return no_content()


@auth.route("/v1/auth/password/forgot", methods=["POST"])
def forgot_password() -> Response:
    body = json_body(auth.current_request)
    password_reset.request_reset(body["org"], body["email"], origin_of(auth.current_request))
    return Response(body={"message": FORGOT_ANSWER}, status_code=202)  # the same for every address


@auth.route("/v1/auth/me", methods=["GET"])
def my_details() -> dict[str, Any]:
    return {"user": own_account.my_details(principal_of(auth.current_request))}


@auth.route("/v1/auth/me", methods=["PATCH"])
def rename_me() -> dict[str, Any]:
    principal = principal_of(auth.current_request)
    return {"user": own_account.rename_me(principal, json_body(auth.current_request)["name"])}


@auth.route("/v1/auth/me/sign-ins", methods=["GET"])
def my_sign_ins() -> dict[str, Any]:
    return {"sign_ins": own_account.my_sign_ins(principal_of(auth.current_request))}
