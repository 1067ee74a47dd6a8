"""Who may call a staff route: a live session, from an allowed network (ASVS 8.2.1, 8.3.1)."""

from __future__ import annotations

from chalicelib.errors import IpNotAllowed, PasswordChangeRequired, Unauthenticated
from chalicelib.models.organization import Organization
from chalicelib.services.audit import Origin
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.sessions import Principal


def authenticate(token: str | None, origin: Origin, allow_password_change: bool = False) -> Principal:
    """The caller's principal; the org id comes from the session and nowhere else."""
    if not token:
        raise Unauthenticated()
    principal = sessions.resume_session(token, origin)
    if principal.kind != sessions.FULL and not allow_password_change:
        raise PasswordChangeRequired()
    if not policy_of(Organization.get(principal.org_id)).allows_ip(origin.source_ip):
        raise IpNotAllowed()
    return principal
