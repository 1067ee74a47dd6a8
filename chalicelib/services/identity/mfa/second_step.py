"""The second step of a login: the `mfa_token` (5 minutes, single use) and checking a factor with it.

The challenge lists the methods it accepts, fixed when the password passed: Duo alone when the org uses it,
otherwise the user's own factors that the org's policy counts (and recovery codes).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, InvalidToken, ValidationFailed
from chalicelib.models.mfa import DuoIntegration, MfaChallenge, MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import duo, factors, phone, recovery_codes, security_keys, totp
from chalicelib.services.identity.policy import SecurityPolicy
from chalicelib.services.identity.sessions import token_hash

LIFETIME = timedelta(minutes=5)


def methods_for(user: User, policy: SecurityPolicy) -> list[str]:
    """The methods `user`'s sign-in will accept; empty when they have no factor that counts."""
    integration = duo.integration_of(user.org_id) if factors.DUO in policy.mfa_methods else None
    return methods_with(user, policy, integration)


def methods_with(user: User, policy: SecurityPolicy, integration: DuoIntegration | None) -> list[str]:
    """`methods_for` with the org's Duo integration already read (a login reads it with the org)."""
    if factors.DUO in policy.mfa_methods and integration:
        return [factors.DUO]
    return factors.login_methods(user.org_id, user.user_id, policy.mfa_methods)


def begin(user: User, methods: list[str]) -> str:
    """Issue an mfa_token for `user`, accepting `methods`."""
    token = secrets.token_urlsafe(32)
    expires = clock.now() + LIFETIME
    MfaChallenge(token_hash(token), org_id=user.org_id, user_id=user.user_id, expires_at=expires,
                 methods=methods, access_version=int(user.access_version or 0),
                 ttl=int(expires.timestamp())).save()
    return token


def live(mfa_token: str) -> tuple[MfaChallenge, User]:
    """The challenge and its user, while both are good: a user disabled, changed or reset since the
    password step (their access_version moved) loses the challenge."""
    try:
        challenge = MfaChallenge.get(token_hash(mfa_token), consistent_read=True)
        user = User.get(challenge.org_id, challenge.user_id)
    except (MfaChallenge.DoesNotExist, User.DoesNotExist) as error:
        raise InvalidToken() from error
    if clock.now() >= challenge.expires_at:
        raise InvalidToken()
    if user.disabled or int(user.access_version or 0) != int(challenge.access_version or 0):
        challenge.delete()
        raise InvalidToken()
    return challenge, user


def consume(challenge: MfaChallenge) -> None:
    """Spend the token: of two requests racing with it, only one gets a session."""
    try:
        challenge.delete(condition=MfaChallenge.token_hash.exists())
    except DeleteError as error:
        raise InvalidToken() from error


def send_phone_code(challenge: MfaChallenge, user: User, kind: str) -> None:
    """Text or call a login code to the user's phone factor of `kind`."""
    _require_method(challenge, kind)
    channel = phone.CHANNELS[kind]
    rows = factors.factors_of(user.org_id, user.user_id, kind)
    if not rows:
        raise ValidationFailed(f"No {kind} factor is set up.", field="method")
    code_hash, expires = phone.send_code(channel, user, rows[0], phone.login_binding(channel, challenge.token_hash))
    challenge.update(actions=[MfaChallenge.phone_code_hash.set(code_hash),
                              MfaChallenge.phone_code_expires_at.set(expires)])


def webauthn_options(challenge: MfaChallenge, user: User) -> dict[str, Any]:
    _require_method(challenge, factors.WEBAUTHN)
    random_challenge, options = security_keys.authentication_options(user)
    challenge.update(actions=[MfaChallenge.webauthn_challenge.set(random_challenge)])
    return options


def duo_prompt(challenge: MfaChallenge, user: User, policy: SecurityPolicy) -> dict[str, Any]:
    _require_method(challenge, factors.DUO)
    row = duo.integration_of(user.org_id)
    if row is None:
        raise InvalidCredentials("Duo is not set up.")
    return duo.open_prompt(challenge, user, row,
                           lambda: factors.login_methods(user.org_id, user.user_id, policy.mfa_methods))


def check(challenge: MfaChallenge, user: User, method: str, code: str | None,
          credential: dict[str, Any] | None, state: str | None = None) -> MfaFactor | None:
    """Check one factor; raises InvalidCredentials when it fails. Returns the factor used."""
    _require_method(challenge, method)
    if method == factors.TOTP:
        return totp.accept_any(user, code or "")
    if method == factors.RECOVERY:
        return recovery_codes.use(user, code or "")
    if method in phone.CHANNELS:
        bound_to = phone.login_binding(phone.CHANNELS[method], challenge.token_hash)
        phone.check_code(code or "", challenge.phone_code_hash, challenge.phone_code_expires_at, bound_to)
        challenge.update(actions=[MfaChallenge.phone_code_hash.remove()])  # single use
        return None
    if method == factors.DUO:
        duo.check(challenge, user, code or "", state or "")
        return None
    if method == factors.WEBAUTHN and credential and challenge.webauthn_challenge:
        expected = challenge.webauthn_challenge
        challenge.update(actions=[MfaChallenge.webauthn_challenge.remove()])  # single use
        return security_keys.authenticate(user, credential, expected)
    raise InvalidCredentials("That method is not available.")


def _require_method(challenge: MfaChallenge, method: str) -> None:
    if method not in (challenge.methods or []):
        raise InvalidCredentials("That method is not available for this sign-in.")
