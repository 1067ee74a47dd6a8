"""The second step of a login: the `mfa_token` (5 minutes, single use) and checking a factor with it."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, InvalidToken, ValidationFailed
from chalicelib.models.mfa import MfaChallenge, MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors, recovery_codes, security_keys, sms, totp
from chalicelib.services.identity.sessions import token_hash

LIFETIME = timedelta(minutes=5)


def begin(user: User) -> tuple[str, list[str]]:
    """Issue an mfa_token for `user`; returns it with the methods they can use."""
    token = secrets.token_urlsafe(32)
    expires = clock.now() + LIFETIME
    MfaChallenge(token_hash(token), org_id=user.org_id, user_id=user.user_id, expires_at=expires,
                 access_version=int(user.access_version or 0), ttl=int(expires.timestamp())).save()
    return token, factors.login_methods(user.org_id, user.user_id)


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


def send_sms_code(challenge: MfaChallenge, user: User) -> None:
    rows = factors.factors_of(user.org_id, user.user_id, factors.SMS)
    if not rows:
        raise ValidationFailed("No SMS factor is set up.", field="method")
    code_hash, expires = sms.send_code(user, rows[0].unseal()["phone"], challenge.token_hash)
    challenge.update(actions=[MfaChallenge.sms_code_hash.set(code_hash),
                              MfaChallenge.sms_code_expires_at.set(expires)])


def webauthn_options(challenge: MfaChallenge, user: User) -> dict[str, Any]:
    random_challenge, options = security_keys.authentication_options(user)
    challenge.update(actions=[MfaChallenge.webauthn_challenge.set(random_challenge)])
    return options


def check(challenge: MfaChallenge, user: User, method: str, code: str | None,
          credential: dict[str, Any] | None) -> MfaFactor | None:
    """Check one factor; raises InvalidCredentials when it fails. Returns the factor used."""
    if method == factors.TOTP:
        return totp.accept_any(user, code or "")
    if method == factors.RECOVERY:
        return recovery_codes.use(user, code or "")
    if method == factors.SMS:
        sms.check_code(code or "", challenge.sms_code_hash, challenge.sms_code_expires_at, challenge.token_hash)
        challenge.update(actions=[MfaChallenge.sms_code_hash.remove()])  # single use
        return None
    if method == factors.WEBAUTHN and credential and challenge.webauthn_challenge:
        expected = challenge.webauthn_challenge
        challenge.update(actions=[MfaChallenge.webauthn_challenge.remove()])  # single use
        return security_keys.authenticate(user, credential, expected)
    raise InvalidCredentials("That method is not available.")

