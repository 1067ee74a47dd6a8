"""Step-up as a thief with a stolen session tries it (issue 22 item 1, ADR 0015): binding an authenticator of
their own, then using it as the "fresh second factor" of an export, needs the password and a factor the
victim already had; a factor added in the last 24 hours never counts for the gravest acts."""

from __future__ import annotations

import pyotp
import pytest

from chalicelib import clock
from chalicelib.models.mfa import MfaFactor
from tests.functional.identity.helpers import (
    PASSWORD,
    body,
    call,
    login,
    mails_to,
    make_org,
    post_json,
    put_policy,
    step_up,
    token_for,
)
from tests.functional.identity.test_mfa import enroll_totp, second_step, verify

STRONG = "quartz-meadow-lantern-97"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff"))


def later_code(secret: str, fake_clock) -> str:
    """A code of a later time step than any used before (each step is accepted once)."""
    fake_clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(clock.now())


def owner_session(client, acme, fake_clock) -> tuple[str, str]:
    """The owner's authenticator (held for two days) and a session that began with it: what a thief steals."""
    secret, _ = enroll_totp(client, token_for(client, acme["owner"]))
    fake_clock.advance(days=2)
    mfa = second_step(client, acme["owner"])
    return secret, body(verify(client, mfa["mfa_token"], "totp", later_code(secret, fake_clock)))["token"]


def owners_factors(acme) -> list[MfaFactor]:
    return [f for f in MfaFactor.query(acme["owner"].org_id) if f.user_id == acme["owner"].user_id]


def test_a_stolen_session_cannot_bind_its_own_authenticator_and_export_with_it(client, acme, fake_clock):
    _, stolen = owner_session(client, acme, fake_clock)
    before = len(owners_factors(acme))

    bare = call(client, "POST", "/v1/auth/mfa/totp/enroll", stolen, {})
    no_body = call(client, "POST", "/v1/auth/mfa/totp/enroll", stolen)
    key = call(client, "POST", "/v1/auth/mfa/webauthn/register/options", stolen, {})
    phone = post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": "+14155550123"}, stolen)
    guessed = call(client, "POST", "/v1/auth/mfa/totp/enroll", stolen, {"password": "guess-harbor-1", "code": "1"})
    export = post_json(client, "/v1/org/exports", {"code": "123456"}, stolen)

    for refused in (bare, no_body, key, phone, export):
        assert (refused.status_code, body(refused)["error"]["code"]) == (403, "step_up_required")
    assert (guessed.status_code, body(guessed)["error"]["code"]) == (401, "invalid_credentials")
    assert len(owners_factors(acme)) == before  # nothing pending, nothing bound


def test_the_password_alone_binds_no_authenticator_once_the_user_has_one(client, acme, fake_clock):
    secret, session = owner_session(client, acme, fake_clock)  # a thief who phished the password too

    password_only = call(client, "POST", "/v1/auth/mfa/totp/enroll", session, {"password": PASSWORD})
    with_factor = call(client, "POST", "/v1/auth/mfa/totp/enroll", session,
                       {"password": PASSWORD, "code": later_code(secret, fake_clock)})

    assert (password_only.status_code, body(password_only)["error"]["code"]) == (403, "step_up_required")
    assert with_factor.status_code == 200


def test_a_factor_added_in_the_last_day_is_never_the_fresh_factor_of_an_export(client, acme, fake_clock):
    old, session = owner_session(client, acme, fake_clock)
    step_up(client, session, code=later_code(old, fake_clock))
    new = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", session))["secret"]
    assert post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(new).at(clock.now())},
                     session).status_code == 200

    with_new = post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": later_code(new, fake_clock)},
                         session)
    deletion = post_json(client, "/v1/org/deletion", {}, session)  # the step-up just recorded: the new app
    with_old = post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": later_code(old, fake_clock)},
                         session)

    assert (with_new.status_code, body(with_new)["error"]["code"]) == (403, "factor_too_new")
    assert (deletion.status_code, body(deletion)["error"]["code"]) == (403, "factor_too_new")
    assert with_old.status_code == 202


def test_the_new_factor_counts_once_its_wait_is_over_and_the_wait_cannot_be_shortened(client, acme, fake_clock):
    old, session = owner_session(client, acme, fake_clock)
    shorter = call(client, "PUT", "/v1/org/security-policy", session, {"new_factor_wait_hours": 1})
    step_up(client, session, code=later_code(old, fake_clock))
    new = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", session))["secret"]
    post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(new).at(clock.now())}, session)
    fake_clock.advance(hours=25)
    mfa = second_step(client, acme["owner"])
    session = body(verify(client, mfa["mfa_token"], "totp", later_code(new, fake_clock)))["token"]

    exported = post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": later_code(new, fake_clock)},
                         session)

    assert (shorter.status_code, body(shorter)["error"]["field"]) == (422, "new_factor_wait_hours")
    assert exported.status_code == 202


def test_a_recovery_code_steps_up_for_factors_but_never_for_an_export(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["owner"]))
    fake_clock.advance(days=2)
    mfa = second_step(client, acme["owner"])
    session = body(verify(client, mfa["mfa_token"], "totp", later_code(secret, fake_clock)))["token"]
    codes = body(post_json(client, "/v1/auth/mfa/recovery-codes",
                           {"password": PASSWORD, "code": later_code(secret, fake_clock)}, session))["recovery_codes"]

    exported = post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": codes[0]}, session)
    enrolled = call(client, "POST", "/v1/auth/mfa/totp/enroll", session, {"password": PASSWORD, "code": codes[1]})

    assert (exported.status_code, body(exported)["error"]["code"]) == (403, "factor_too_new")
    assert enrolled.status_code == 200


def test_a_user_without_a_factor_proves_the_password_to_enrol_their_first(client, acme):
    session = token_for(client, acme["staff"])

    bare = call(client, "POST", "/v1/auth/mfa/totp/enroll", session, {})
    wrong = call(client, "POST", "/v1/auth/mfa/totp/enroll", session, {"password": "guess-harbor-1"})
    right = call(client, "POST", "/v1/auth/mfa/totp/enroll", session, {"password": PASSWORD})

    assert (bare.status_code, body(bare)["error"]["code"]) == (403, "step_up_required")
    assert (wrong.status_code, body(wrong)["error"]["code"]) == (401, "invalid_credentials")
    assert right.status_code == 200


def test_an_enrolment_forced_at_sign_in_still_proves_the_password(client, acme):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"require_mfa": ["staff"]})
    enroll_only = body(login(client, acme["staff"]))
    assert enroll_only["mfa_enrollment_required"] is True

    bare = call(client, "POST", "/v1/auth/mfa/totp/enroll", enroll_only["token"], {})
    right = call(client, "POST", "/v1/auth/mfa/totp/enroll", enroll_only["token"], {"password": PASSWORD})

    assert (bare.status_code, body(bare)["error"]["code"]) == (403, "step_up_required")
    assert right.status_code == 200


def test_wrong_step_ups_count_toward_the_lockout_and_the_locking_one_ends_the_session(client, acme, fake_clock):
    _, stolen = owner_session(client, acme, fake_clock)
    answers = [post_json(client, "/v1/auth/step-up", {"password": f"guess-{n}-harbor", "code": "000000"},
                         stolen).status_code for n in range(10)]

    assert answers == [401] * 9 + [429]
    assert call(client, "GET", "/v1/auth/sessions", stolen).status_code == 401
    assert login(client, acme["owner"]).status_code == 429


def test_a_step_up_lasts_five_minutes_in_its_own_session_only(client, acme, fake_clock):
    secret, session = owner_session(client, acme, fake_clock)
    mfa = second_step(client, acme["owner"])
    other = body(verify(client, mfa["mfa_token"], "totp", later_code(secret, fake_clock)))["token"]

    stepped = step_up(client, session, code=later_code(secret, fake_clock))
    elsewhere = call(client, "POST", "/v1/auth/mfa/totp/enroll", other)
    within = call(client, "POST", "/v1/auth/mfa/totp/enroll", session)
    fake_clock.advance(minutes=5)
    after = call(client, "POST", "/v1/auth/mfa/totp/enroll", session)

    assert stepped["factor"] == "totp"
    assert (elsewhere.status_code, body(elsewhere)["error"]["code"]) == (403, "step_up_required")
    assert within.status_code == 200
    assert (after.status_code, body(after)["error"]["code"]) == (403, "step_up_required")


def test_removing_a_factor_new_recovery_codes_and_a_new_password_need_a_factor_too(client, acme, fake_clock):
    secret, session = owner_session(client, acme, fake_clock)
    factor_id = body(call(client, "GET", "/v1/auth/mfa/factors", session))["factors"][0]["id"]

    removal = call(client, "DELETE", f"/v1/auth/mfa/factors/{factor_id}", session, {"password": PASSWORD})
    codes = post_json(client, "/v1/auth/mfa/recovery-codes", {"password": PASSWORD}, session)
    password = post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG},
                         session)
    changed = post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG,
                                                      "code": later_code(secret, fake_clock)}, session)

    for refused in (removal, codes, password):
        assert (refused.status_code, body(refused)["error"]["code"]) == (403, "step_up_required")
    assert changed.status_code == 204


def test_every_owner_is_told_at_once_of_a_factor_added_to_any_account(client, acme):
    enroll_totp(client, token_for(client, acme["staff"]))

    told = [m for m in mails_to(acme["owner"].email) if "sign-in method was added" in m.subject]
    assert len(told) == 1 and "Staff Person" in told[0].body and "totp" in told[0].body
    assert not [m for m in mails_to(acme["admin"].email) if "sign-in method was added" in m.subject]


def test_a_stolen_session_cannot_make_itself_a_lasting_foothold_or_shut_the_other_owners_out(
        client, acme, fake_clock):
    # the red team's way in: a new owner with the thief's mailbox, the policy loosened, the org's Duo
    # pointed elsewhere, the other owner disabled during an export's cooling-off; all without a step-up
    _, stolen = owner_session(client, acme, fake_clock)
    duo = {"client_id": "DIXXXXXXXXXXXXXXXXXX", "client_secret": "x" * 40, "api_host": "api-1.duosecurity.com",
           "redirect_uri": "https://evil.example/duo", "failmode": "open"}

    refused = [
        post_json(client, "/v1/users", {"email": "mallory@evil.example", "name": "IT Helpdesk", "role": "owner"},
                  stolen),
        post_json(client, "/v1/users", {"email": "shadow@evil.example", "name": "Shadow", "role": "admin"}, stolen),
        call(client, "PATCH", f"/v1/users/{acme['admin'].user_id}", stolen, {"role": "owner"}),
        call(client, "PATCH", f"/v1/users/{acme['admin'].user_id}", stolen, {"disabled": True}),
        call(client, "PUT", "/v1/org/security-policy", stolen, {"require_mfa": [], "customer_retention_days": 1}),
        call(client, "PUT", "/v1/org/duo", stolen, duo),
        call(client, "DELETE", "/v1/org/duo", stolen),
    ]

    assert [(r.status_code, body(r)["error"]["code"]) for r in refused] == [(403, "step_up_required")] * 7
    assert not [u for u in call_users(client, stolen) if u["email"].endswith("evil.example")]
    assert body(call(client, "GET", "/v1/org/security-policy", stolen))["customer_retention_days"] == 0


def test_after_a_step_up_the_owner_makes_an_admin_and_every_owner_hears_of_it(client, acme, fake_clock):
    secret, session = owner_session(client, acme, fake_clock)
    step_up(client, session, code=later_code(secret, fake_clock))

    made = post_json(client, "/v1/users", {"email": "new.admin@acme.example", "name": "New Admin", "role": "admin"},
                     session)
    loosened = call(client, "PUT", "/v1/org/security-policy", session, {"lockout_threshold": 20})
    staff = post_json(client, "/v1/users", {"email": "new.staff@acme.example", "name": "New Staff", "role": "staff"},
                      token_for(client, acme["admin"]))  # no power handed out: no step-up needed

    assert (made.status_code, loosened.status_code, staff.status_code) == (201, 200, 201)
    told = [m.body for m in mails_to(acme["owner"].email) if "who may do what" in m.subject]
    assert any("A new admin account was created for New Admin" in text for text in told)
    assert any("security policy was changed (lockout_threshold)" in text for text in told)


def call_users(client, token) -> list[dict]:
    return body(call(client, "GET", "/v1/users", token))["users"]
