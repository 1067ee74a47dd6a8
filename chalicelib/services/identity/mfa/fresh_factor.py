"""A fresh second factor inside a session, for the acts that need one now (export, deletion, letting support
in): a current authenticator code, or a security key's answer to a challenge issued to this session.

The key's challenge is kept like a login's (the mfa_challenges table, 5 minutes) under a key of its own
session, and is spent by the first answer, right or wrong. Lockout is the caller's: see `reauth`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, NotFound
from chalicelib.models.mfa import MfaChallenge
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors, security_keys, totp

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


def proven(user: User, session_id: str, code: str | None, credential: dict[str, Any] | None) -> bool:
    """Whether the code, or else the key's answer, is a fresh second factor of `user`."""
    try:
        if code:
            totp.accept_any(user, code)
        else:
            security_keys.authenticate(user, credential or {}, _spend_challenge(user, session_id))
    except InvalidCredentials:
        return False
    return True


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
