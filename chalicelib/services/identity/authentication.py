"""Logging in, setting and changing passwords, logging out.

Wrong e-mail and wrong password give the same 401 after the same argon2 work (ASVS 6.3.8); lockout
and the per-IP limit apply to known and unknown accounts alike; every attempt is logged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, NoReturn

from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, IpNotAllowed, NotFound, OrgSuspended, TooManyAttempts
from chalicelib.models.batch_read import read_many
from chalicelib.models.mfa import DuoIntegration
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.identity import lockout, passwords, reauth, sessions, users
from chalicelib.services.identity.lockout import LOCKOUT_LOG_MESSAGE  # noqa: F401 (infra/stack.py reads it here)
from chalicelib.services.identity.login_attempts import UNKNOWN_ORG, record_attempt
from chalicelib.services.identity.login_outcome import LoginResult, finish_login
from chalicelib.services.identity.mfa import factors, second_step
from chalicelib.services.identity.policy import SecurityPolicy, policy_of
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.org_lifecycle.status import refuse_if_suspended
from chalicelib.services.organizations import org_by_slug, org_id_of_slug


@dataclass(frozen=True)
class _Attempt:
    org: Organization
    policy: SecurityPolicy
    email_index: str
    origin: Origin


def login(org_slug: str, email: str, password: str, origin: Origin) -> LoginResult:
    """Password step. The per-address and per-account tries are taken (conditional writes) before the
    argon2 work, so a burst evaluates at most the limits; a refusal costs no password check."""
    address_try = _take_address_try(org_slug, origin)
    try:
        org, duo_row = _org_and_duo(org_slug)
    except NotFound:
        _fail_unknown_org(password, origin)
    attempt = _Attempt(org, policy_of(org), users.email_index(org.org_id, email), origin)
    if not attempt.policy.allows_ip(origin.source_ip):
        record_attempt(org.org_id, "ip_denied", origin)
        raise IpNotAllowed()
    account_try = _take_account_try(attempt)
    user = users.find_user_by_email(org.org_id, attempt.email_index)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok:
        _fail(attempt, user, account_try)
    if user.disabled:
        _fail(attempt, user, account_try, outcome="disabled")
    return _succeed(attempt, user, password, account_try, _Found(address_try, duo_row))


def set_password_with_setup_token(setup_token: str, new_password: str, origin: Origin) -> None:
    """First password, or a reset started by an admin: the token is single use."""
    user = users.user_for_setup_token(setup_token)
    org = refuse_if_suspended(Organization.get(user.org_id))
    users.cut_access(user, *_new_password_actions(user, org, new_password))
    lockout.clear(org.org_id, user.email_index)
    audit.record(org.org_id, user.user_id, "auth.password_set", subjects={"user_id": user.user_id},
                 origin=origin)


def change_password(principal: Principal, current: str, new: str,
                    factor: dict[str, Any] | None = None) -> LoginResult:
    """Needs a step-up (the current password and, if the user has a factor, a factor: `code` or
    `credential`), under the lockout; ends every other session and pending challenge. A forced change
    continues the login it interrupted: there the password is enough (the sign-in just proved the rest)."""
    org = Organization.get(principal.org_id)
    user = users.find_user(principal.org_id, principal.user_id)
    if principal.kind == sessions.PASSWORD_CHANGE:
        reauth.recheck(principal, user, "auth.password_change",
                       lambda: passwords.verify_password(user.password_hash, current),
                       refusal="The current password is not correct.")
    else:
        reauth.step_up(principal, "auth.password_change", {**(factor or {}), "password": current})
    users.cut_access(user, *_new_password_actions(user, org, new), keep_session_id=principal.session_id)
    audit.record(org.org_id, user.user_id, "auth.password_changed", subjects={"user_id": user.user_id},
                 origin=principal.origin)
    if principal.kind == sessions.PASSWORD_CHANGE:
        sessions.end_sessions_of(org.org_id, user.user_id)
        return finish_login(user, policy_of(org), principal.origin, principal.assurance, "password")
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


def verify_second_factor(mfa_token: str, method: str, code: str | None, credential: dict[str, Any] | None,
                         origin: Origin, state: str | None = None) -> LoginResult:
    """The second step of a login: a user disabled or changed since the password step gets nothing;
    failures count toward the account's lockout, which clears only when the whole login succeeds."""
    challenge, user = second_step.live(mfa_token)
    _take_address_try(None, origin)
    attempt = _attempt_of(user, origin)
    account_try = _take_account_try(attempt)
    try:
        used = second_step.check(challenge, user, method, code, credential, state)
    except InvalidCredentials:
        _fail_second_factor(attempt, user, method, account_try)
    second_step.consume(challenge)
    rate_limits.give_back(rate_limits.login_failures_per_ip(), _address(origin))
    if method == factors.RECOVERY:
        audit.record(user.org_id, user.user_id, "mfa.recovery_code_used",
                     subjects={"factor_id": used.factor_id if used else ""}, origin=origin)
        factors.tell_user(user, "A recovery code was used to sign in to SafeSlot",
                          "One of your recovery codes was just used. If this was not you, contact your "
                          "administrator at once and create new codes.")
    return finish_login(user, attempt.policy, origin, assurance=2, factor=method, account_try=account_try)


def send_login_code(mfa_token: str, kind: str) -> None:
    """Text (`sms`) or call (`voice`) a login code to the user's phone."""
    challenge, user = second_step.live(mfa_token)
    second_step.send_phone_code(challenge, user, kind)


def open_duo_prompt(mfa_token: str, origin: Origin) -> dict[str, Any]:
    """Where to send the user for Duo (or, with Duo down and the org falling back, their own methods)."""
    challenge, user = second_step.live(mfa_token)
    return second_step.duo_prompt(challenge, user, _attempt_of(user, origin).policy)


def login_key_options(mfa_token: str) -> dict[str, Any]:
    challenge, user = second_step.live(mfa_token)
    return second_step.webauthn_options(challenge, user)


def _attempt_of(user: User, origin: Origin) -> _Attempt:
    org = refuse_if_suspended(Organization.get(user.org_id))
    return _Attempt(org, policy_of(org), user.email_index, origin)


def _fail_second_factor(attempt: _Attempt, user: User, method: str, account_try: lockout.Try) -> NoReturn:
    org_id = attempt.org.org_id
    record_attempt(org_id, "mfa_failed", attempt.origin, user.user_id, factor=method)
    audit.record(org_id, user.user_id, "auth.mfa", outcome="failure", subjects={"method": method},
                 origin=attempt.origin)
    if account_try.last:
        lockout.announce(org_id, user.user_id, attempt.origin)
    raise InvalidCredentials("The code is not correct.")


@dataclass(frozen=True)
class _Found:
    """What the password step read or took before checking the password, for the steps after it."""

    address_try: str  # the per-address counter's key: a right password gives its try back
    duo: DuoIntegration | None  # the org's Duo integration, read with the org


def _org_and_duo(org_slug: str) -> tuple[Organization, DuoIntegration | None]:
    """The org (never cached: its security policy) and its Duo integration, in one BatchGetItem."""
    org_id = org_id_of_slug(org_slug)
    org, duo_row = read_many([(Organization, org_id, None), (DuoIntegration, org_id, None)])
    if not isinstance(org, Organization):
        raise NotFound("No such organization.")
    return refuse_if_suspended(org), duo_row if isinstance(duo_row, DuoIntegration) else None


def _succeed(attempt: _Attempt, user: User, password: str, account_try: lockout.Try, found: _Found) -> LoginResult:
    """The password was right: a second step if the user has a factor, else the login's outcome."""
    org_id = attempt.org.org_id
    if passwords.needs_rehash(user.password_hash or ""):
        user.update(actions=[User.password_hash.set(passwords.hash_password(password))])
    methods = second_step.methods_with(user, attempt.policy, found.duo)
    if methods:
        rate_limits.give_back_key(found.address_try)
        lockout.give_back(account_try)  # the count stands until the second factor succeeds too
        token = second_step.begin(user, methods)
        record_attempt(org_id, "mfa_required", attempt.origin, user.user_id)
        return LoginResult(mfa_token=token, methods=tuple(methods))
    return finish_login(user, attempt.policy, attempt.origin, assurance=1, factor="password",
                        account_try=account_try, address_try=found.address_try)


def _fail(attempt: _Attempt, user: User | None, account_try: lockout.Try, outcome: str | None = None) -> NoReturn:
    """A wrong password (its tries were already counted): log, audit, announce a lock it took."""
    org_id = attempt.org.org_id
    outcome = outcome or ("bad_password" if user else "unknown_account")
    record_attempt(org_id, outcome, attempt.origin, user.user_id if user else None)
    actor = user.user_id if user else "anonymous"
    audit.record(org_id, actor, "auth.login", outcome=outcome, origin=attempt.origin)
    if account_try.last:
        lockout.announce(org_id, actor, attempt.origin)
    raise InvalidCredentials()


def _fail_unknown_org(password: str, origin: Origin) -> NoReturn:
    passwords.verify_password(None, password)  # same work as a real check
    record_attempt(UNKNOWN_ORG, "unknown_account", origin)
    raise InvalidCredentials()


def _take_address_try(org_slug: str | None, origin: Origin) -> str:
    """One try from this address, taken before any work; throttled answers count toward the limit too
    (nothing is given back), and the audit chain hears of a throttled address once per window.
    Returns the counter's key (a right password gives the try back there)."""
    try:
        return rate_limits.take(rate_limits.login_failures_per_ip(), _address(origin))
    except TooManyAttempts:
        record_attempt(UNKNOWN_ORG, "throttled", origin)
        if rate_limits.claim_refusal_notice(rate_limits.login_failures_per_ip(), _address(origin)):
            _audit_throttled(org_slug, origin)
        raise


def _audit_throttled(org_slug: str | None, origin: Origin) -> None:
    if org_slug is None:
        return
    with contextlib.suppress(NotFound, OrgSuspended):
        audit.record(org_by_slug(org_slug).org_id, "anonymous", "auth.login", outcome="throttled", origin=origin)


def _take_account_try(attempt: _Attempt) -> lockout.Try:
    """One try for this account; a locked account is refused without any check, and its refusals reach
    the audit chain once per lock (the login-attempt log keeps each one)."""
    org_id = attempt.org.org_id
    try:
        return lockout.take_try(org_id, attempt.email_index, attempt.policy)
    except TooManyAttempts:
        record_attempt(org_id, "locked", attempt.origin)
        if lockout.claim_refusal_notice(org_id, attempt.email_index):
            audit.record(org_id, "anonymous", "auth.login", outcome="locked", origin=attempt.origin)
        raise


def _address(origin: Origin) -> str:
    return origin.source_ip or "-"


def _new_password_actions(user: User, org: Organization, new_password: str) -> list[Action]:
    """The update that sets a new password, once it passes the policy (length, blocklist, history)."""
    policy = policy_of(org)
    email = user.unseal()["email"]
    history = [h for h in [user.password_hash, *(user.password_history or [])] if h][: policy.password_history]
    passwords.check_new_password(new_password, policy, passwords.context_words(org.slug, org.name, email),
                                 history=history)
    kept = ([user.password_hash] if user.password_hash else []) + list(user.password_history or [])
    return [
        User.password_hash.set(passwords.hash_password(new_password)),
        User.password_changed_at.set(clock.now()),
        User.password_history.set(kept[: max(policy.password_history, 0)]),
    ]
