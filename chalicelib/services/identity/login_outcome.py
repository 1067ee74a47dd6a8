"""What a user gets once every secret of a login has been checked, decided in one place.

Every path that ends a login (password only, a second factor, a forced password change, enrolling a
required factor) comes here, so an expired password or a missing required factor is enforced on all
of them: a change-only session first, then an enroll-only one, then a full session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.user import User
from chalicelib.services import audit, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.identity import lockout, sessions
from chalicelib.services.identity.login_attempts import attempt_row, record_attempt
from chalicelib.services.identity.mfa import second_step
from chalicelib.services.identity.policy import SecurityPolicy


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


def password_expired(user: User, policy: SecurityPolicy) -> bool:
    if not policy.password_max_age_days or not user.password_changed_at:
        return False
    return clock.now() >= user.password_changed_at + timedelta(days=policy.password_max_age_days)


def finish_login(user: User, policy: SecurityPolicy, origin: Origin, assurance: int, factor: str,
                 account_try: lockout.Try | None = None, address_try: str | None = None) -> LoginResult:
    """The session the user has earned. The lockout count clears only when the login is whole (a full
    session, or the enroll-only session of a user with no factor yet); a forced change gives the try back.
    `address_try`: the per-address counter whose try a right password gives back (with the session)."""
    org_id = user.org_id
    expired = password_expired(user, policy)
    enrol = not expired and policy.requires_mfa(user.role) and assurance < 2 and not second_step.methods_for(
        user, policy)
    if address_try and (expired or enrol):
        rate_limits.give_back_key(address_try)  # the rarer outcomes give it back on their own
        address_try = None
    if expired:
        if account_try:
            lockout.give_back(account_try)
        record_attempt(org_id, "password_expired", origin, user.user_id)
        audit.record(org_id, user.user_id, "auth.login", outcome="password_expired", origin=origin)
        issued = sessions.start_session(org_id, user.user_id, user.role, policy, origin,
                                        kind=sessions.PASSWORD_CHANGE, assurance=assurance)
        return LoginResult(change_token=issued.token)
    if enrol:
        lockout.clear(org_id, user.email_index)
        issued = sessions.start_session(org_id, user.user_id, user.role, policy, origin, kind=sessions.MFA_ENROLL)
        record_attempt(org_id, "mfa_enrollment_required", origin, user.user_id)
        audit.record(org_id, user.user_id, "auth.login", outcome="mfa_enrollment_required", origin=origin)
        return LoginResult(token=issued.token, expires_at=issued.expires_at, enroll_only=True)
    return _full_session(user, policy, origin, assurance, factor, address_try)


def _full_session(user: User, policy: SecurityPolicy, origin: Origin, assurance: int, factor: str,
                  address_try: str | None) -> LoginResult:
    """A whole login's writes in one transaction (issue 24): the lockout count cleared, the address's try
    given back, the last login stamped, the session, the attempt's log row and the audit entry. Either
    all of them stand or none does (a failed commit answers 503 and leaves no session behind)."""
    org_id = user.org_id
    session, issued = sessions.new_session(org_id, user.user_id, user.role, policy, origin, assurance=assurance)
    entry = audit.entry(org_id, user.user_id, "auth.login", subjects={"session_id": issued.session_id},
                        origin=origin)
    with audit.audited_transaction(entry, chain_later=True) as tx:
        lockout.clear_in(tx, org_id, user.email_index)
        if address_try:
            rate_limits.give_back_in(tx, address_try)
        tx.update(user, actions=[User.last_login_at.set(clock.now())])
        tx.save(session)
        tx.save(attempt_row(org_id, "success", origin, user.user_id, factor=factor))
    return LoginResult(token=issued.token, expires_at=issued.expires_at)
