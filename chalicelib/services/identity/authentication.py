"""Logging in, setting and changing passwords, logging out.

Wrong e-mail and wrong password give the same 401 after the same argon2 work (ASVS 6.3.8); lockout
and the per-IP limit apply to known and unknown accounts alike; every attempt is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, IpNotAllowed, NotFound, TooManyAttempts
from chalicelib.logs import logger
from chalicelib.models.mfa import MfaChallenge
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.identity import lockout, passwords, sessions, users
from chalicelib.services.identity.login_attempts import UNKNOWN_ORG, record_attempt
from chalicelib.services.identity.mfa import factors, second_step
from chalicelib.services.identity.policy import SecurityPolicy, policy_of
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.organizations import org_by_slug

LOCKOUT_LOG_MESSAGE = "account locked"  # infra/stack.py's metric filter matches this message


@dataclass(frozen=True)
class LoginResult:
    """Either a session, or the step the user must take first."""

    token: str | None = None
    expires_at: datetime | None = None
    change_token: str | None = None
    mfa_token: str | None = None
    methods: tuple[str, ...] = ()
    enroll_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        if self.change_token:
            return {"password_change_required": True, "change_token": self.change_token}
        if self.mfa_token:
            return {"mfa_required": True, "mfa_token": self.mfa_token, "methods": list(self.methods)}
        answer: dict[str, Any] = {"token": self.token,
                                  "expires_at": clock.isoformat(self.expires_at) if self.expires_at else None}
        if self.enroll_only:
            answer["mfa_enrollment_required"] = True
        return answer


@dataclass(frozen=True)
class _Attempt:
    org: Organization
    policy: SecurityPolicy
    email_index: str
    origin: Origin


def login(org_slug: str, email: str, password: str, origin: Origin) -> LoginResult:
    _refuse_throttled_ip(origin)
    try:
        org = org_by_slug(org_slug)
    except NotFound:
        _fail_unknown_org(password, origin)
    attempt = _Attempt(org, policy_of(org), users.email_index(org.org_id, email), origin)
    if not attempt.policy.allows_ip(origin.source_ip):
        record_attempt(org.org_id, "ip_denied", origin)
        raise IpNotAllowed()
    _refuse_locked(attempt)
    user = users.find_user_by_email(org.org_id, attempt.email_index)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok:
        _fail(attempt, user)
    if user.disabled:
        _fail(attempt, user, outcome="disabled")
    return _succeed(attempt, user, password)


def set_password_with_setup_token(setup_token: str, new_password: str, origin: Origin) -> None:
    """First password, or a reset started by an admin: the token is single use."""
    user = users.user_for_setup_token(setup_token)
    org = Organization.get(user.org_id)
    _store_new_password(user, org, new_password)
    user.update(actions=[User.setup_token_hash.remove(), User.setup_token_expires_at.remove()])
    lockout.clear(org.org_id, user.email_index)
    sessions.end_sessions_of(org.org_id, user.user_id)
    audit.record(org.org_id, user.user_id, "auth.password_set", subjects={"user_id": user.user_id},
                 origin=origin)


def change_password(principal: Principal, current: str, new: str) -> LoginResult:
    """Needs the current password; ends every other session. A forced change returns a full session."""
    org = Organization.get(principal.org_id)
    user = users.find_user(principal.org_id, principal.user_id)
    if not passwords.verify_password(user.password_hash, current):
        audit.record(org.org_id, user.user_id, "auth.password_change", outcome="failure",
                     origin=principal.origin)
        raise InvalidCredentials("The current password is not correct.")
    _store_new_password(user, org, new)
    sessions.end_sessions_of(org.org_id, user.user_id, keep_session_id=principal.session_id)
    audit.record(org.org_id, user.user_id, "auth.password_changed", subjects={"user_id": user.user_id},
                 origin=principal.origin)
    if principal.kind == sessions.PASSWORD_CHANGE:
        sessions.end_sessions_of(org.org_id, user.user_id)
        issued = sessions.start_session(org.org_id, user.user_id, user.role, policy_of(org), principal.origin,
                                        assurance=principal.assurance)
        return LoginResult(token=issued.token, expires_at=issued.expires_at)
    return LoginResult()


def logout(principal: Principal, token: str) -> None:
    sessions.end_session(token)
    audit.record(principal.org_id, principal.user_id, "auth.logout", origin=principal.origin)


def own_sessions(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.OWN_ACCOUNT)
    own = sessions.sessions_of(principal.org_id, principal.user_id)
    return [sessions.describe(session, principal.session_id) for session in own]


def end_own_session(principal: Principal, session_id: str) -> None:
    require(principal.role, Permission.OWN_ACCOUNT)
    sessions.end_session_by_id(principal.org_id, principal.user_id, session_id)
    audit.record(principal.org_id, principal.user_id, "session.revoked", subjects={"session_id": session_id},
                 origin=principal.origin)


def password_expired(user: User, policy: SecurityPolicy) -> bool:
    if not policy.password_max_age_days or not user.password_changed_at:
        return False
    return clock.now() >= user.password_changed_at + timedelta(days=policy.password_max_age_days)


def verify_second_factor(mfa_token: str, method: str, code: str | None, credential: dict[str, Any] | None,
                         origin: Origin) -> LoginResult:
    """The second step of a login; failures count toward the account's lockout."""
    challenge = second_step.live(mfa_token)
    user, attempt = _challenged(challenge, origin)
    _refuse_locked(attempt)
    try:
        used = second_step.check(challenge, user, method, code, credential)
    except InvalidCredentials:
        _fail_second_factor(attempt, user, method)
    second_step.consume(challenge)
    lockout.clear(user.org_id, user.email_index)
    if method == factors.RECOVERY:
        audit.record(user.org_id, user.user_id, "mfa.recovery_code_used",
                     subjects={"factor_id": used.factor_id if used else ""}, origin=origin)
        factors.tell_user(user, "A recovery code was used to sign in to SafeSlot",
                          "One of your recovery codes was just used. If this was not you, contact your "
                          "administrator at once and create new codes.")
    return _complete(attempt, user, assurance=2, factor=method)


def send_login_sms(mfa_token: str) -> None:
    challenge = second_step.live(mfa_token)
    second_step.send_sms_code(challenge, users.find_user(challenge.org_id, challenge.user_id))


def login_key_options(mfa_token: str) -> dict[str, Any]:
    challenge = second_step.live(mfa_token)
    return second_step.webauthn_options(challenge, users.find_user(challenge.org_id, challenge.user_id))


def _challenged(challenge: MfaChallenge, origin: Origin) -> tuple[User, _Attempt]:
    org = Organization.get(challenge.org_id)
    user = users.find_user(challenge.org_id, challenge.user_id)
    return user, _Attempt(org, policy_of(org), user.email_index, origin)


def _fail_second_factor(attempt: _Attempt, user: User, method: str) -> NoReturn:
    org_id = attempt.org.org_id
    locked_now = lockout.record_failure(org_id, attempt.email_index, attempt.policy)
    record_attempt(org_id, "mfa_failed", attempt.origin, user.user_id, factor=method)
    audit.record(org_id, user.user_id, "auth.mfa", outcome="failure", subjects={"method": method},
                 origin=attempt.origin)
    if locked_now:
        _announce_lockout(org_id, user.user_id, attempt.origin)
    raise InvalidCredentials("The code is not correct.")


def _succeed(attempt: _Attempt, user: User, password: str) -> LoginResult:
    org_id = attempt.org.org_id
    lockout.clear(org_id, attempt.email_index)
    if passwords.needs_rehash(user.password_hash or ""):
        user.update(actions=[User.password_hash.set(passwords.hash_password(password))])
    if factors.has_login_factor(org_id, user.user_id):
        token, methods = second_step.begin(user)
        record_attempt(org_id, "mfa_required", attempt.origin, user.user_id)
        return LoginResult(mfa_token=token, methods=tuple(methods))
    if attempt.policy.requires_mfa(user.role):
        issued = sessions.start_session(org_id, user.user_id, user.role, attempt.policy, attempt.origin,
                                        kind=sessions.MFA_ENROLL)
        record_attempt(org_id, "mfa_enrollment_required", attempt.origin, user.user_id)
        audit.record(org_id, user.user_id, "auth.login", outcome="mfa_enrollment_required",
                     origin=attempt.origin)
        return LoginResult(token=issued.token, expires_at=issued.expires_at, enroll_only=True)
    return _complete(attempt, user, assurance=1, factor="password")


def _complete(attempt: _Attempt, user: User, assurance: int, factor: str) -> LoginResult:
    """Both factors (or the only one required) passed: a session, or a forced password change first."""
    org_id = attempt.org.org_id
    if password_expired(user, attempt.policy):
        record_attempt(org_id, "password_expired", attempt.origin, user.user_id)
        audit.record(org_id, user.user_id, "auth.login", outcome="password_expired", origin=attempt.origin)
        issued = sessions.start_session(org_id, user.user_id, user.role, attempt.policy, attempt.origin,
                                        kind=sessions.PASSWORD_CHANGE, assurance=assurance)
        return LoginResult(change_token=issued.token)
    user.update(actions=[User.last_login_at.set(clock.now())])
    issued = sessions.start_session(org_id, user.user_id, user.role, attempt.policy, attempt.origin,
                                    assurance=assurance)
    record_attempt(org_id, "success", attempt.origin, user.user_id, factor=factor)
    audit.record(org_id, user.user_id, "auth.login", subjects={"session_id": issued.session_id},
                 origin=attempt.origin)
    return LoginResult(token=issued.token, expires_at=issued.expires_at)


def _fail(attempt: _Attempt, user: User | None, outcome: str | None = None) -> NoReturn:
    org_id = attempt.org.org_id
    outcome = outcome or ("bad_password" if user else "unknown_account")
    rate_limits.hit(rate_limits.LOGIN_FAILURES_PER_IP, attempt.origin.source_ip or "-")
    locked_now = lockout.record_failure(org_id, attempt.email_index, attempt.policy)
    record_attempt(org_id, outcome, attempt.origin, user.user_id if user else None)
    actor = user.user_id if user else "anonymous"
    audit.record(org_id, actor, "auth.login", outcome=outcome, origin=attempt.origin)
    if locked_now:
        _announce_lockout(org_id, actor, attempt.origin)
    raise InvalidCredentials()


def _announce_lockout(org_id: str, actor: str, origin: Origin) -> None:
    """Audit the lockout and log it: the `AccountLockouts` metric (and its spike alarm) counts these lines."""
    audit.record(org_id, actor, "auth.locked_out", subjects={"user_id": actor}, origin=origin)
    logger.warning(LOCKOUT_LOG_MESSAGE, extra={"org_id": org_id})


def _fail_unknown_org(password: str, origin: Origin) -> NoReturn:
    passwords.verify_password(None, password)  # same work as a real check
    rate_limits.hit(rate_limits.LOGIN_FAILURES_PER_IP, origin.source_ip or "-")
    record_attempt(UNKNOWN_ORG, "unknown_account", origin)
    raise InvalidCredentials()


def _refuse_throttled_ip(origin: Origin) -> None:
    wait = rate_limits.retry_after(rate_limits.LOGIN_FAILURES_PER_IP, origin.source_ip or "-")
    if wait:
        record_attempt(UNKNOWN_ORG, "throttled", origin)
        raise TooManyAttempts(retry_after=wait)


def _refuse_locked(attempt: _Attempt) -> None:
    wait = lockout.seconds_locked(attempt.org.org_id, attempt.email_index)
    if wait:
        record_attempt(attempt.org.org_id, "locked", attempt.origin)
        audit.record(attempt.org.org_id, "anonymous", "auth.login", outcome="locked", origin=attempt.origin)
        raise TooManyAttempts(retry_after=wait)


def _store_new_password(user: User, org: Organization, new_password: str) -> None:
    policy = policy_of(org)
    email = user.unseal()["email"]
    history = [h for h in [user.password_hash, *(user.password_history or [])] if h][: policy.password_history]
    passwords.check_new_password(new_password, policy, passwords.context_words(org.slug, org.name, email),
                                 history=history)
    kept = ([user.password_hash] if user.password_hash else []) + list(user.password_history or [])
    user.update(actions=[
        User.password_hash.set(passwords.hash_password(new_password)),
        User.password_changed_at.set(clock.now()),
        User.password_history.set(kept[: max(policy.password_history, 0)]),
    ])

