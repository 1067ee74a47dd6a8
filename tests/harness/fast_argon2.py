"""The suite's password hashing: argon2id at its smallest cost instead of the production parameters.

At m=46 MiB each hash or check costs ~70 ms of CPU, and it was a third of the functional tests' time
(`tests/functional/identity` and `console`: 131 s of 446 s). No test's outcome depends on that cost: the
tests that compare known and unknown accounts count argon2 calls, the ones that time answers run
against a spawned stack (not this process), and a stored hash names its own parameters, so every hash
verifies under either hasher. `production_argon2` (tests/conftest.py) gives a test the app's own hasher
back: `functional/identity/test_password_hashing.py` proves the production parameters and the rehash on
login with it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.low_level import Type

from chalicelib.services.identity import passwords

PRODUCTION = passwords.HASHER
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def use(hasher: PasswordHasher) -> None:
    """Hash with `hasher` from now on; the unknown-account dummy hash is made again with it."""
    passwords.HASHER = hasher
    passwords._dummy_hash.cache_clear()
