"""A second factor proven again inside a session, for a step-up (see `reauth.step_up`): a current
authenticator code, a recovery code, or a security key's answer to a challenge issued to this session.

The key's challenge is kept like a login's (the mfa_challenges table, 5 minutes) under a key of its own
session, and is spent by the first answer, right or wrong. Lockout is the caller's: see `reauth`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, NotFound
from chalicelib.models.mfa import MfaChallenge, MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors, recovery_codes, security_keys, totp

LIFETIME = timedelta(minutes=5)


def security_key_options(user: User, session_id: str) -> dict[str, Any]:
    """Options for navigator.credentials.get(), with a challenge good for one answer within this session."""
    if not factors.factors_of(user.org_id, user.user_id, factors.WEBAUTHN):
        raise NotFound("No security key is registered.")
    challenge, options = security_keys.authentication_options(user)
    expires = clock.now() + LIFETIME
    MfaChallenge(_key(session_id), org_id=user.org_id, user_id=user.user_id, expires_at=expires,
                 methods=[factors.WEBAUTHN], webauthn_challenge=challenge,
                 access_version=int(user.access_version or 0), ttl=int(expires.timestamp())).save()
    return options


def proven(user: User, session_id: str, code: str | None, credential: dict[str, Any] | None) -> MfaFactor | None:
    """The factor that the code (an authenticator's, else a recovery code) or else the key's answer proves
    now; None when it proves none."""
    try:
        if code:
            return _code_factor(user, code)
        return security_keys.authenticate(user, credential or {}, _spend_challenge(user, session_id))
    except InvalidCredentials:
        return None


def has_factor(user: User) -> bool:
    """Whether the user has any active sign-in method (then every step-up must prove one)."""
    return any(f.kind in factors.LOGIN_METHODS for f in factors.factors_of(user.org_id, user.user_id))


def _code_factor(user: User, code: str) -> MfaFactor:
    try:
        return totp.accept_any(user, code)
    except InvalidCredentials:
        return recovery_codes.use(user, code)


def _spend_challenge(user: User, session_id: str) -> str:
    try:
        challenge = MfaChallenge.get(_key(session_id), consistent_read=True)
        challenge.delete(condition=MfaChallenge.webauthn_challenge == challenge.webauthn_challenge)
    except (MfaChallenge.DoesNotExist, DeleteError) as error:  # none asked for, or already answered
        raise InvalidCredentials("Ask for a new security key challenge.") from error
    if (clock.now() >= challenge.expires_at or challenge.user_id != user.user_id
            or int(challenge.access_version or 0) != int(user.access_version or 0)):
        raise InvalidCredentials("Ask for a new security key challenge.")
    return str(challenge.webauthn_challenge)


def _key(session_id: str) -> str:
    return f"reauth#{session_id}"  # never a login's token_hash: those are hex digests
