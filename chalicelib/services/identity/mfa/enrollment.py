"""A user adding, listing and removing their own factors; an admin resetting someone else's.

Adding a factor (its first step), removing one and new recovery codes each need a step-up (`reauth.step_up`):
the password and an existing factor proven in this session, the password alone while the user has none."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import Forbidden, InvalidCredentials, StepUpRequired, ValidationFailed
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import reauth, sessions, users
from chalicelib.services.identity.login_outcome import finish_login
from chalicelib.services.identity.mfa import factors, phone, recovery_codes, security_keys, totp
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.roles import Permission, may_assign, require
from chalicelib.services.identity.sessions import Principal


def start_totp(principal: Principal, proof: dict[str, Any]) -> dict[str, Any]:
    enrollment = totp.start_enrollment(_stepped_up(principal, proof))
    return {"factor_id": enrollment.factor_id, "secret": enrollment.secret,
            "otpauth_uri": enrollment.otpauth_uri, "qr_svg": enrollment.qr_svg}


def confirm_totp(principal: Principal, code: str) -> dict[str, Any]:
    user, row = _user(principal), _pending(principal, factors.TOTP)
    totp.confirm(row, code)
    return _activated(principal, user, row)


def start_phone(principal: Principal, kind: str, number: str, language: str,
                proof: dict[str, Any]) -> dict[str, Any]:
    """Enrol a phone for texts (`sms`) or calls (`voice`): a code is sent to prove the number first."""
    channel = phone.CHANNELS[kind]
    if kind not in policy_of(Organization.get(principal.org_id)).mfa_methods:
        raise ValidationFailed("Your organization does not accept this sign-in method.", field="kind")
    row = phone.start_enrollment(channel, _stepped_up(principal, proof), number, language)
    return {"factor_id": row.factor_id, "notice": channel.notice}


def confirm_phone(principal: Principal, kind: str, code: str) -> dict[str, Any]:
    user, row = _user(principal), _pending(principal, kind)
    phone.confirm(row, code)
    return _activated(principal, user, row)


def start_security_key(principal: Principal, proof: dict[str, Any]) -> dict[str, Any]:
    factor_id, options = security_keys.registration_options(_stepped_up(principal, proof))
    return {"factor_id": factor_id, "options": options}


def finish_security_key(principal: Principal, credential: dict[str, Any], label: str | None) -> dict[str, Any]:
    user, row = _user(principal), _pending(principal, factors.WEBAUTHN)
    security_keys.register(row, credential, label)
    return _activated(principal, user, row)


def list_factors(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.OWN_ACCOUNT)
    return [factors.describe(f) for f in factors.factors_of(principal.org_id, principal.user_id)]


def remove_factor(principal: Principal, factor_id: str, proof: dict[str, Any]) -> None:
    """Needs a step-up: the password and a current factor (authenticator, recovery code or security key)."""
    _user(principal)
    row = factors.factor(principal.org_id, principal.user_id, factor_id)
    user = reauth.step_up(principal, "mfa.factor_remove", proof)
    row.delete()
    factors.removed(user, row, user.user_id, principal.origin)


def regenerate_recovery_codes(principal: Principal, proof: dict[str, Any]) -> list[str]:
    """New recovery codes (the old ones stop working); needs a step-up, under the lockout."""
    _user(principal)
    user = reauth.step_up(principal, "mfa.recovery_codes_regenerate", proof)
    codes = recovery_codes.regenerate(user)
    audit.record(user.org_id, user.user_id, "mfa.recovery_codes_regenerated", origin=principal.origin)
    return codes


def reset_user_factors(principal: Principal, user_id: str, proof: dict[str, Any]) -> int:
    """An admin, signed in with a second factor and stepped up now, removes every factor of another user."""
    require(principal.role, Permission.USERS_MANAGE)
    if principal.assurance < 2:
        raise StepUpRequired()
    target = users.find_user(principal.org_id, user_id)
    if user_id == principal.user_id or not may_assign(principal.role, target.role):
        raise Forbidden()
    reauth.step_up(principal, "mfa.factor_reset", proof)
    rows = factors.factors_of(principal.org_id, user_id, active_only=False)
    for row in rows:
        row.delete()
        factors.removed(target, row, principal.user_id, principal.origin)
    users.cut_access(target)  # sessions, pending challenges and setup token end with the factors
    return len(rows)


def _user(principal: Principal) -> User:
    require(principal.role, Permission.OWN_ACCOUNT)
    return users.find_user(principal.org_id, principal.user_id)


def _stepped_up(principal: Principal, proof: dict[str, Any]) -> User:
    """The caller, once the step-up of adding a factor holds (in an enroll-only session too)."""
    _user(principal)
    return reauth.step_up(principal, "mfa.factor_enroll", proof)


def _pending(principal: Principal, kind: str) -> MfaFactor:
    """The newest enrollment of `kind` still waiting for confirmation."""
    rows = [f for f in factors.factors_of(principal.org_id, principal.user_id, kind, active_only=False)
            if f.status == factors.PENDING]
    if not rows:
        raise InvalidCredentials("Nothing is waiting for confirmation; start the enrollment again.")
    return max(rows, key=lambda f: f.created_at)


def _activated(principal: Principal, user: User, row: MfaFactor) -> dict[str, Any]:
    """Announce the factor; the first one brings recovery codes and ends an enroll-only session."""
    factors.activated(user, row, principal.origin)
    answer: dict[str, Any] = {"factor": factors.describe(row)}
    if not factors.factors_of(user.org_id, user.user_id, factors.RECOVERY):
        answer["recovery_codes"] = recovery_codes.regenerate(user)
    if principal.kind == sessions.MFA_ENROLL:  # the login goes on: a password change first if it expired
        sessions.end_sessions_of(user.org_id, user.user_id)
        policy = policy_of(Organization.get(user.org_id))
        answer.update(finish_login(user, policy, principal.origin, assurance=2, factor=row.kind).as_dict())
    return answer
