"""Sign-in as an attacker tries it: a victim's password, a stolen session, a departing employee, a flood."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.models.user import User
from tests.functional.identity.helpers import (
    PASSWORD,
    Account,
    body,
    call,
    login,
    mailed_setup_token,
    mails_to,
    make_org,
    post_json,
    put_policy,
    token_for,
)
from tests.functional.identity.test_mfa import enroll_totp, verify

STRONG = "quartz-meadow-lantern-97"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff"))


def events(org_id: str, action: str | None = None) -> list[AuditEvent]:
    return [e for e in AuditEvent.query(org_id) if int(e.seq) > 0 and action in (None, e.action)]


def wrong_code(secret: str) -> str:
    right = pyotp.TOTP(secret).now()
    return f"{(int(right) + 500000) % 1000000:06d}"


def with_totp(client, account: Account) -> str:
    secret, _ = enroll_totp(client, token_for(client, account))
    return secret


def fresh_code(secret: str, fake_clock) -> str:
    """A code of the next time step (the one used to enroll is never accepted again)."""
    fake_clock.advance(seconds=30)
    return pyotp.TOTP(secret).at(fake_clock.now)


def full_session(client, account: Account, secret: str, fake_clock) -> str:
    mfa_token = body(login(client, account))["mfa_token"]
    return body(verify(client, mfa_token, "totp", fresh_code(secret, fake_clock)))["token"]


# --- 1. second factors count toward the lockout, cleared only by a whole login ----------------------

def test_wrong_codes_between_correct_passwords_still_lock_the_account(client, acme):
    """The attacker knows the password: 9 wrong codes, log in again, one more wrong code: locked."""
    secret = with_totp(client, acme["staff"])
    mfa_token = body(login(client, acme["staff"]))["mfa_token"]
    for _ in range(9):
        assert verify(client, mfa_token, "totp", wrong_code(secret)).status_code == 401

    again = body(login(client, acme["staff"]))["mfa_token"]
    assert verify(client, again, "totp", wrong_code(secret)).status_code == 401

    locked = login(client, acme["staff"])
    assert (locked.status_code, body(locked)["error"]["code"]) == (429, "too_many_attempts")
    assert verify(client, again, "totp", pyotp.TOTP(secret).now()).status_code == 429
    assert len(events(acme["staff"].org_id, "auth.locked_out")) == 1


def test_only_a_whole_login_clears_the_failure_count(client, acme):
    secret = with_totp(client, acme["staff"])
    for _ in range(5):
        login(client, acme["staff"], password="wrong-password-123")
    mfa_token = body(login(client, acme["staff"]))["mfa_token"]  # right password: the count stands
    for _ in range(5):
        verify(client, mfa_token, "totp", wrong_code(secret))

    assert login(client, acme["staff"]).status_code == 429


# --- 3. a disabled or changed user gets nothing ----------------------------------------------------

@pytest.mark.parametrize(("method", "path", "payload"), [
    ("PATCH", "/v1/users/{id}", {"disabled": True}),
    ("PATCH", "/v1/users/{id}", {"role": "frontdesk"}),
    ("POST", "/v1/users/{id}/reset", None),
    ("DELETE", "/v1/users/{id}/sessions", None),
])
def test_a_user_cut_off_between_password_and_code_gets_no_session(client, acme, method, path, payload):
    secret = with_totp(client, acme["staff"])
    mfa_token = body(login(client, acme["staff"]))["mfa_token"]
    owner = token_for(client, acme["owner"])

    assert call(client, method, path.format(id=acme["staff"].user_id), owner, payload).status_code < 300
    finished = verify(client, mfa_token, "totp", pyotp.TOTP(secret).now())

    assert (finished.status_code, body(finished)["error"]["code"]) == (401, "invalid_token")


def test_a_password_change_ends_pending_sign_ins_and_setup_tokens(client, acme, fake_clock):
    secret = with_totp(client, acme["staff"])
    elsewhere = body(login(client, acme["staff"]))["mfa_token"]  # the attacker, mid-login
    owner = token_for(client, acme["owner"])
    call(client, "POST", f"/v1/users/{acme['staff'].user_id}/reset", owner)
    pending_setup = mailed_setup_token(acme["staff"].email)
    own = full_session(client, acme["staff"], secret, fake_clock)

    changed = post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG,
                                                      "code": fresh_code(secret, fake_clock)}, own)

    assert changed.status_code == 204
    assert verify(client, elsewhere, "totp", fresh_code(secret, fake_clock)).status_code == 401
    assert post_json(client, "/v1/auth/setup", {"token": pending_setup, "password": "x-" + STRONG}).status_code == 401


def test_every_request_rechecks_that_the_user_is_still_active(client, acme):
    token = token_for(client, acme["staff"])
    user = User.get(acme["staff"].org_id, acme["staff"].user_id)
    user.update(actions=[User.disabled.set(True)])  # however it happened, the session must not outlive it

    refused = call(client, "GET", "/v1/auth/sessions", token)

    assert refused.status_code == 401
    user.update(actions=[User.disabled.set(False)])
    assert call(client, "GET", "/v1/auth/sessions", token).status_code == 401  # the session was ended


# --- 4. re-checks of a secret inside a session are throttled ---------------------------------------

@pytest.mark.parametrize(("path", "payload"), [
    ("/v1/auth/password", {"current_password": "guess-{n}-abc", "new_password": STRONG}),
    ("/v1/auth/mfa/recovery-codes", {"password": "guess-{n}-abc"}),
])
def test_a_stolen_session_cannot_guess_the_password(client, acme, path, payload):
    stolen = token_for(client, acme["staff"])
    answers = []
    for n in range(12):
        guess = {k: v.format(n=n) if "guess" in v else v for k, v in payload.items()}
        answers.append(post_json(client, path, guess, stolen).status_code)

    assert answers[:9] == [401] * 9 and answers[9] == 429
    assert call(client, "GET", "/v1/auth/sessions", stolen).status_code == 401  # the session is over
    assert login(client, acme["staff"]).status_code == 429  # and the account locked
    org_id = acme["staff"].org_id
    assert len([e for e in events(org_id) if e.outcome == "failure" and e.actor == acme["staff"].user_id]) == 10
    assert len(events(org_id, "auth.locked_out")) == 1


def test_removing_a_factor_with_guessed_codes_locks_the_account(client, acme, fake_clock):
    secret = with_totp(client, acme["staff"])
    token = full_session(client, acme["staff"], secret, fake_clock)
    factor_id = body(call(client, "GET", "/v1/auth/mfa/factors", token))["factors"][0]["id"]

    answers = [call(client, "DELETE", f"/v1/auth/mfa/factors/{factor_id}", token,
                    {"password": PASSWORD, "code": wrong_code(secret)}).status_code for _ in range(11)]

    assert answers[:9] == [401] * 9 and answers[9:] == [429, 401]


def test_a_locked_principal_cannot_unlock_itself_and_guess_on(client, acme):
    """The attack: 9 wrong in-session guesses, unlock oneself, 9 more, ... then the right one."""
    owner = acme["owner"]
    stolen = token_for(client, owner)
    guesses = [post_json(client, "/v1/auth/password", {"current_password": f"guess-{n}-harbor",
                                                       "new_password": STRONG}, stolen).status_code
               for n in range(9)]

    unlocked = call(client, "POST", f"/v1/users/{owner.user_id}/unlock", stolen)
    last = post_json(client, "/v1/auth/password", {"current_password": "guess-9-harbor", "new_password": STRONG},
                     stolen)

    assert guesses == [401] * 9
    assert (unlocked.status_code, body(unlocked)["error"]["code"]) == (403, "forbidden")
    assert last.status_code == 429  # the threshold is reached: the account locks ...
    assert call(client, "GET", "/v1/auth/sessions", stolen).status_code == 401  # ... and the session ends
    assert login(client, owner).status_code == 429


def test_an_admin_cannot_unlock_an_owner_but_an_owner_can(client, acme):
    for n in range(10):
        login(client, acme["owner"], password=f"wrong-password-{n}")
    admin = token_for(client, acme["admin"])

    refused = call(client, "POST", f"/v1/users/{acme['owner'].user_id}/unlock", admin)

    assert refused.status_code == 403
    assert login(client, acme["owner"]).status_code == 429


# --- 5. an expired password, on every path -----------------------------------------------------------

def test_expired_password_is_changed_before_a_required_factor_is_enrolled(client, acme, fake_clock):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"password_max_age_days": 30, "require_mfa": ["staff"]})
    fake_clock.advance(days=31)

    answer = body(login(client, acme["staff"]))

    assert answer.get("password_change_required") is True and "token" not in answer
    change = answer["change_token"]
    refused = call(client, "POST", "/v1/auth/mfa/totp/enroll", change)
    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "password_change_required")
    changed = body(post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG},
                             change))
    assert changed["mfa_enrollment_required"] is True  # then the factor, then a full session
    _, confirmed = enroll_totp(client, changed["token"], password=STRONG)
    assert call(client, "GET", "/v1/auth/sessions", confirmed["token"]).status_code == 200


def test_a_live_session_stops_when_its_password_expires(client, acme):
    owner = token_for(client, acme["owner"])
    staff = token_for(client, acme["staff"])
    put_policy(client, owner, {"password_max_age_days": 30})
    user = User.get(acme["staff"].org_id, acme["staff"].user_id)
    user.update(actions=[User.password_changed_at.set(user.password_changed_at - timedelta(days=31))])

    refused = call(client, "GET", "/v1/auth/sessions", staff)
    changed = post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": STRONG}, staff)

    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "password_change_required")
    assert changed.status_code == 204
    assert call(client, "GET", "/v1/auth/sessions", staff).status_code == 200


# --- 6. owners protected, setup tokens only by e-mail -------------------------------------------------

def test_an_admin_cannot_end_an_owners_sessions_nor_reset_their_factors(client, acme, fake_clock):
    owner = full_session(client, acme["owner"], with_totp(client, acme["owner"]), fake_clock)
    admin = full_session(client, acme["admin"], with_totp(client, acme["admin"]), fake_clock)
    owner_id = acme["owner"].user_id

    assert call(client, "DELETE", f"/v1/users/{owner_id}/sessions", admin).status_code == 403
    assert call(client, "POST", f"/v1/users/{owner_id}/mfa/reset", admin).status_code == 403
    assert call(client, "POST", f"/v1/users/{owner_id}/reset", admin).status_code == 403
    assert call(client, "GET", "/v1/auth/sessions", owner).status_code == 200


def test_setup_tokens_go_to_the_user_by_email_never_to_the_admin(client, acme):
    admin = token_for(client, acme["admin"])

    created = call(client, "POST", "/v1/users", admin, {"email": "new@acme.example", "name": "Nia New",
                                                       "role": "staff"})
    reset = call(client, "POST", f"/v1/users/{body(created)['user']['id']}/reset", admin)

    assert created.status_code == 201 and reset.status_code == 202
    answered = created.body.decode() + reset.body.decode()
    invitation, reset_mail = mails_to("new@acme.example")
    invited_token, reset_token = (re.search(r"^    (\S+)$", m.body, re.MULTILINE).group(1)
                                  for m in (invitation, reset_mail))
    assert invited_token not in answered and reset_token not in answered and "token" not in answered
    assert "Admin Person invited you to join Acme Clinic" in invitation.body
    assert "expires at" in invitation.body
    assert post_json(client, "/v1/auth/setup", {"token": invited_token, "password": STRONG}).status_code == 401
    assert post_json(client, "/v1/auth/setup", {"token": reset_token, "password": STRONG}).status_code == 204


def test_invitations_expire_after_72_hours(client, acme, fake_clock):
    admin = token_for(client, acme["admin"])
    call(client, "POST", "/v1/users", admin, {"email": "late@acme.example", "name": "Lee Late", "role": "staff"})
    fake_clock.advance(hours=72)

    late = post_json(client, "/v1/auth/setup", {"token": mailed_setup_token("late@acme.example"), "password": STRONG})

    assert late.status_code == 401
    assert "72" in mails_to("late@acme.example")[0].body or "expires at" in mails_to("late@acme.example")[0].body


# --- 8. forgot password, own account ------------------------------------------------------------------

def forgot(client, email, org="acme"):
    return post_json(client, "/v1/auth/password/forgot", {"org": org, "email": email})


def test_forgot_password_answers_alike_and_mails_a_single_use_code(client, acme, fake_clock):
    secret = with_totp(client, acme["staff"])
    known, unknown, other_org = (forgot(client, acme["staff"].email), forgot(client, "ghost@acme.example"),
                                 forgot(client, acme["staff"].email, org="nowhere"))

    assert known.status_code == unknown.status_code == other_org.status_code == 202
    assert body(known) == body(unknown) == body(other_org)
    assert mails_to("ghost@acme.example") == []
    code = mailed_setup_token(acme["staff"].email)
    assert post_json(client, "/v1/auth/setup", {"token": code, "password": STRONG}).status_code == 204
    assert post_json(client, "/v1/auth/setup", {"token": code, "password": "x-" + STRONG}).status_code == 401
    signed_in = body(login(client, Account("acme", "", "", acme["staff"].email, "staff", STRONG)))
    assert signed_in.get("mfa_required") is True and "token" not in signed_in  # the factor still stands
    assert verify(client, signed_in["mfa_token"], "totp", fresh_code(secret, fake_clock)).status_code == 200
    assert events(acme["staff"].org_id, "auth.password_reset_requested")


def test_forgot_password_codes_last_thirty_minutes(client, acme, fake_clock):
    forgot(client, acme["staff"].email)
    fake_clock.advance(minutes=30)

    stale = post_json(client, "/v1/auth/setup", {"token": mailed_setup_token(acme["staff"].email),
                                                 "password": STRONG})

    assert stale.status_code == 401
    assert login(client, acme["staff"]).status_code == 200  # the old password still works


def test_forgot_password_requests_are_limited_alike_for_known_and_unknown_addresses(client, acme, from_ip):
    from_ip("192.0.2.10")
    known = [forgot(client, acme["staff"].email).status_code for _ in range(4)]
    from_ip("192.0.2.11")
    unknown = [forgot(client, "ghost@acme.example").status_code for _ in range(4)]
    from_ip("192.0.2.12")
    per_address = [forgot(client, f"ghost{n}@acme.example").status_code for n in range(6)]

    assert known == unknown == [202, 202, 202, 429]
    assert per_address == [202] * 5 + [429]
    assert [m.subject for m in mails_to(acme["staff"].email)].count("Reset your SafeSlot password") == 3


def test_staff_see_and_rename_themselves_and_see_their_sign_ins(client, acme):
    login(client, acme["staff"], password="wrong-password-123")
    token = token_for(client, acme["staff"])

    me = body(call(client, "GET", "/v1/auth/me", token))["user"]
    renamed = body(call(client, "PATCH", "/v1/auth/me", token, {"name": "Sam Staff"}))["user"]
    sign_ins = body(call(client, "GET", "/v1/auth/me/sign-ins", token))["sign_ins"]
    refused = call(client, "PATCH", "/v1/auth/me", token, {"role": "owner"})

    assert me["email"] == acme["staff"].email and renamed["name"] == "Sam Staff"
    assert [s["outcome"] for s in sign_ins] == ["success", "bad_password"]
    assert refused.status_code == 422
    assert events(acme["staff"].org_id, "user.renamed")[0].actor == acme["staff"].user_id


# --- 9. identity changes and reads audited -------------------------------------------------------------

def test_renames_by_an_admin_and_reads_of_a_user_are_audited(client, acme):
    admin = token_for(client, acme["admin"])
    target = acme["staff"].user_id

    call(client, "PATCH", f"/v1/users/{target}", admin, {"name": "Renamed Person"})
    call(client, "GET", f"/v1/users/{target}", admin)

    renamed = events(acme["staff"].org_id, "user.renamed")
    assert [(e.actor, e.subjects.as_dict()["user_id"]) for e in renamed] == [(acme["admin"].user_id, target)]
    assert events(acme["staff"].org_id, "user.read")


# --- issue 13 item 4: floods of refusals stay bounded on the audit chain --------------------------------

def test_a_flood_of_refused_logins_adds_a_bounded_number_of_audit_events(client, acme):
    org_id = acme["staff"].org_id
    before = len(events(org_id))

    answers = [login(client, acme["staff"], password=f"wrong-password-{n}").status_code for n in range(160)]

    added = len(events(org_id)) - before
    assert answers.count(401) == 10 and answers.count(429) == 150
    assert added <= 14, [e.action + "/" + e.outcome for e in events(org_id)][-added:]
    logged = list(LoginAttempt.query(org_id)) + list(LoginAttempt.query("-"))
    assert len(logged) >= 160  # the login-attempt log keeps every refusal


def test_locked_answers_count_toward_the_per_address_limit(client, acme):
    for n in range(30):
        login(client, acme["staff"], password=f"wrong-password-{n}")  # 10 failures, then 20 locked answers

    other = login(client, acme["admin"])  # the right password, but from a flooding address

    assert (other.status_code, body(other)["error"]["code"]) == (429, "too_many_attempts")


# --- 2. limits are atomic: the conditions hold under real threads on an atomic store --------------------

def test_forty_concurrent_wrong_passwords_evaluate_at_most_the_threshold(acme, atomic_dynamodb, monkeypatch):
    """The e2e test (tests/e2e/test_login_burst.py) does this over HTTP; here the store is DynamoDB-atomic,
    so the count proves our conditional writes, not a storage race."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.errors import Conflict, InvalidCredentials, TooManyAttempts
    from chalicelib.services.audit import Origin
    from chalicelib.services.identity import authentication, passwords

    evaluated = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password",
                        lambda stored, password: evaluated.append(1) or real_verify(stored, password))

    def guess(n: int) -> str:
        try:
            authentication.login("acme", acme["staff"].email, f"wrong-guess-{n}-xyz", Origin(f"192.0.2.{n}", "t"))
        except (InvalidCredentials, Conflict):  # Conflict: the audit chain was busy (issue 13's outbox)
            return "refused after the check"
        except TooManyAttempts:
            return "refused before any check"
        return "signed in"

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(guess, range(40)))

    assert len(evaluated) == answers.count("refused after the check") == 10
    assert answers.count("refused before any check") == 30
