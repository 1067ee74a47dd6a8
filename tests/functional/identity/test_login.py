"""Logging in, as a user, a guesser and a password sprayer would meet it."""

from __future__ import annotations

import pytest

from chalicelib.services.identity import passwords
from tests.functional.identity.helpers import Account, body, call, login, make_org, post_json, put_policy, token_for


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("staff",))


def attempts(client, token, **query):
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return body(call(client, "GET", f"/v1/login-attempts?{suffix}", token))["attempts"]


def test_owner_logs_in_and_the_token_opens_staff_routes(client, acme):
    response = login(client, acme["owner"])

    assert response.status_code == 200
    token = body(response)["token"]
    assert len(token) >= 43 and body(response)["expires_at"].endswith("Z")
    assert call(client, "GET", "/v1/users", token).status_code == 200


def test_wrong_password_and_unknown_email_get_identical_answers(client, acme):
    wrong_password = login(client, acme["owner"], password="not-the-password-at-all")
    unknown = login(client, Account("acme", "", "", "nobody@acme.example", "staff"))
    unknown_org = login(client, Account("no-such-org", "", "", "owner@acme.example", "owner"))

    assert wrong_password.status_code == unknown.status_code == unknown_org.status_code == 401
    assert body(wrong_password) == body(unknown) == body(unknown_org)
    assert body(unknown)["error"]["code"] == "invalid_credentials"


def test_known_and_unknown_accounts_cost_the_same_argon2_work(client, acme, monkeypatch):
    verifications = []
    real = passwords.HASHER

    class CountingHasher:
        def verify(self, stored, password):
            verifications.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "HASHER", CountingHasher())

    login(client, acme["owner"], password="wrong-password-123")
    login(client, Account("acme", "", "", "nobody@acme.example", "staff"))
    login(client, Account("no-such-org", "", "", "x@y.example", "staff"))

    assert len(verifications) == 3


def test_every_attempt_is_logged_with_outcome_ip_and_user_agent(client, acme):
    login(client, acme["staff"], password="wrong-password-123")
    post_json(client, "/v1/auth/login", {"org": "acme", "email": "ghost@acme.example", "password": "x"},
              **{"User-Agent": "GuessBot/1.0"})
    token = token_for(client, acme["owner"])

    logged = attempts(client, token)
    outcomes = [a["outcome"] for a in logged]
    assert outcomes == ["success", "unknown_account", "bad_password"]
    assert logged[1]["user_agent"] == "GuessBot/1.0" and logged[1]["user_id"] is None
    assert logged[2]["user_id"] == acme["staff"].user_id
    assert all(a["source_ip"] == "127.0.0.0/24" for a in logged)  # the network only (issue 22, item 8)
    assert [a["outcome"] for a in attempts(client, token, outcome="bad_password")] == ["bad_password"]
    assert [a["user_id"] for a in attempts(client, token, user_id=acme["staff"].user_id)] == [
        acme["staff"].user_id]


def test_account_locks_after_threshold_even_for_the_right_password(client, acme, fake_clock, log_output):
    for _ in range(10):
        assert login(client, acme["staff"], password="wrong-password-123").status_code == 401
    assert '"message":"account locked"' in log_output.getvalue()  # feeds the lockout-spike alarm

    locked = login(client, acme["staff"])
    assert locked.status_code == 429
    assert body(locked)["error"]["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60

    fake_clock.advance(minutes=15, seconds=1)
    assert login(client, acme["staff"]).status_code == 200


def test_unknown_accounts_lock_exactly_like_known_ones(client, acme):
    ghost = Account("acme", "", "", "ghost@acme.example", "staff")
    answers = [login(client, ghost).status_code for _ in range(11)]

    assert answers == [401] * 10 + [429]


def test_admin_unlocks_a_locked_account(client, acme):
    for _ in range(10):
        login(client, acme["staff"], password="wrong-password-123")
    owner_token = token_for(client, acme["owner"])

    response = call(client, "POST", f"/v1/users/{acme['staff'].user_id}/unlock", owner_token)

    assert response.status_code == 204
    assert login(client, acme["staff"]).status_code == 200


def test_lockout_threshold_follows_the_policy(client, acme):
    owner_token = token_for(client, acme["owner"])
    put_policy(client, owner_token, {"lockout_threshold": 3})

    answers = [login(client, acme["staff"], password="wrong-password-123").status_code for _ in range(4)]

    assert answers == [401, 401, 401, 429]


def test_one_address_spraying_many_accounts_is_throttled(client, aws_stack, from_ip, fake_clock):
    # fake_clock: the limit counts in fixed 15-minute windows, and real time could cross a boundary mid-test
    make_org("acme")
    from_ip("198.51.100.7")
    answers = [login(client, Account("acme", "", "", f"user{n}@acme.example", "staff")).status_code
               for n in range(31)]

    assert answers == [401] * 30 + [429]
    from_ip("198.51.100.8")
    assert login(client, Account("acme", "", "", "user0@acme.example", "staff")).status_code == 401


def test_disabled_user_cannot_log_in_and_loses_live_sessions(client, acme):
    staff_token = token_for(client, acme["staff"])
    owner_token = token_for(client, acme["owner"])

    call(client, "PATCH", f"/v1/users/{acme['staff'].user_id}", owner_token, {"disabled": True})

    assert call(client, "GET", "/v1/auth/sessions", staff_token).status_code == 401
    assert login(client, acme["staff"]).status_code == 401
