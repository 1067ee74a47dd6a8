"""Another user's sessions, for owners and admins: see where an account is signed in, end one session.

The rules of every change to a user apply (users.manageable_user: never oneself through these routes,
owners only by owners), so a stolen admin session cannot watch or cut an owner. What is shown is what
tells a clinic's office from an intruder and nothing a holder could reuse: times, the address's network
and the browser's product tokens (network_traces), never the token, its hash or the full address
(ASVS 7.4.5, 7.5.2, 14.2; HIPAA 164.312(a)(2)(iii)). An ended session fails at its very next request:
sessions are read from the table on every request, never cached.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.session import Session
from chalicelib.network_traces import coarse_user_agent, truncated_ip
from chalicelib.services import audit
from chalicelib.services.identity import sessions, users
from chalicelib.services.identity.sessions import Principal


def list_user_sessions(principal: Principal, user_id: str) -> list[dict[str, Any]]:
    """The live sessions of another user, oldest first (audited: who looked at whose sessions)."""
    user = users.manageable_user(principal, user_id)
    now = clock.now()
    found = sorted((s for s in sessions.sessions_of(principal.org_id, user.user_id) if _live(s, now)),
                   key=lambda session: session.created_at)
    audit.record(principal.org_id, principal.user_id, "sessions.listed", subjects={"user_id": user_id},
                 origin=principal.origin)
    return [describe_for_admin(session) for session in found]


def end_user_session(principal: Principal, user_id: str, session_id: str) -> None:
    """End one session of another user; NotFound when that user has no such session."""
    user = users.manageable_user(principal, user_id)
    sessions.end_session_by_id(principal.org_id, user.user_id, session_id)
    audit.record(principal.org_id, principal.user_id, "session.revoked",
                 subjects={"user_id": user_id, "session_id": session_id}, origin=principal.origin)


def describe_for_admin(session: Session) -> dict[str, Any]:
    """A session as an administrator sees it: when, the network and the browser; nothing to reuse."""
    return {
        "id": session.session_id,
        "created_at": clock.isoformat(session.created_at),
        "last_seen_at": clock.isoformat(session.last_seen_at),
        "expires_at": clock.isoformat(session.expires_at),
        "source_ip": truncated_ip(session.source_ip),  # the network only, as login attempts show it
        "user_agent": coarse_user_agent(session.user_agent),  # product tokens: no device or OS build
        "second_factor": int(session.assurance or 1) >= 2,
    }


def _live(session: Session, now: datetime) -> bool:
    """Not past its absolute or idle deadline (DynamoDB's TTL removes such rows only later)."""
    return now < session.expires_at and now < session.last_seen_at + timedelta(minutes=int(session.idle_minutes))
