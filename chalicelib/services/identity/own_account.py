"""A staff user's own account: their details and name, their recent sign-ins, signing out everywhere else."""

from __future__ import annotations

from typing import Any

from chalicelib.services import audit
from chalicelib.services.identity import login_attempts, reauth, sessions, users
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

RECENT_SIGN_INS = 50


def my_details(principal: Principal) -> dict[str, Any]:
    require(principal.role, Permission.OWN_ACCOUNT)
    return users.describe(users.find_user(principal.org_id, principal.user_id))


def rename_me(principal: Principal, name: str) -> dict[str, Any]:
    """Change one's own name (audited like any identity change; e-mail and role stay with admins)."""
    require(principal.role, Permission.OWN_ACCOUNT)
    user = users.find_user(principal.org_id, principal.user_id)
    if name != user.unseal()["name"]:
        user.update(actions=users.renamed(user, name))
        audit.record(principal.org_id, principal.user_id, "user.renamed", subjects={"user_id": user.user_id},
                     origin=principal.origin)
    return users.describe(user)


def my_sign_ins(principal: Principal) -> list[dict[str, Any]]:
    """The newest login attempts that reached this user's account (successes and failures)."""
    require(principal.role, Permission.OWN_ACCOUNT)
    query = login_attempts.AttemptFilter(user_id=principal.user_id, limit=RECENT_SIGN_INS)
    return login_attempts.list_attempts(principal.org_id, query, principal.user_id, principal.origin)


def end_my_other_sessions(principal: Principal, proof: dict[str, Any]) -> int:
    """"Sign out everywhere": every other session of the caller ends now (a lost tablet, a shared desk);
    the caller's own ends with its logout. Needs the step-up (the password and a factor, ADR 0015), so that
    a stolen session cannot throw its victim out and stay alone on the account. Returns how many ended."""
    require(principal.role, Permission.OWN_ACCOUNT)
    reauth.step_up(principal, "session.revoke_all_others", proof)
    ended = sessions.end_sessions_of(principal.org_id, principal.user_id, keep_session_id=principal.session_id)
    audit.record(principal.org_id, principal.user_id, "session.revoked_all_others", subjects={"count": str(ended)},
                 origin=principal.origin)
    return ended
