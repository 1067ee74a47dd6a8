"""Storing, listing and removing a user's factors, with the notices each change sends."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services import audit, notify
from chalicelib.services.identity import account_mail

TOTP, SMS, VOICE, WEBAUTHN, RECOVERY, DUO = "totp", "sms", "voice", "webauthn", "recovery", "duo"
PENDING, ACTIVE = "pending", "active"
LOGIN_METHODS = (TOTP, WEBAUTHN, SMS, VOICE)  # a user's own factors, strongest first
SECOND_FACTORS = (*LOGIN_METHODS, DUO)  # what an org's policy may name as counting


def new_factor(user: User, kind: str, label: str | None = None) -> MfaFactor:
    return MfaFactor(user.org_id, f"{user.user_id}#{secrets.token_hex(8)}", kind=kind, status=PENDING,
                     label=label, created_at=clock.now())


def factors_of(org_id: str, user_id: str, kind: str | None = None, active_only: bool = True) -> list[MfaFactor]:
    rows = MfaFactor.query(org_id, MfaFactor.factor_key.startswith(f"{user_id}#"), consistent_read=True)
    return [f for f in rows if (kind is None or f.kind == kind) and (not active_only or f.status == ACTIVE)]


def factor(org_id: str, user_id: str, factor_id: str) -> MfaFactor:
    try:
        return MfaFactor.get(org_id, f"{user_id}#{factor_id}", consistent_read=True)
    except MfaFactor.DoesNotExist as error:
        raise NotFound("No such factor.") from error


def login_methods(org_id: str, user_id: str, counting: tuple[str, ...] = SECOND_FACTORS) -> list[str]:
    """The methods this user can log in with: their factors that the policy counts, and then recovery
    codes while any remain (none when no factor counts: codes back a factor up, they do not replace it)."""
    kinds = {f.kind for f in factors_of(org_id, user_id) if f.kind != RECOVERY or f.code_hashes}
    methods = [k for k in LOGIN_METHODS if k in kinds and k in counting]
    return [*methods, RECOVERY] if methods and RECOVERY in kinds else methods



def describe(row: MfaFactor) -> dict[str, Any]:
    """What a factor's owner sees: never its secret, phone number or key material."""
    return {"id": row.factor_id, "kind": row.kind, "status": row.status, "label": row.label,
            "created_at": clock.isoformat(row.created_at),
            **({"remaining": len(row.code_hashes or [])} if row.kind == RECOVERY else {})}


def activated(user: User, row: MfaFactor, origin: audit.Origin) -> None:
    """Record and announce a factor that was just added: to its user, and at once to every owner (a new
    factor on any account is how a stolen session would make itself a second factor)."""
    row.update(actions=[MfaFactor.activated_at.set(clock.now())])
    audit.record(user.org_id, user.user_id, "mfa.factor_added", subjects={"factor_id": row.factor_id,
                 "kind": row.kind}, origin=origin)
    tell_user(user, "A sign-in method was added to your SafeSlot account",
              f"A {row.kind} sign-in method was added to your account. If this was not you, contact your "
              "administrator at once.")
    _tell_owners(user, row, origin)


def _tell_owners(user: User, row: MfaFactor, origin: audit.Origin) -> None:
    """Every active owner but the user themselves hears of it: whose account, what kind, when, from where."""
    details = user.unseal()
    text = "\n".join([
        f"A {row.kind} sign-in method was added on {clock.isoformat(clock.now())} (UTC) to the SafeSlot account "
        f"of {details['name']} ({user.role}), from the network address {origin.source_ip or 'unknown'}.", "",
        "If this was not expected, end that user's sessions and reset their sign-in methods, and review the "
        "audit trail (event mfa.factor_added).",
    ])
    account_mail.tell_owners(user.org_id, "A sign-in method was added to an account of your clinic", text,
                             but=user.user_id)


def removed(user: User, row: MfaFactor, actor: str, origin: audit.Origin) -> None:
    audit.record(user.org_id, actor, "mfa.factor_removed", subjects={"factor_id": row.factor_id,
                 "kind": row.kind, "user_id": user.user_id}, origin=origin)
    tell_user(user, "A sign-in method was removed from your SafeSlot account",
              f"A {row.kind} sign-in method was removed from your account. If this was not you, contact "
              "your administrator at once.")


def tell_user(user: User, subject: str, text: str) -> None:
    notify.send_email(user.unseal()["email"], subject, text)
