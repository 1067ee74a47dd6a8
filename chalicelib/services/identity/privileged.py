"""Acts that hand out or take away power over the clinic need the session's step-up, as factors do.

A stolen owner or admin session could otherwise make itself a lasting foothold (a new owner or admin,
the security policy loosened, the org's Duo pointed elsewhere) or shut the other owners out while an
export cools off (an owner disabled or demoted). Each needs a step-up recorded on this session in the
last minutes (`POST /v1/auth/step-up`: the password and an existing factor; ADR 0015), and every owner
is told at once (NIST SP 800-63B 6.1.2.1; ASVS 6.4, 7.5.1).
"""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.models.organization import Organization
from chalicelib.services.identity import account_mail, reauth, users
from chalicelib.services.identity.mfa import duo
from chalicelib.services.identity.policy import SecurityPolicy, change_policy, policy_of
from chalicelib.services.identity.roles import Permission, Role, require
from chalicelib.services.identity.sessions import Principal

POWERFUL_ROLES = (Role.OWNER.value, Role.ADMIN.value)
RECORDED_STEP_UP: dict[str, Any] = {}  # no proof in the request: a step-up recorded on the session


def create_user(principal: Principal, email: str, name: str, role: str) -> dict[str, Any]:
    """A new owner or admin needs the step-up; any new user is a change the owners hear of."""
    require(principal.role, Permission.USERS_MANAGE)  # who may not do it at all hears that first
    if role in POWERFUL_ROLES:
        reauth.step_up(principal, "user.create", RECORDED_STEP_UP)
    created = users.create_user(principal, email, name, role)
    if role in POWERFUL_ROLES:
        _tell_owners(principal, f"A new {role} account was created for {name}")
    return created


def update_user(principal: Principal, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Making someone an owner or admin, or demoting or disabling one, needs the step-up."""
    require(principal.role, Permission.USERS_MANAGE)
    target = users.find_user(principal.org_id, user_id)
    grave = changes.get("role") in POWERFUL_ROLES or (
        target.role in POWERFUL_ROLES and (("role" in changes and changes["role"] != target.role)
                                          or bool(changes.get("disabled"))))
    if grave:
        reauth.step_up(principal, "user.update", RECORDED_STEP_UP)
    updated = users.update_user(principal, user_id, changes)
    if grave:
        what = ", ".join(f"{field} set to {changes[field]}" for field in ("role", "disabled") if field in changes)
        _tell_owners(principal, f"The {target.role} account of {target.unseal()['name']} was changed ({what})")
    return updated


def change_security_policy(principal: Principal, changes: dict[str, Any]) -> SecurityPolicy:
    """Every change of the security policy (factors, allowlist, lockout, retention) needs the step-up."""
    require(principal.role, Permission.POLICY_MANAGE)
    reauth.step_up(principal, "policy.update", RECORDED_STEP_UP)
    before = policy_of(Organization.get(principal.org_id)).as_dict()
    policy = change_policy(principal, changes)
    changed = sorted(name for name, value in policy.as_dict().items() if before[name] != value)
    if changed:
        _tell_owners(principal, "The security policy was changed (" + ", ".join(changed) + ")")
    return policy


def configure_duo(principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """Pointing the org's sign-ins at a Duo account decides every user's second factor: the step-up first."""
    require(principal.role, Permission.POLICY_MANAGE)
    reauth.step_up(principal, "duo.configure", RECORDED_STEP_UP)
    configured = duo.configure(principal, values)
    _tell_owners(principal, "The organization's Duo sign-in was set up or changed")
    return configured


def remove_duo(principal: Principal) -> None:
    require(principal.role, Permission.POLICY_MANAGE)
    reauth.step_up(principal, "duo.remove", RECORDED_STEP_UP)
    duo.remove(principal)
    _tell_owners(principal, "The organization's Duo sign-in was removed")


def _tell_owners(principal: Principal, what: str) -> None:
    actor = users.find_user(principal.org_id, principal.user_id).unseal()["name"]
    account_mail.tell_owners(principal.org_id, "A change to who may do what in your clinic", "\n".join([
        f"{what} on {clock.isoformat(clock.now())} (UTC) by {actor}, from the network address "
        f"{principal.origin.source_ip or 'unknown'}.", "",
        "If this was not expected, end that account's sessions, undo the change and review the audit trail.",
    ]))
