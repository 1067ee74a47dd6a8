"""A fresh second factor with a security key: an owner whose only factor is a key exports, deletes and lets
support in with it; its challenge belongs to one session, works once and lives five minutes."""

from __future__ import annotations

import pytest
from soft_webauthn import SoftWebauthnDevice

from chalicelib.services.identity.mfa import fresh_factor
from tests.functional.identity.helpers import PASSWORD, body, call, login, make_org, post_json, token_for
from tests.functional.identity.test_mfa import (
    ORIGIN,
    as_json,
    assertion,
    from_b64url,
    key_step_up,
    register_key,
    second_step,
    verify,
)
from tests.functional.transparency.helpers import ask_access, make_vendor

FRESH_OPTIONS = "/v1/auth/mfa/webauthn/reauth-options"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin",))


@pytest.fixture
def key(client, acme, fake_clock) -> SoftWebauthnDevice:
    """The owner's one and only second factor, held for longer than a new factor's wait (24 h)."""
    device = SoftWebauthnDevice()
    assert register_key(client, token_for(client, acme["owner"]), device).status_code == 200
    fake_clock.advance(hours=25)
    return device


def key_session(client, account, device: SoftWebauthnDevice) -> str:
    mfa = second_step(client, account)
    credential, _ = assertion(client, mfa["mfa_token"], device)
    return body(verify(client, mfa["mfa_token"], "webauthn", credential=credential))["token"]


def proof(**factor) -> dict:
    """The step-up in the request itself: the password and the factor."""
    return {"password": PASSWORD, **factor}


def fresh_options(client, token: str) -> dict:
    options = body(call(client, "POST", FRESH_OPTIONS, token))["options"]
    return {"publicKey": {**options, "challenge": from_b64url(options["challenge"])}}


def fresh_answer(client, token: str, device: SoftWebauthnDevice) -> dict:
    return as_json(device.get(fresh_options(client, token), ORIGIN))


def test_an_owner_whose_only_factor_is_a_key_exports_deletes_and_approves_support_with_it(client, acme, key):
    token = key_session(client, acme["owner"], key)
    vendor = make_vendor()
    grant = body(ask_access(client, vendor.token(vendor.first), "acme"))["grant"]

    exported = post_json(client, "/v1/org/exports", proof(credential=fresh_answer(client, token, key)), token)
    approved = post_json(client, f"/v1/org/support-grants/{grant['id']}/approve",
                         proof(credential=fresh_answer(client, token, key)), token)
    deleted = post_json(client, "/v1/org/deletion", proof(credential=fresh_answer(client, token, key)), token)

    assert [exported.status_code, approved.status_code, deleted.status_code] == [202, 200, 202]
    assert body(approved)["grant"]["status"] == "active"


def test_a_key_challenge_is_answered_once_and_only_in_the_session_that_asked(client, acme, key):
    token, other = key_session(client, acme["owner"], key), key_session(client, acme["owner"], key)
    options = fresh_options(client, token)
    first, second = (as_json(key.get(options, ORIGIN)) for _ in range(2))  # the key signs the challenge twice

    elsewhere = post_json(client, "/v1/org/exports", proof(credential=first), other)
    assert elsewhere.status_code == 401
    assert post_json(client, "/v1/org/exports", proof(credential=first), token).status_code == 202
    again = post_json(client, "/v1/org/deletion", proof(credential=second), token)
    assert (again.status_code, body(again)["error"]["code"]) == (401, "invalid_credentials")


def test_a_key_challenge_lives_five_minutes(client, acme, key, fake_clock):
    token = key_session(client, acme["owner"], key)
    answer = fresh_answer(client, token, key)
    fake_clock.advance(minutes=5)

    assert post_json(client, "/v1/org/exports", proof(credential=answer), token).status_code == 401


def test_no_key_no_challenge_and_no_proof_is_a_step_up(client, acme, key):
    admin = token_for(client, acme["admin"])
    owner = key_session(client, acme["owner"], key)

    no_key = call(client, "POST", FRESH_OPTIONS, admin)
    nothing = post_json(client, "/v1/org/exports", {}, owner)
    both = post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": "123456", "credential": {}}, owner)

    assert (no_key.status_code, body(no_key)["error"]["code"]) == (404, "not_found")
    assert (nothing.status_code, body(nothing)["error"]["code"]) == (403, "step_up_required")
    assert (both.status_code, body(both)["error"]["code"]) == (422, "validation_failed")


def test_forged_key_answers_count_toward_the_lockout(client, acme, key):
    token = key_session(client, acme["owner"], key)
    forged = {**fresh_answer(client, token, key), "id": "AAAA"}
    answers = []
    for _ in range(10):
        call(client, "POST", FRESH_OPTIONS, token)
        answers.append(post_json(client, "/v1/org/exports", proof(credential=forged), token).status_code)

    assert answers == [401] * 9 + [429]
    assert login(client, acme["owner"]).status_code == 429


def malformed_answers(valid: dict) -> list[dict]:
    """Answers webauthn's parser refuses before any signature is checked (each was a 500 once)."""
    return [{**valid, "rawId": 1}, {key: valid[key] for key in ("id", "rawId", "type")},
            {**valid, "response": [1]}, {**valid, "type": "x"}, {**valid, "authenticatorAttachment": "zz"},
            {"id": valid["id"], "x": [[[[{}]]]]}]


def test_a_malformed_key_answer_is_a_wrong_answer_everywhere_never_a_500(client, acme, key):
    token = key_session(client, acme["owner"], key)
    admins_key = SoftWebauthnDevice()  # the login's tries count toward another account's lockout
    assert register_key(client, token_for(client, acme["admin"]), admins_key).status_code == 200
    mfa = second_step(client, acme["admin"])
    valid, _ = assertion(client, mfa["mfa_token"], admins_key)

    owners = fresh_answer(client, token, key)
    fresh = [post_json(client, "/v1/org/exports", proof(credential=answer), call_options(client, token)).status_code
             for answer in malformed_answers(owners)]
    at_login = [verify(client, mfa["mfa_token"], "webauthn", credential=answer).status_code
                for answer in malformed_answers(valid)]
    options = call(client, "POST", "/v1/auth/mfa/webauthn/register/options", token, key_step_up(client, token, key))
    registering = post_json(client, "/v1/auth/mfa/webauthn/register", {"credential": {"id": "x", "rawId": 1}}, token)

    assert fresh == at_login == [401] * 6
    assert options.status_code == 200 and registering.status_code == 401


def call_options(client, token: str) -> str:
    """Ask for a fresh challenge (so each answer meets one), and return the token to send with it."""
    assert call(client, "POST", FRESH_OPTIONS, token).status_code == 200
    return token


def test_the_try_that_locks_ends_the_sessions_even_if_its_check_fails_unexpectedly(client, acme, key, monkeypatch):
    token = key_session(client, acme["owner"], key)
    for n in range(9):
        post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": f"{n:06d}"}, token)
    monkeypatch.setattr(fresh_factor, "proven", lambda *_: (_ for _ in ()).throw(RuntimeError("a bug")))

    crashed = post_json(client, "/v1/org/exports", proof(code="999999"), token)

    assert crashed.status_code == 500
    assert call(client, "GET", "/v1/auth/mfa/factors", token).status_code == 401  # the stolen session ended
    assert login(client, acme["owner"]).status_code == 429
