"""Routes of second factors: the login's second step, and enrolling, listing and removing factors."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, origin_of
from chalicelib.services.identity import authentication, privileged, reauth
from chalicelib.services.identity.mfa import duo, enrollment, factors
from chalicelib.services.identity.sessions import MFA_ENROLL, Principal

mfa = Blueprint(__name__)


def enrolling() -> Principal:
    """Full sessions, and the enroll-only session of a user whose org requires a factor."""
    return principal_of(mfa.current_request, also_allow=[MFA_ENROLL])


def step_up_proof() -> dict[str, Any]:
    """The step-up fields of the body (`password`, `code`, `credential`); none when the body is empty (a
    step-up already recorded on the session is then used)."""
    request = mfa.current_request
    assert request is not None
    body = json_body(request) if request.raw_body else {}
    return {k: body[k] for k in ("password", "code", "credential") if k in body}


@mfa.route("/v1/auth/mfa/verify", methods=["POST"])
def verify() -> dict[str, Any]:
    body = json_body(mfa.current_request)
    return authentication.verify_second_factor(
        body["mfa_token"], body["method"], body.get("code"), body.get("credential"), origin_of(mfa.current_request),
        state=body.get("state"),
    ).as_dict()


@mfa.route("/v1/auth/mfa/sms/send", methods=["POST"])
def send_login_sms() -> Response:
    return send_login_code(factors.SMS)


@mfa.route("/v1/auth/mfa/voice/call", methods=["POST"])
def call_with_login_code() -> Response:
    return send_login_code(factors.VOICE)


def send_login_code(kind: str) -> Response:
    authentication.send_login_code(json_body(mfa.current_request)["mfa_token"], kind)
    return Response(body="", status_code=204)


@mfa.route("/v1/auth/mfa/duo/start", methods=["POST"])
def open_duo_prompt() -> dict[str, Any]:
    body = json_body(mfa.current_request)
    return authentication.open_duo_prompt(body["mfa_token"], origin_of(mfa.current_request))


@mfa.route("/v1/auth/mfa/webauthn/options", methods=["POST"])
def login_key_options() -> dict[str, Any]:
    return {"options": authentication.login_key_options(json_body(mfa.current_request)["mfa_token"])}


@mfa.route("/v1/auth/mfa/webauthn/reauth-options", methods=["POST"])
def fresh_key_options() -> dict[str, Any]:
    """A security key's challenge for a fresh second factor inside this session (export, deletion, support)."""
    return {"options": reauth.security_key_options(principal_of(mfa.current_request))}


@mfa.route("/v1/auth/step-up", methods=["POST"])
def step_up() -> dict[str, Any]:
    """Prove the password and an existing factor now; the session may do sensitive acts for 5 minutes."""
    principal = enrolling()
    return reauth.do_step_up(principal, step_up_proof())


@mfa.route("/v1/auth/mfa/totp/enroll", methods=["POST"])
def enroll_totp() -> dict[str, Any]:
    principal = enrolling()
    return enrollment.start_totp(principal, step_up_proof())


@mfa.route("/v1/auth/mfa/totp/confirm", methods=["POST"])
def confirm_totp() -> dict[str, Any]:
    principal = enrolling()
    return enrollment.confirm_totp(principal, json_body(mfa.current_request)["code"])


@mfa.route("/v1/auth/mfa/sms/enroll", methods=["POST"])
def enroll_sms() -> dict[str, Any]:
    return enroll_phone(factors.SMS)


@mfa.route("/v1/auth/mfa/voice/enroll", methods=["POST"])
def enroll_voice() -> dict[str, Any]:
    return enroll_phone(factors.VOICE)


@mfa.route("/v1/auth/mfa/sms/confirm", methods=["POST"])
def confirm_sms() -> dict[str, Any]:
    return confirm_phone(factors.SMS)


@mfa.route("/v1/auth/mfa/voice/confirm", methods=["POST"])
def confirm_voice() -> dict[str, Any]:
    return confirm_phone(factors.VOICE)


def enroll_phone(kind: str) -> dict[str, Any]:
    principal = enrolling()
    body = json_body(mfa.current_request)
    return enrollment.start_phone(principal, kind, body["phone"], body.get("language", "en"), step_up_proof())


def confirm_phone(kind: str) -> dict[str, Any]:
    principal = enrolling()
    return enrollment.confirm_phone(principal, kind, json_body(mfa.current_request)["code"])


@mfa.route("/v1/auth/mfa/webauthn/register/options", methods=["POST"])
def security_key_options() -> dict[str, Any]:
    principal = enrolling()
    return enrollment.start_security_key(principal, step_up_proof())


@mfa.route("/v1/auth/mfa/webauthn/register", methods=["POST"])
def register_security_key() -> dict[str, Any]:
    principal = enrolling()
    body = json_body(mfa.current_request)
    return enrollment.finish_security_key(principal, body["credential"], body.get("label"))


@mfa.route("/v1/auth/mfa/factors", methods=["GET"])
def list_factors() -> dict[str, Any]:
    return {"factors": enrollment.list_factors(principal_of(mfa.current_request))}


@mfa.route("/v1/auth/mfa/factors/{factor_id}", methods=["DELETE"])
def remove_factor(factor_id: str) -> Response:
    principal = principal_of(mfa.current_request)
    enrollment.remove_factor(principal, factor_id, step_up_proof())
    return Response(body="", status_code=204)


@mfa.route("/v1/auth/mfa/recovery-codes", methods=["POST"])
def regenerate_recovery_codes() -> dict[str, Any]:
    principal = principal_of(mfa.current_request)
    return {"recovery_codes": enrollment.regenerate_recovery_codes(principal, step_up_proof())}


@mfa.route("/v1/users/{user_id}/mfa/reset", methods=["POST"])
def reset_user_factors(user_id: str) -> dict[str, Any]:
    principal = principal_of(mfa.current_request)
    return {"removed": enrollment.reset_user_factors(principal, user_id, step_up_proof())}


@mfa.route("/v1/org/duo", methods=["GET"])
def read_duo() -> dict[str, Any]:
    return duo.read(principal_of(mfa.current_request))


@mfa.route("/v1/org/duo", methods=["PUT"])
def configure_duo() -> dict[str, Any]:
    return privileged.configure_duo(principal_of(mfa.current_request), json_body(mfa.current_request))


@mfa.route("/v1/org/duo", methods=["DELETE"])
def remove_duo() -> Response:
    privileged.remove_duo(principal_of(mfa.current_request))
    return Response(body="", status_code=204)
