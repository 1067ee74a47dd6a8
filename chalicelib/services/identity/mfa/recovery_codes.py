"""Recovery codes: 10 random codes, stored hashed, each good once (ASVS 6.5.2)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pynamodb.exceptions import UpdateError

from chalicelib.errors import InvalidCredentials
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _hash(user: User, code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"{user.org_id}/{user.user_id}/{normalized}".encode()).hexdigest()


def regenerate(user: User) -> list[str]:
    """New codes replace any old ones; returns them (shown once)."""
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(3))
             for _ in range(COUNT)]  # 3x5 characters from 31: about 74 bits each
    for old in factors.factors_of(user.org_id, user.user_id, factors.RECOVERY, active_only=False):
        old.delete()
    row = factors.new_factor(user, factors.RECOVERY, label="Recovery codes")
    row.status = factors.ACTIVE
    row.code_hashes = [_hash(user, code) for code in codes]
    row.seal({})
    row.save()
    return codes


def use(user: User, code: str) -> MfaFactor:
    """Spend one code; raises InvalidCredentials if it is not a current code."""
    wanted = _hash(user, code)
    for row in factors.factors_of(user.org_id, user.user_id, factors.RECOVERY):
        remaining = list(row.code_hashes or [])
        match = next((h for h in remaining if hmac.compare_digest(h, wanted)), None)
        if match is None:
            continue
        remaining.remove(match)
        try:  # conditional on the list we read, so one code cannot be spent twice concurrently
            row.update(actions=[MfaFactor.code_hashes.set(remaining)],
                       condition=MfaFactor.code_hashes == row.code_hashes)
        except UpdateError as error:
            raise InvalidCredentials("The code is not correct.") from error
        return row
    raise InvalidCredentials("The code is not correct.")
