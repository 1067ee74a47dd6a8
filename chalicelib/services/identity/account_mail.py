"""E-mails that carry a one-time setup code to a staff user (invitation, admin reset, forgotten password).

The code goes only to the address stored on the user's record, never back to whoever asked for it.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import notify

_HOW_TO_USE = ("Choose your password in SafeSlot's staff console by opening this link:\n\n{link}\n\n"
               "or, from an API client, with this one-time setup code:\n\n    {token}\n\n"
               "The link works once (so does the code) and expires at {expires} (UTC). Your second factor, if "
               "you have one, is still needed to sign in.")


def send_invitation(user: User, inviter: User, token: str) -> None:
    """Who invited them, to which organization and role, and when the code expires (72 hours)."""
    org = Organization.get(user.org_id)
    text = (f"{inviter.unseal()['name']} invited you to join {org.name} on SafeSlot as {user.role}.\n\n"
            + _how_to_use(token, user.setup_token_expires_at)
            + "\n\nIf you did not expect this invitation, ignore this e-mail.")
    _send(user, f"{org.name} invited you to SafeSlot", text)


def send_reset(user: User, admin: User, token: str) -> None:
    org = Organization.get(user.org_id)
    text = (f"{admin.unseal()['name']}, an administrator of {org.name}, started a password reset for your "
            "SafeSlot account. Your current password keeps working until you choose a new one.\n\n"
            + _how_to_use(token, user.setup_token_expires_at))
    _send(user, "Choose a new SafeSlot password", text)


def send_forgotten_password(user: User, token: str) -> None:
    org = Organization.get(user.org_id)
    text = (f"Someone asked to reset the password of your {org.name} SafeSlot account. If it was not you, "
            "ignore this e-mail: nothing changes.\n\n" + _how_to_use(token, user.setup_token_expires_at))
    _send(user, "Reset your SafeSlot password", text)


def _how_to_use(token: str, expires: datetime | None) -> str:
    return _HOW_TO_USE.format(token=token, link=setup_link(token),
                              expires=clock.isoformat(expires) if expires else "soon")


def setup_link(token: str) -> str:
    """The console's set-password page; the token rides in the fragment, which no server or log receives."""
    return f"{settings().public_url}/console#setup/{token}"


def _send(user: User, subject: str, text: str) -> None:
    notify.send_email(user.unseal()["email"], subject, text)


def tell_owners(org_id: str, subject: str, text: str, but: str | None = None) -> None:
    """Every active owner of the org (but the user `but`) hears of a change that matters to them."""
    for owner in User.query(org_id, filter_condition=User.role == "owner"):
        if not owner.disabled and owner.user_id != but:
            notify.send_email(owner.unseal()["email"], subject, text)
