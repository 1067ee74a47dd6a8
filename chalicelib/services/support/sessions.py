"""The support principal: a separate kind of caller, good only for one live grant's read-only views.

A support person opens a session for a grant that is theirs and live; the token (256 bits, stored as
SHA-256) is checked against the grant on every request, so expiry and revocation take effect at once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound, Unauthenticated
from chalicelib.models.support import SupportSession
from chalicelib.services import audit
from chalicelib.services.identity.sessions import Principal, token_hash
from chalicelib.services.support import grants

SUPPORT_ROLE = "support"
SUPPORT_KIND = "support"
SESSION_LIMIT = timedelta(hours=8)  # a support session never outlives its grant, nor this


def open_session(agent: Principal, grant_id: str) -> dict[str, Any]:
    """A token for the agent's own live grant; another's, unknown, pending or ended grants are 404."""
    grants.require_vendor_agent(agent)
    grant = grants.grant_by_id(grant_id)
    if grant.agent_id != agent.user_id or not grants.is_live(grant):
        raise NotFound("No such support grant.")
    token = secrets.token_urlsafe(32)
    expires_at = min(grant.expires_at, clock.now() + SESSION_LIMIT)
    SupportSession(token_hash(token), grant_id=grant.grant_id, expires_at=expires_at,
                   ttl=int(expires_at.timestamp())).save()
    audit.record(grant.org_id, grants.support_actor(agent.user_id), "support.session_opened", origin=agent.origin,
                 subjects={"grant_id": grant.grant_id, "agent_id": agent.user_id})
    return {"token": token, "expires_at": clock.isoformat(expires_at), "grant": grants.describe(grant)}


def support_principal(token: str | None, origin: audit.Origin) -> Principal:
    """The support caller of a live grant; anything else (unknown, expired, revoked) is 404."""
    if not token:
        raise Unauthenticated()
    try:
        session = SupportSession.get(token_hash(token))
    except SupportSession.DoesNotExist as error:
        raise NotFound() from error
    grant = grants.grant_by_id(session.grant_id)
    if clock.now() >= session.expires_at or not grants.is_live(grant):
        raise NotFound()
    return Principal(grant.org_id, grants.support_actor(grant.agent_id), SUPPORT_ROLE, grant.grant_id,
                     SUPPORT_KIND, origin, assurance=2)
