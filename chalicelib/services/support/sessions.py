"""The support principal: a separate kind of caller, good only for one live grant's read-only views.

A support person opens a session for a grant that is theirs and live; the token (256 bits, stored as
SHA-256) is checked on every request against the grant, the clinic and the person: expiry, revocation,
the clinic's suspension, and the person's being disabled, removed, moved out of the vendor org or cut
off (their access_version moved) take effect at once (HIPAA 164.308(a)(3)(ii)(C)).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound, Unauthenticated
from chalicelib.models.organization import Organization
from chalicelib.models.support import SupportGrant, SupportSession
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity.sessions import Principal, token_hash
from chalicelib.services.org_lifecycle.status import refuse_if_suspended
from chalicelib.services.organizations import org_by_id
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
    refuse_if_suspended(org_by_id(grant.org_id))
    person = User.get(agent.org_id, agent.user_id, consistent_read=True)  # authenticated just now: it exists
    token = secrets.token_urlsafe(32)
    expires_at = min(grant.expires_at, clock.now() + SESSION_LIMIT)
    SupportSession(token_hash(token), grant_id=grant.grant_id, expires_at=expires_at,
                   ttl=int(expires_at.timestamp()), agent_org_id=agent.org_id,
                   agent_access_version=int(person.access_version or 0)).save()
    audit.record(grant.org_id, grants.support_actor(agent.user_id), "support.session_opened", origin=agent.origin,
                 subjects={"grant_id": grant.grant_id, "agent_id": agent.user_id})
    return {"token": token, "expires_at": clock.isoformat(expires_at), "grant": grants.describe(grant)}


def support_principal(token: str | None, origin: audit.Origin) -> Principal:
    """The support caller of a live grant, whose person is still entitled to it; anything else (unknown,
    expired, revoked, a person disabled or cut off) is 404, and a suspended clinic is 423."""
    if not token:
        raise Unauthenticated()
    try:
        session = SupportSession.get(token_hash(token), consistent_read=True)
    except SupportSession.DoesNotExist as error:
        raise NotFound() from error
    grant = grants.grant_by_id(session.grant_id)
    if clock.now() >= session.expires_at or not grants.is_live(grant):
        raise NotFound()
    if not _person_still_entitled(session, grant):
        session.delete()
        raise NotFound()
    refuse_if_suspended(org_by_id(grant.org_id))
    return Principal(grant.org_id, grants.support_actor(grant.agent_id), SUPPORT_ROLE, grant.grant_id,
                     SUPPORT_KIND, origin, assurance=2)


def _person_still_entitled(session: SupportSession, grant: SupportGrant) -> bool:
    """The grant's person still exists, is enabled, is in the (unsuspended) vendor org the session was
    opened from, and nothing cut their access since (role change, reset, sessions ended, disabling)."""
    if session.agent_org_id is None or session.agent_access_version is None:
        return False
    try:
        vendor = Organization.get(session.agent_org_id, consistent_read=True)
        person = User.get(session.agent_org_id, grant.agent_id, consistent_read=True)
    except (Organization.DoesNotExist, User.DoesNotExist):
        return False
    return (bool(vendor.vendor) and vendor.suspended_at is None and not person.disabled
            and int(person.access_version or 0) == int(session.agent_access_version))
