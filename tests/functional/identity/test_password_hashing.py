"""The argon2id parameters the app stores passwords with, and the rehash when they change (ASVS 11.4.2).

The suite hashes at argon2's smallest cost (tests/harness/fast_argon2.py); these tests take the app's own
hasher back with `production_argon2`."""

from __future__ import annotations

from chalicelib.models.user import User
from tests.functional.identity.helpers import login, make_org
from tests.harness import fast_argon2

PRODUCTION = "$argon2id$v=19$m=47104,t=1,p=1$"  # OWASP Password Storage Cheat Sheet: m=46 MiB, t=1, p=1
FAST = "$argon2id$v=19$m=8,t=1,p=1$"


def stored_hash(account) -> str:
    return User.get(account.org_id, account.user_id).password_hash


def test_a_password_set_by_the_app_is_stored_with_the_production_parameters(client, production_argon2):
    accounts = make_org("acme")

    assert stored_hash(accounts["owner"]).startswith(PRODUCTION)
    assert login(client, accounts["owner"]).status_code == 200


def test_a_hash_made_with_older_parameters_is_made_again_at_the_next_right_password(client, production_argon2):
    fast_argon2.use(fast_argon2.FAST)  # the account's hash predates today's parameters
    owner = make_org("acme")["owner"]
    assert stored_hash(owner).startswith(FAST)
    fast_argon2.use(fast_argon2.PRODUCTION)

    assert login(client, owner, password="not-the-password-at-all").status_code == 401
    assert stored_hash(owner).startswith(FAST)  # a wrong password changes nothing

    assert login(client, owner).status_code == 200
    assert stored_hash(owner).startswith(PRODUCTION)
    assert login(client, owner).status_code == 200  # and the new hash opens
