"""Staff users, managed by owners and admins: never by setting a password (ASVS 6.4.2).

A new user, or one whose reset an admin starts, gets a one-time setup token (72 h, single use) by
e-mail and chooses the password with it; the admin never sees the token. Cutting a user's access
(disable, role change, reset, new password, sessions ended) also kills their pending MFA challenges
(the user's access_version moves) and setup token.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.crypto.blind_index import blind_index, normalize_email
from chalicelib.errors import Conflict, Forbidden, InvalidToken, NotFound
from chalicelib.models.counter import Counter
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import account_mail, lockout, sessions
from chalicelib.services.identity.roles import Permission, may_assign, require
from chalicelib.services.identity.sessions import Principal, token_hash

SETUP_TOKEN_LIFETIME = timedelta(hours=72)
FORGOT_TOKEN_LIFETIME = timedelta(minutes=30)
EMAIL_INDEX = "user-email"


@dataclass(frozen=True)
class NewUser:
    user: dict[str, Any]
    setup_token: str


def email_index(org_id: str, email: str) -> str:
    return blind_index(org_id, EMAIL_INDEX, normalize_email(email))


def create_user(principal: Principal, email: str, name: str, role: str) -> dict[str, Any]:
    """Add a user to the caller's org and e-mail them the invitation; e-mail addresses are unique per org."""
    require(principal.role, Permission.USERS_MANAGE)
    if not may_assign(principal.role, role):
        raise Forbidden("Only an owner can make another owner.")
    created = _insert_user(principal.org_id, email, name, role, principal.user_id, principal.origin)
    user = find_user(principal.org_id, created.user["id"])
    account_mail.send_invitation(user, find_user(principal.org_id, principal.user_id), created.setup_token)
    return created.user


def create_first_owner(org_id: str, email: str, name: str) -> NewUser:
    """The org's first owner, made by an operator (manage.py create-org) or the demo seed."""
    return _insert_user(org_id, email, name, "owner", "operator", audit.SYSTEM)


def list_users(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.USERS_READ)
    found = list(User.query(principal.org_id))
    locks = lockout.locks_of(principal.org_id, [user.email_index for user in found])
    users = [describe_with_lock(user, locks) for user in found]
    audit.record(principal.org_id, principal.user_id, "users.listed", origin=principal.origin)
    return users


def get_user(principal: Principal, user_id: str) -> dict[str, Any]:
    require(principal.role, Permission.USERS_READ)
    user = find_user(principal.org_id, user_id)
    audit.record(principal.org_id, principal.user_id, "user.read", subjects={"user_id": user_id},
                 origin=principal.origin)
    return describe_with_lock(user)


def update_user(principal: Principal, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change name, role or disabled. Role changes and disabling end the user's sessions at once."""
    require(principal.role, Permission.USERS_MANAGE)
    user = _manageable_user(principal, user_id, changes.get("role"))
    actions: list[Action] = []
    if "name" in changes and changes["name"] != user.unseal()["name"]:
        actions.extend(renamed(user, changes["name"]))
        _audit_change(principal, user_id, "name", None)
    for field in ("role", "disabled"):
        if field in changes and changes[field] != getattr(user, field):
            actions.append(getattr(User, field).set(changes[field]))
            _audit_change(principal, user_id, field, changes[field])
    if "role" in changes or changes.get("disabled"):
        cut_access(user, *actions)
    elif actions:
        user.update(actions=actions)
    return describe(user)


def renamed(user: User, name: str) -> list[Action]:
    """The update that gives `user` a new name (sealed with the e-mail)."""
    user.seal({**user.unseal(), "name": name})
    return [User.sealed.set(user.sealed)]


def cut_access(user: User, *actions: Action, keep_session_id: str | None = None) -> None:
    """Apply `actions` and end everything the user had going: sessions (but `keep_session_id`), pending
    MFA challenges (their access_version no longer matches), the setup token."""
    user.update(actions=[*actions, User.access_version.add(1), User.setup_token_hash.remove(),
                         User.setup_token_expires_at.remove()])
    sessions.end_sessions_of(user.org_id, user.user_id, keep_session_id=keep_session_id)


def start_reset(principal: Principal, user_id: str) -> None:
    """E-mail the user a new setup token (the admin never sees it); their sessions and pending
    challenges end, the current password keeps working until the new one is set."""
    require(principal.role, Permission.USERS_MANAGE)
    user = _manageable_user(principal, user_id, None)
    cut_access(user)
    token = _issue_setup_token(user)
    user.update(actions=[User.setup_token_hash.set(user.setup_token_hash),
                         User.setup_token_expires_at.set(user.setup_token_expires_at)])
    account_mail.send_reset(user, find_user(principal.org_id, principal.user_id), token)
    audit.record(principal.org_id, principal.user_id, "user.reset_started", subjects={"user_id": user_id},
                 origin=principal.origin)


def issue_forgotten_password_token(user: User) -> str:
    """A single-use token for "forgot password", good for FORGOT_TOKEN_LIFETIME (sessions stay)."""
    token = _issue_setup_token(user, FORGOT_TOKEN_LIFETIME)
    user.update(actions=[User.setup_token_hash.set(user.setup_token_hash),
                         User.setup_token_expires_at.set(user.setup_token_expires_at)])
    return token


def unlock(principal: Principal, user_id: str) -> None:
    """Lift another user's lockout: the rules of every change to a user (never oneself, owners only by
    owners), so a locked session cannot clear its own count and guess on."""
    require(principal.role, Permission.USERS_MANAGE)
    user = _manageable_user(principal, user_id, None)
    lockout.clear(principal.org_id, user.email_index)
    audit.record(principal.org_id, principal.user_id, "user.unlocked", subjects={"user_id": user_id},
                 origin=principal.origin)


def end_user_sessions(principal: Principal, user_id: str) -> int:
    """End another user's sessions and pending challenges (owners' only by an owner)."""
    require(principal.role, Permission.USERS_MANAGE)
    user = _manageable_user(principal, user_id, None)
    ended = len(sessions.sessions_of(principal.org_id, user_id))
    cut_access(user)
    audit.record(principal.org_id, principal.user_id, "sessions.revoked", subjects={"user_id": user_id},
                 origin=principal.origin)
    return ended


MAX_SETUP_TOKEN_LENGTH = 256


def user_for_setup_token(token: str) -> User:
    """The user a setup token belongs to, if it is current; InvalidToken otherwise."""
    org_id, _, rest = token.partition(".")
    user_id, _, _secret = rest.partition(".")
    if not (org_id and user_id and _secret) or len(token) > MAX_SETUP_TOKEN_LENGTH:
        raise InvalidToken()  # DynamoDB refuses empty or oversized keys: never ask it
    try:
        user = User.get(org_id, user_id)
    except (User.DoesNotExist, ValueError) as error:
        raise InvalidToken() from error
    expected = user.setup_token_hash or ""
    if not hmac.compare_digest(expected, token_hash(token)) or not user.setup_token_expires_at:
        raise InvalidToken()
    if clock.now() >= user.setup_token_expires_at or user.disabled:
        raise InvalidToken()
    return user


def find_user(org_id: str, user_id: str) -> User:
    try:
        return User.get(org_id, user_id)
    except User.DoesNotExist as error:
        raise NotFound("No such user.") from error


def find_user_by_email(org_id: str, index: str) -> User | None:
    return next(iter(User.by_email.query(org_id, User.email_index == index)), None)


def describe(user: User) -> dict[str, Any]:
    details = user.unseal()
    return {
        "id": user.user_id,
        "email": details["email"],
        "name": details["name"],
        "role": user.role,
        "disabled": bool(user.disabled),
        "password_set": user.password_hash is not None,
        "created_at": clock.isoformat(user.created_at),
        "last_login_at": clock.isoformat(user.last_login_at) if user.last_login_at else None,
    }


def describe_with_lock(user: User, locks: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """A user as owners and admins list them: with their lockout (`locks` from lockout.locks_of; read
    when None). One count locks passwords and second factors alike (lockout.py)."""
    if locks is None:
        locks = lockout.locks_of(user.org_id, [user.email_index])
    locked_until = locks.get(user.email_index)
    return {**describe(user), "locked": locked_until is not None,
            "locked_until": clock.isoformat(locked_until) if locked_until else None}


def _insert_user(org_id: str, email: str, name: str, role: str, actor: str, origin: audit.Origin) -> NewUser:
    index = email_index(org_id, email)
    user = User(org_id, uuid.uuid4().hex, email_index=index, role=role, created_at=clock.now())
    user.seal({"email": email, "name": name})
    token = _issue_setup_token(user)
    claim = Counter(f"user-email/{org_id}/{index}", ttl=2**31 - 1)
    created = audit.entry(org_id, actor, "user.created", subjects={"user_id": user.user_id, "role": role},
                          origin=origin)
    try:
        with audit.audited_transaction(created) as tx:
            tx.save(claim, condition=Counter.key.does_not_exist())
            tx.save(user, condition=User.user_id.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("A user with that e-mail address already exists.", field="email") from error
    return NewUser(describe(user), token)


def _issue_setup_token(user: User, lifetime: timedelta = SETUP_TOKEN_LIFETIME) -> str:
    token = f"{user.org_id}.{user.user_id}.{secrets.token_urlsafe(32)}"
    user.setup_token_hash = token_hash(token)
    user.setup_token_expires_at = clock.now() + lifetime
    return token


def manageable_user(principal: Principal, user_id: str) -> User:
    """Another user the caller may manage (USERS_MANAGE; never oneself; owners only by owners)."""
    require(principal.role, Permission.USERS_MANAGE)
    return _manageable_user(principal, user_id, None)


def _manageable_user(principal: Principal, user_id: str, new_role: str | None) -> User:
    """The target user, if the caller may manage them: not themselves, and owners only by owners."""
    if user_id == principal.user_id:
        raise Forbidden("Ask another administrator to change your own account.")
    user = find_user(principal.org_id, user_id)
    if not may_assign(principal.role, user.role) or (new_role and not may_assign(principal.role, new_role)):
        raise Forbidden("Only an owner can change an owner.")
    return user


def _audit_change(principal: Principal, user_id: str, field: str, value: Any) -> None:
    action = {"role": "user.role_changed", "name": "user.renamed",
              "disabled": "user.disabled" if value else "user.enabled"}[field]
    subjects = {"user_id": user_id, **({"role": str(value)} if field == "role" else {})}
    audit.record(principal.org_id, principal.user_id, action, subjects=subjects, origin=principal.origin)
