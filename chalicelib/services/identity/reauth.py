"""Checking a secret again inside a session: changing the password, new recovery codes, removing a factor,
and the fresh authenticator code that exports, deletes or lets support in.

A stolen session must not become a password oracle: each check takes a lockout try first, exactly like
a login (ASVS 6.3.1, NIST SP 800-63B 5.2.2). Failures are logged and audited, and the failure that
reaches the threshold locks the account and ends every session of the user.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.errors import InvalidCredentials, StepUpRequired, TooManyAttempts
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import lockout, sessions, users
from chalicelib.services.identity.login_attempts import record_attempt
from chalicelib.services.identity.mfa import totp
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
    if is_right():
        lockout.give_back(attempt)
        return
    record_attempt(principal.org_id, "reauth_failed", principal.origin, user.user_id, factor=action)
    audit.record(principal.org_id, user.user_id, action, outcome="failure", origin=principal.origin)
    if attempt.last:
        lockout.announce(principal.org_id, user.user_id, principal.origin)
        _end_everything(principal, user, action, "sessions_ended")
        raise TooManyAttempts(retry_after=policy.lockout_minutes * 60)
    raise InvalidCredentials(refusal)


def require_fresh_code(principal: Principal, action: str, code: str | None,
                       password_session_too: bool = False) -> User:
    """A current code from one of the user's authenticator apps, under the account's lockout, in a session
    that began with a second factor (or with a password only, if `password_session_too`); returns the user."""
    if not code or (principal.assurance < 2 and not password_session_too):
        raise StepUpRequired()
    user = users.find_user(principal.org_id, principal.user_id)
    recheck(principal, user, action, lambda: _app_code_ok(user, code), refusal="The code is not correct.")
    return user


def _app_code_ok(user: User, code: str) -> bool:
    try:
        totp.accept_any(user, code)
    except InvalidCredentials:
        return False
    return True


def _end_everything(principal: Principal, user: User, action: str, outcome: str) -> None:
    sessions.end_sessions_of(principal.org_id, user.user_id)
    audit.record(principal.org_id, user.user_id, action, outcome=outcome,
                 subjects={"session_id": principal.session_id}, origin=principal.origin)
