"""Who may call a staff route: a live session, from an allowed network (ASVS 8.2.1, 8.3.1)."""

from __future__ import annotations

from collections.abc import Collection

from chalicelib.errors import IpNotAllowed, MfaEnrollmentRequired, PasswordChangeRequired, Unauthenticated
from chalicelib.models.organization import Organization
from chalicelib.services.audit import Origin
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.identity.sessions import Principal

# A restricted session kind, and the error its holder gets on any other route.
_RESTRICTED = {sessions.PASSWORD_CHANGE: PasswordChangeRequired, sessions.MFA_ENROLL: MfaEnrollmentRequired}


def authenticate(token: str | None, origin: Origin, also_allow: Collection[str] = ()) -> Principal:
    """The caller's principal; the org id comes from the session and nowhere else.

    Full sessions pass; a restricted session (password change, MFA enrollment) passes only where the
    route names its kind in `also_allow`.
    """
    if not token:
        raise Unauthenticated()
    principal = sessions.resume_session(token, origin)
    if principal.kind != sessions.FULL and principal.kind not in also_allow:
        raise _RESTRICTED.get(principal.kind, Unauthenticated)()
    if not policy_of(Organization.get(principal.org_id)).allows_ip(origin.source_ip):
        raise IpNotAllowed()
    return principal
