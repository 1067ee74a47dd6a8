"""Staff sessions: opaque 256-bit tokens, stored as SHA-256 only, with idle and absolute timeouts
from the org's policy (NIST SP 800-63B 7.2, ASVS 7.3, HIPAA 164.312(a)(2)(iii)); revocation is immediate.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.errors import NotFound, SessionExpired, Unauthenticated
from chalicelib.models.session import Session
from chalicelib.services.audit import Origin
from chalicelib.services.identity.policy import SecurityPolicy

FULL = "full"
PASSWORD_CHANGE = "password_change"  # noqa: S105 (a session kind, not a secret)
MFA_ENROLL = "mfa_enroll"  # may only enroll a second factor (the org requires one)
PASSWORD_CHANGE_MINUTES = 10
TOUCH_EVERY = timedelta(seconds=60)  # last-seen is written at most once a minute per session


@dataclass(frozen=True)
class Principal:
    """Who is calling, as established by a verified session. The only source of the org id."""

    org_id: str
    user_id: str
    role: str
    session_id: str
    kind: str
    origin: Origin
    assurance: int = 1  # 2 when the session began with a second factor


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session_id: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(org_id: str, user_id: str, role: str, policy: SecurityPolicy, origin: Origin,
                  kind: str = FULL, assurance: int = 1) -> IssuedSession:
    """Create a session and return its token; the token is shown once and stored only as a hash."""
    session, issued = new_session(org_id, user_id, role, policy, origin, kind, assurance)
    session.save()
    return issued


def new_session(org_id: str, user_id: str, role: str, policy: SecurityPolicy, origin: Origin,
                kind: str = FULL, assurance: int = 1) -> tuple[Session, IssuedSession]:
    """A session row not yet written (a login writes it in its own transaction) and what its holder gets."""
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    if kind != PASSWORD_CHANGE:
        lifetime, idle = timedelta(hours=policy.session_max_hours), policy.session_idle_minutes
    else:
        lifetime, idle = timedelta(minutes=PASSWORD_CHANGE_MINUTES), PASSWORD_CHANGE_MINUTES
    session = Session(
        token_hash(token), session_id=secrets.token_hex(8), user_key=f"{org_id}/{user_id}",
        org_id=org_id, user_id=user_id, role=role, kind=kind, created_at=now, last_seen_at=now,
        expires_at=now + lifetime, idle_minutes=idle, source_ip=origin.source_ip,
        user_agent=(origin.user_agent or "")[:256] or None, ttl=int((now + lifetime).timestamp()),
        assurance=assurance,
    )
    return session, IssuedSession(token, session.session_id, session.expires_at)


def resume_session(token: str, origin: Origin) -> Principal:
    """The principal of a live session; expired sessions are deleted and answer 401 session_expired."""
    try:
        session = Session.get(token_hash(token))
    except Session.DoesNotExist as error:
        raise Unauthenticated() from error
    now = clock.now()
    idle_deadline = session.last_seen_at + timedelta(minutes=int(session.idle_minutes))
    if now >= session.expires_at or now >= idle_deadline:
        session.delete()
        raise SessionExpired()
    if now - session.last_seen_at >= TOUCH_EVERY:
        session.update(actions=[Session.last_seen_at.set(now)])
    return Principal(session.org_id, session.user_id, session.role, session.session_id, session.kind, origin,
                     int(session.assurance or 1))


def end_session(token: str) -> None:
    Session(token_hash(token)).delete()


def sessions_of(org_id: str, user_id: str) -> list[Session]:
    return list(Session.by_user.query(f"{org_id}/{user_id}"))


def end_sessions_of(org_id: str, user_id: str, keep_session_id: str | None = None) -> int:
    """End every session of a user (but `keep_session_id`); returns how many ended."""
    ended = 0
    for session in sessions_of(org_id, user_id):
        if session.session_id != keep_session_id:
            session.delete()
            ended += 1
    return ended


@dataclass(frozen=True)
class StepUp:
    """A step-up recorded on a session: the password and (when the user had one) a factor were proven."""

    factor: str | None  # the kind of factor proven; None when the user had none yet
    factor_since: datetime | None  # when that factor was added to the account
    until: datetime


def record_step_up(principal: Principal, step_up: StepUp) -> None:
    """Write the step-up on the caller's own session row (it ends with the session)."""
    row = _own_row(principal)
    if row is not None:
        actions: list[Action] = [Session.stepped_up_until.set(step_up.until)]
        actions.append(Session.step_up_factor.set(step_up.factor) if step_up.factor
                       else Session.step_up_factor.remove())
        actions.append(Session.step_up_factor_since.set(step_up.factor_since) if step_up.factor_since
                       else Session.step_up_factor_since.remove())
        row.update(actions=actions, condition=Session.token_hash.exists())


def step_up_of(principal: Principal) -> StepUp | None:
    """The caller's session's step-up while it lasts; None when there is none or it ran out."""
    row = _own_row(principal)
    if row is None or row.stepped_up_until is None or clock.now() >= row.stepped_up_until:
        return None
    return StepUp(row.step_up_factor, row.step_up_factor_since, row.stepped_up_until)


def _own_row(principal: Principal) -> Session | None:
    """The caller's session, read consistently (the index only finds its key)."""
    for found in sessions_of(principal.org_id, principal.user_id):
        if found.session_id == principal.session_id:
            try:
                return Session.get(found.token_hash, consistent_read=True)
            except Session.DoesNotExist:
                return None
    return None


def end_session_by_id(org_id: str, user_id: str, session_id: str) -> None:
    """End one of the user's own sessions by its public id."""
    for session in sessions_of(org_id, user_id):
        if session.session_id == session_id:
            session.delete()
            return
    raise NotFound("No such session.")


def describe(session: Session, current_session_id: str) -> dict[str, Any]:
    """A session as its owner sees it: never the token or its hash."""
    return {
        "id": session.session_id,
        "created_at": clock.isoformat(session.created_at),
        "last_seen_at": clock.isoformat(session.last_seen_at),
        "expires_at": clock.isoformat(session.expires_at),
        "source_ip": session.source_ip,
        "user_agent": session.user_agent,
        "current": session.session_id == current_session_id,
    }
