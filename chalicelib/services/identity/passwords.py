"""Password hashing (argon2id, explicit parameters) and the checks a new password must pass.

NIST SP 800-63B 3.1.1.2 / ASVS 6.2: length over composition, Unicode normalized and never truncated,
a blocklist of common passwords, no words from the org or the e-mail, a strength estimate; each
refusal says why. Composition rules and history are per-org options, off by default.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from chalicelib.errors import WeakPassword
from chalicelib.services.identity.policy import SecurityPolicy

MAX_LENGTH = 1024  # far above 64 (ASVS 6.2.9), low enough to bound hashing work
MIN_STRENGTH = 3  # zxcvbn score, 0-4
ZXCVBN_MAX_LENGTH = 72
# OWASP Password Storage Cheat Sheet: argon2id, m=46 MiB, t=1, p=1.
HASHER = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
_CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


def normalize(password: str) -> str:
    """NFKC, as NIST SP 800-63B 5.1.1.2 asks; nothing is stripped, case-folded or truncated."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return HASHER.hash(normalize(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no stored hash it still spends the same work (no timing leak)."""
    try:
        return HASHER.verify(stored_hash or _dummy_hash(), normalize(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


def check_new_password(password: str, policy: SecurityPolicy, context_words: Iterable[str],
                       history: Iterable[str] = ()) -> None:
    """Raise WeakPassword with every reason that applies, or return if the password is acceptable."""
    candidate = normalize(password)
    reasons = _length_reasons(candidate, policy)
    if policy.password_require_classes and sum(bool(re.search(c, candidate)) for c in _CLASSES) < 3:
        reasons.append("Use at least three of: lowercase, uppercase, digits, symbols.")
    if len(candidate) <= MAX_LENGTH:
        reasons += _strength_reasons(candidate, [w for w in context_words if w])
    if any(verify_password(old, password) for old in history):
        reasons.append("This password was used recently; choose another.")
    if reasons:
        raise WeakPassword(reasons=reasons)


def context_words(*values: str) -> list[str]:
    """Words a password must not be built from: org slug and name, e-mail local part and domain."""
    words: set[str] = set()
    for value in values:
        words.update(w for w in re.split(r"[^\w]+", value.casefold()) if len(w) >= 3)
    return sorted(words)


def _length_reasons(candidate: str, policy: SecurityPolicy) -> list[str]:
    if len(candidate) < policy.password_min_length:
        return [f"Use at least {policy.password_min_length} characters."]
    if len(candidate) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    return []


def _strength_reasons(candidate: str, words: list[str]) -> list[str]:
    # zxcvbn takes at most 72 characters; a longer password is at least as strong as its prefix.
    result = _zxcvbn()(candidate[:ZXCVBN_MAX_LENGTH], user_inputs=words)
    matched = {m.get("dictionary_name") for m in result["sequence"] if m.get("pattern") == "dictionary"}
    reasons = []
    if "user_inputs" in matched:
        reasons.append("Do not use the organization's name or your e-mail address in the password.")
    if result["score"] < MIN_STRENGTH:
        reasons.append("This is a commonly used password." if "passwords" in matched else _warning(result))
    return reasons


def _warning(result: dict[str, Any]) -> str:
    warning = result["feedback"].get("warning") or "This password is too easy to guess"
    return warning.rstrip(".") + "."


@functools.cache
def _zxcvbn() -> Any:
    from zxcvbn import zxcvbn  # ~1.7 MB of word lists: loaded on the first password check, not at import

    return zxcvbn


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("safeslot timing equalizer")
