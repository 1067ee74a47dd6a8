"""Checking a secret again inside a session: changing the password, new recovery codes, removing a factor,
and the fresh second factor that exports, deletes or lets support in.

A stolen session must not become a password oracle: each check takes a lockout try first, exactly like
a login (ASVS 6.3.1, NIST SP 800-63B 5.2.2). Failures are logged and audited, and the failure that
reaches the threshold locks the account and ends every session of the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.errors import InvalidCredentials, StepUpRequired, TooManyAttempts
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import lockout, sessions, users
from chalicelib.services.identity.login_attempts import record_attempt
from chalicelib.services.identity.mfa import fresh_factor
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.sessions import Principal


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
    """A fresh second factor now (`proof`: an authenticator `code`, or a security key's `credential`), under
    the account's lockout, in a session that began with a second factor (or with a password only, if
    `password_session_too`); returns the user."""
    code, credential = proof.get("code"), proof.get("credential")
    if not (code or credential) or (principal.assurance < 2 and not password_session_too):
        raise StepUpRequired()
    user = users.find_user(principal.org_id, principal.user_id)
    recheck(principal, user, action, lambda: fresh_factor.proven(user, principal.session_id, code, credential),
            refusal="The second factor is not correct.")
    return user


def security_key_options(principal: Principal) -> dict[str, Any]:
    """The challenge a security key answers to prove a fresh second factor in this session."""
    return fresh_factor.security_key_options(users.find_user(principal.org_id, principal.user_id),
                                             principal.session_id)


def _end_everything(principal: Principal, user: User, action: str, outcome: str) -> None:
    sessions.end_sessions_of(principal.org_id, user.user_id)
    audit.record(principal.org_id, user.user_id, action, outcome=outcome,
                 subjects={"session_id": principal.session_id}, origin=principal.origin)
