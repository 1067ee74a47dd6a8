"""What the console needs to know about its own sign-in: who, in which clinic, and when the session ends.

The idle and absolute limits come from the session row itself (set from the org's policy when it began),
so the console can warn before the server ends it. Nothing here changes a session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import Unauthenticated
from chalicelib.models.organization import Organization
from chalicelib.services.identity import own_account, sessions
from chalicelib.services.identity.sessions import Principal


def current_session(principal: Principal) -> dict[str, Any]:
    """The caller, their clinic (name, slug for the booking pages' availability, time zone) and the limits
    of the session in use."""
    user = own_account.my_details(principal)
    row = next((s for s in sessions.sessions_of(principal.org_id, principal.user_id)
                if s.session_id == principal.session_id), None)
    if row is None:  # ended between the check and this read
        raise Unauthenticated()
    org = Organization.get(principal.org_id)
    idle = int(row.idle_minutes)
    return {
        "user": {"id": user["id"], "name": user["name"], "email": user["email"], "role": user["role"]},
        "org": {"slug": org.slug, "name": org.name, "timezone": org.timezone},
        "session": {"kind": principal.kind, "idle_minutes": idle, "expires_at": clock.isoformat(row.expires_at),
                    "idle_expires_at": clock.isoformat(row.last_seen_at + timedelta(minutes=idle))},
    }
