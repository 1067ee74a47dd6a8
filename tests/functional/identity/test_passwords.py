"""Setting, changing and expiring passwords, as a new user and an org with a strict policy meet it."""

from __future__ import annotations

import unicodedata

import pytest

from tests.functional.identity.helpers import (
    PASSWORD,
    body,
    call,
    login,
    mailed_setup_token,
    make_org,
    post_json,
    put_policy,
    token_for,
)

STRONG = "quartz-meadow-lantern-97"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("staff",))


def new_user(client, owner_token, email="nina@acme.example", role="staff"):
    response = post_json(client, "/v1/users", {"email": email, "name": "Nina Nurse", "role": role}, owner_token)
    assert response.status_code == 201, response.body
    return {**body(response), "setup_token": mailed_setup_token(email)}  # e-mailed, never in the answer


def set_up(client, setup_token, password):
    return post_json(client, "/v1/auth/setup", {"token": setup_token, "password": password})


def log_in(client, email, password, org="acme"):
    return post_json(client, "/v1/auth/login", {"org": org, "email": email, "password": password})


def test_new_user_sets_a_password_with_the_setup_token_and_logs_in(client, acme):
    created = new_user(client, token_for(client, acme["owner"]))

    assert created["user"]["password_set"] is False
    assert log_in(client, "nina@acme.example", STRONG).status_code == 401
    assert set_up(client, created["setup_token"], STRONG).status_code == 204
    assert log_in(client, "nina@acme.example", STRONG).status_code == 200


def test_setup_token_works_once(client, acme):
    created = new_user(client, token_for(client, acme["owner"]))
    set_up(client, created["setup_token"], STRONG)

    again = set_up(client, created["setup_token"], "another-fine-phrase-55")

    assert again.status_code == 401
    assert body(again)["error"]["code"] == "invalid_token"


def test_setup_token_expires_after_72_hours(client, acme, fake_clock):
    created = new_user(client, token_for(client, acme["owner"]))

    fake_clock.advance(hours=72, seconds=1)

    assert set_up(client, created["setup_token"], STRONG).status_code == 401


def test_forged_setup_token_is_refused(client, acme):
    created = new_user(client, token_for(client, acme["owner"]))
    forged = created["setup_token"][:-4] + "AAAA"

    assert set_up(client, forged, STRONG).status_code == 401


@pytest.mark.parametrize("password,reason", [
    ("short-one", "at least 12 characters"),
    ("password1234", "commonly used"),
    ("acmeclinic2026!", "organization's name or your e-mail"),
    ("aaaaaaaaaaaaaaaa", "easy to guess"),
])
def test_weak_passwords_are_refused_with_the_reason(client, acme, password, reason):
    created = new_user(client, token_for(client, acme["owner"]))

    response = set_up(client, created["setup_token"], password)

    assert response.status_code == 422
    error = body(response)["error"]
    assert error["code"] == "weak_password"
    assert any(reason in r for r in error["reasons"]), error["reasons"]


def test_long_passwords_are_accepted_whole_and_never_truncated(client, acme):
    created = new_user(client, token_for(client, acme["owner"]))
    long_password = "correct horse battery staple " * 5  # 145 characters

    assert set_up(client, created["setup_token"], long_password).status_code == 204
    assert log_in(client, "nina@acme.example", long_password).status_code == 200
    assert log_in(client, "nina@acme.example", long_password[:-1]).status_code == 401


def test_unicode_passwords_are_normalized(client, acme):
    created = new_user(client, token_for(client, acme["owner"]))
    composed = unicodedata.normalize("NFC", "Crème brûlée à Zürich 1984")

    set_up(client, created["setup_token"], composed)

    assert log_in(client, "nina@acme.example", unicodedata.normalize("NFD", composed)).status_code == 200


def test_change_needs_the_current_password_and_ends_other_sessions(client, acme):
    other_device = token_for(client, acme["staff"])
    this_device = token_for(client, acme["staff"])

    refused = post_json(client, "/v1/auth/password", {"current_password": "wrong-guess-000",
                                                       "new_password": STRONG}, this_device)
    changed = post_json(client, "/v1/auth/password", {"current_password": PASSWORD,
                                                       "new_password": STRONG}, this_device)

    assert refused.status_code == 401
    assert changed.status_code == 204
    assert call(client, "GET", "/v1/auth/sessions", other_device).status_code == 401
    assert call(client, "GET", "/v1/auth/sessions", this_device).status_code == 200
    assert log_in(client, acme["staff"].email, STRONG).status_code == 200


def test_policy_minimum_length_and_character_classes_apply(client, acme):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner,
         {"password_min_length": 20, "password_require_classes": True})
    created = new_user(client, owner)

    too_short = set_up(client, created["setup_token"], "quartz-meadow-97")
    one_class = set_up(client, created["setup_token"], "quartzmeadowlanternfive")

    assert "at least 20 characters" in body(too_short)["error"]["reasons"][0]
    assert any("three of" in r for r in body(one_class)["error"]["reasons"])
    assert set_up(client, created["setup_token"], "Quartz-Meadow-Lantern-97").status_code == 204


def test_policy_history_refuses_recent_passwords(client, acme):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"password_history": 2})
    staff = token_for(client, acme["staff"])
    change = {"current_password": PASSWORD, "new_password": STRONG}
    assert post_json(client, "/v1/auth/password", change, staff).status_code == 204

    back = post_json(client, "/v1/auth/password", {"current_password": STRONG, "new_password": PASSWORD}, staff)

    assert back.status_code == 422
    assert any("used recently" in r for r in body(back)["error"]["reasons"])


def test_expired_password_forces_a_change_before_anything_else(client, acme, fake_clock):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"password_max_age_days": 90})
    fake_clock.advance(days=91)

    response = login(client, acme["staff"])
    answer = body(response)
    assert response.status_code == 200 and answer["password_change_required"] is True
    assert "token" not in answer
    blocked = call(client, "GET", "/v1/auth/sessions", answer["change_token"])
    assert (blocked.status_code, body(blocked)["error"]["code"]) == (403, "password_change_required")

    changed = post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG},
                        answer["change_token"])

    assert changed.status_code == 200
    assert call(client, "GET", "/v1/auth/sessions", body(changed)["token"]).status_code == 200
    assert call(client, "GET", "/v1/auth/sessions", answer["change_token"]).status_code == 401


def test_admin_reset_issues_a_new_setup_token_without_learning_the_password(client, acme):
    owner = token_for(client, acme["owner"])

    reset = call(client, "POST", f"/v1/users/{acme['staff'].user_id}/reset", owner)

    assert reset.status_code == 202
    assert set_up(client, mailed_setup_token(acme["staff"].email), STRONG).status_code == 204
    assert log_in(client, acme["staff"].email, STRONG).status_code == 200
