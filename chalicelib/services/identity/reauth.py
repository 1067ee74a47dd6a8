"""Checking a secret again inside a session, and the one step-up that every sensitive act needs.

A stolen session must not become a password oracle: each check takes a lockout try first, exactly like
a login (ASVS 6.3.1, NIST SP 800-63B 5.2.2). Failures are logged and audited, and the failure that
reaches the threshold locks the account and ends every session of the user.

A step-up (ADR 0015) proves, inside the session, the password AND an existing factor (an authenticator
code, a recovery code or a security key's answer; the password alone only while the user has no factor
at all). It is needed to add or remove a factor, to get new recovery codes, to change the password,
and (with a factor older than the org's `new_factor_wait_hours`) to export, delete the org or let
support in: a session token alone never binds an authenticator (NIST SP 800-63B 6.1.2.1, ASVS 6.4,
7.5.1). The proof comes in the request itself (`password` with `code` or `credential`) or from
`POST /v1/auth/step-up`, and is recorded on the server-side session for STEP_UP_LIFETIME.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import FactorTooNew, InvalidCredentials, StepUpRequired, TooManyAttempts
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import lockout, passwords, sessions, users
from chalicelib.services.identity.login_attempts import record_attempt
from chalicelib.services.identity.mfa import factors, fresh_factor
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal, StepUp

STEP_UP_LIFETIME = timedelta(minutes=5)
MATURE_KINDS = (factors.TOTP, factors.WEBAUTHN)  # what may be the fresh factor of an export, deletion, support


def recheck(principal: Principal, user: User, action: str, is_right: Callable[[], bool],
            refusal: str = "The password is not correct.") -> None:
    """Run `is_right` (the password or code check) under the account's lockout; InvalidCredentials
    when it is wrong, TooManyAttempts (every session ended) once the account is locked."""
    policy = policy_of(Organization.get(principal.org_id))
    try:
        attempt = lockout.take_try(principal.org_id, user.email_index, policy)
    except TooManyAttempts:
        _end_everything(principal, user, action, "locked")
        raise
    try:
        right = is_right()
    except Exception:  # the try stays taken: the lock it completes must still take effect
        _lock_if_last(principal, user, action, attempt)
        raise
    if right:
        lockout.give_back(attempt)
        return
    record_attempt(principal.org_id, "reauth_failed", principal.origin, user.user_id, factor=action)
    audit.record(principal.org_id, user.user_id, action, outcome="failure", origin=principal.origin)
    if _lock_if_last(principal, user, action, attempt):
        raise TooManyAttempts(retry_after=policy.lockout_minutes * 60)
    raise InvalidCredentials(refusal)


def _lock_if_last(principal: Principal, user: User, action: str, attempt: lockout.Try) -> bool:
    """When `attempt` was the one that locked the account: announce it and end every session."""
    if attempt.last:
        lockout.announce(principal.org_id, user.user_id, principal.origin)
        _end_everything(principal, user, action, "sessions_ended")
    return bool(attempt.last)


def require_fresh_factor(principal: Principal, action: str, proof: dict[str, Any],
                         password_session_too: bool = False) -> User:
    """The step-up of the gravest acts (export, deletion, letting support in): in a session that began with
    a second factor (or with a password only, if `password_session_too`), proven with an authenticator
    app or security key the user has had for the org's `new_factor_wait_hours`; returns the user."""
    if principal.assurance < 2 and not password_session_too:
        raise StepUpRequired()
    return step_up(principal, action, proof, mature=True)


def step_up(principal: Principal, action: str, proof: dict[str, Any], mature: bool = False) -> User:
    """The password and an existing factor proven in this request (`password` with `code` or `credential`),
    else a step-up still recorded on this session; StepUpRequired when there is neither. Returns the user."""
    user = users.find_user(principal.org_id, principal.user_id)
    done: StepUp | None
    if proof.get("password") is not None:
        done = _prove(principal, user, action, proof)
        sessions.record_step_up(principal, done)
    else:
        done = sessions.step_up_of(principal)
        if done is None or (done.factor is None and fresh_factor.has_factor(user)):
            raise StepUpRequired("Prove your password and a second factor (POST /v1/auth/step-up) to do this.")
    if mature:
        _require_mature(principal, done)
    return user


def _prove(principal: Principal, user: User, action: str, proof: dict[str, Any]) -> StepUp:
    """Check the password, then the factor, under one lockout try; the factor is not spent when the
    password is wrong. A user without any factor proves the password only."""
    password, code, credential = str(proof["password"]), proof.get("code"), proof.get("credential")
    needs_factor = fresh_factor.has_factor(user)
    if needs_factor and not (code or credential):
        raise StepUpRequired("Prove a second factor too: `code` (authenticator or recovery code) or `credential`.")
    proven: list[MfaFactor] = []

    def is_right() -> bool:
        if not passwords.verify_password(user.password_hash, password):
            return False
        if not needs_factor:
            return True
        row = fresh_factor.proven(user, principal.session_id, code, credential)
        proven.extend([row] if row is not None else [])
        return row is not None

    recheck(principal, user, action, is_right, refusal="The password or second factor is not correct.")
    until = clock.now() + STEP_UP_LIFETIME
    if not proven:
        return StepUp(None, None, until)
    return StepUp(proven[0].kind, proven[0].activated_at or proven[0].created_at, until)


def _require_mature(principal: Principal, done: StepUp) -> None:
    """A factor added within the org's wait, or a recovery code, is never the fresh factor of a grave act."""
    wait = timedelta(hours=policy_of(Organization.get(principal.org_id)).new_factor_wait_hours)
    if done.factor not in MATURE_KINDS or done.factor_since is None or clock.now() - done.factor_since < wait:
        audit.record(principal.org_id, principal.user_id, "auth.step_up_refused", outcome="failure",
                     subjects={"reason": "factor_too_new"}, origin=principal.origin)
        raise FactorTooNew()


def do_step_up(principal: Principal, proof: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/auth/step-up`: prove the password and a factor now; the session may then act for a while."""
    require(principal.role, Permission.OWN_ACCOUNT)
    step_up(principal, "auth.step_up", proof)
    done = sessions.step_up_of(principal)
    audit.record(principal.org_id, principal.user_id, "auth.stepped_up", origin=principal.origin)
    return {"step_up_until": clock.isoformat(done.until) if done else None,
            "factor": done.factor if done else None}


def security_key_options(principal: Principal) -> dict[str, Any]:
    """The challenge a security key answers to prove a fresh second factor in this session."""
    return fresh_factor.security_key_options(users.find_user(principal.org_id, principal.user_id),
                                             principal.session_id)


def _end_everything(principal: Principal, user: User, action: str, outcome: str) -> None:
    sessions.end_sessions_of(principal.org_id, user.user_id)
    audit.record(principal.org_id, user.user_id, action, outcome=outcome,
                 subjects={"session_id": principal.session_id}, origin=principal.origin)
