"""Who may call a staff route: a live session, from an allowed network (ASVS 8.2.1, 8.3.1).

Two DynamoDB calls before the route's own work (issue 24): the session (by its token's hash), then the
org and the user in one BatchGetItem, both strongly consistent and never cached, so a revoked session, a
disabled user, a changed role or a tightened allowlist takes effect on the very next request. (Once a
minute a session's last-seen time is written as well: the idle timeout.)"""

from __future__ import annotations

from collections.abc import Collection

from chalicelib.errors import IpNotAllowed, MfaEnrollmentRequired, PasswordChangeRequired, Unauthenticated
from chalicelib.models.batch_read import read_many
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services.audit import Origin
from chalicelib.services.identity import sessions
from chalicelib.services.identity.login_outcome import password_expired
from chalicelib.services.identity.policy import SecurityPolicy, policy_of
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.org_lifecycle.status import refuse_if_suspended

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
    # the org (its policy, never cached: allowlist, timeouts) and the user, read together in one call
    org, user = read_many([(Organization, principal.org_id, None), (User, principal.org_id, principal.user_id)])
    if not isinstance(org, Organization):
        raise Unauthenticated()  # the org is gone: so is every session of it
    policy = policy_of(refuse_if_suspended(org))
    if not policy.allows_ip(origin.source_ip):
        raise IpNotAllowed()
    _require_still_entitled(principal, token, policy, also_allow, user if isinstance(user, User) else None)
    return principal


def _require_still_entitled(principal: Principal, token: str, policy: SecurityPolicy,
                            also_allow: Collection[str], user: User | None) -> None:
    """The user behind the session is still there, active, in the same role, with a current password:
    a session outliving any of these (a race with disabling, a missed revocation) is ended here."""
    if user is None or user.disabled or user.role != principal.role:
        sessions.end_session(token)
        raise Unauthenticated()
    if sessions.PASSWORD_CHANGE not in also_allow and password_expired(user, policy):
        raise PasswordChangeRequired()
