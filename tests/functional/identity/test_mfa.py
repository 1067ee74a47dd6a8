"""Second factors end to end over HTTP: authenticator apps, recovery codes, SMS, security keys, policy."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pyotp
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from soft_webauthn import SoftWebauthnDevice

from chalicelib import clock
from tests.functional.identity.helpers import PASSWORD, body, call, login, make_org, post_json, put_policy, token_for

ORIGIN = "http://localhost:8000"  # the configured WebAuthn origin and RP id (localhost)


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff"))


def enroll_totp(client, token, password: str = PASSWORD) -> str:
    started = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", token, {"password": password}))
    totp = pyotp.TOTP(started["secret"])
    # the server's clock (a test's fake clock when it has one): real time may cross a 30 s step meanwhile
    confirmed = post_json(client, "/v1/auth/mfa/totp/confirm", {"code": totp.at(clock.now())}, token)
    assert confirmed.status_code == 200, confirmed.body
    return started["secret"], body(confirmed)


def second_step(client, account):
    answer = body(login(client, account))
    assert answer["mfa_required"] is True, answer
    return answer


def verify(client, mfa_token, method, code=None, credential=None):
    payload = {"mfa_token": mfa_token, "method": method}
    payload.update({"code": code} if code is not None else {})
    payload.update({"credential": credential} if credential is not None else {})
    return post_json(client, "/v1/auth/mfa/verify", payload)


def code_at(secret, fake_clock, steps=0):
    return pyotp.TOTP(secret).at(fake_clock.now + timedelta(seconds=30 * steps))


def emails_to(address):
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [m for m in sent if address in m.destinations["ToAddresses"]]


def sms_sent():
    return sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages


# --- authenticator apps -----------------------------------------------------------------------------

def test_enrollment_shows_secret_uri_and_qr_code_once(client, acme):
    token = token_for(client, acme["staff"])

    started = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", token, {"password": PASSWORD}))

    assert started["otpauth_uri"].startswith("otpauth://totp/SafeSlot:staff%40acme.example?secret=")
    assert "issuer=SafeSlot" in started["otpauth_uri"]
    assert started["qr_svg"].startswith("<svg") and len(base64.b32decode(started["secret"])) == 20
    listed = call(client, "GET", "/v1/auth/mfa/factors", token)
    assert started["secret"] not in listed.body.decode()


def test_confirming_gives_ten_single_use_recovery_codes_and_a_notice(client, acme):
    _, confirmed = enroll_totp(client, token_for(client, acme["staff"]))

    assert len(set(confirmed["recovery_codes"])) == 10
    assert confirmed["factor"]["status"] == "active"
    assert any("was added" in m.subject for m in emails_to(acme["staff"].email))


def test_login_with_an_app_code_gives_a_session(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    fake_clock.advance(seconds=30)
    answer = second_step(client, acme["staff"])

    assert answer["methods"] == ["totp", "recovery"] and "token" not in answer
    response = verify(client, answer["mfa_token"], "totp", code_at(secret, fake_clock))

    assert response.status_code == 200
    assert call(client, "GET", "/v1/auth/sessions", body(response)["token"]).status_code == 200


def test_a_code_is_never_accepted_twice_nor_an_older_one(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    fake_clock.advance(seconds=60)
    code = code_at(secret, fake_clock)
    assert verify(client, second_step(client, acme["staff"])["mfa_token"], "totp", code).status_code == 200

    replay = verify(client, second_step(client, acme["staff"])["mfa_token"], "totp", code)
    older = verify(client, second_step(client, acme["staff"])["mfa_token"], "totp",
                   code_at(secret, fake_clock, steps=-1))

    assert replay.status_code == older.status_code == 401


@pytest.mark.parametrize("typed", ["\u00f6|\U000f3a2e\u00fbh", "\uff11\uff12\uff13\uff14\uff15\uff16",
                                   "\u0661\u0662\u0663\u0664\u0665\u0666"])
def test_a_code_outside_ascii_digits_is_a_wrong_code_not_a_crash(client, acme, fake_clock, typed):
    # full-width and Arabic-Indic digits look like a code; comparing them must refuse, not raise
    enroll_totp(client, token_for(client, acme["staff"]))
    fake_clock.advance(seconds=30)

    response = verify(client, second_step(client, acme["staff"])["mfa_token"], "totp", typed)

    assert (response.status_code, body(response)["error"]["code"]) == (401, "invalid_credentials")


def test_codes_one_step_either_side_work_but_not_two(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    fake_clock.advance(minutes=5)

    too_late = verify(client, second_step(client, acme["staff"])["mfa_token"], "totp",
                      code_at(secret, fake_clock, steps=2))
    next_step = verify(client, second_step(client, acme["staff"])["mfa_token"], "totp",
                       code_at(secret, fake_clock, steps=1))

    assert (too_late.status_code, next_step.status_code) == (401, 200)


def test_mfa_token_is_single_use_and_lives_five_minutes(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    fake_clock.advance(seconds=30)
    mfa_token = second_step(client, acme["staff"])["mfa_token"]
    assert verify(client, mfa_token, "totp", code_at(secret, fake_clock)).status_code == 200
    fake_clock.advance(seconds=30)
    assert verify(client, mfa_token, "totp", code_at(secret, fake_clock)).status_code == 401

    stale = second_step(client, acme["staff"])["mfa_token"]
    fake_clock.advance(minutes=5, seconds=1)
    expired = verify(client, stale, "totp", code_at(secret, fake_clock))
    assert (expired.status_code, body(expired)["error"]["code"]) == (401, "invalid_token")


def test_guessing_codes_locks_the_account(client, acme, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    answers = [verify(client, mfa_token, "totp", f"{n:06d}").status_code for n in range(11)]
    fake_clock.advance(seconds=30)
    right_code = verify(client, mfa_token, "totp", code_at(secret, fake_clock))

    assert answers[:10] == [401] * 10 and answers[10] == 429
    assert right_code.status_code == 429
    owner = token_for(client, acme["owner"])
    outcomes = [a["outcome"] for a in body(call(client, "GET", "/v1/login-attempts", owner))["attempts"]]
    assert "mfa_failed" in outcomes


# --- recovery codes ---------------------------------------------------------------------------------

def test_recovery_code_works_once_and_tells_the_user(client, acme):
    _, confirmed = enroll_totp(client, token_for(client, acme["staff"]))
    code = confirmed["recovery_codes"][0]

    first = verify(client, second_step(client, acme["staff"])["mfa_token"], "recovery", code)
    again = verify(client, second_step(client, acme["staff"])["mfa_token"], "recovery", code)

    assert (first.status_code, again.status_code) == (200, 401)
    assert any("recovery code was used" in m.subject for m in emails_to(acme["staff"].email))
    owner = token_for(client, acme["owner"])
    events = [e["action"] for e in body(call(client, "GET", "/v1/audit-events?limit=500", owner))["events"]]
    assert "mfa.recovery_code_used" in events


# --- SMS --------------------------------------------------------------------------------------------

def last_sms_code(phone):
    message = [m for m in sms_sent().values() if m[0] == phone][-1]
    return message[1].split("code is ")[1][:6]


def test_sms_number_is_verified_before_it_becomes_a_factor(client, acme):
    token = token_for(client, acme["staff"])
    phone = "+14155550123"

    started = post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": phone, "password": PASSWORD}, token)
    assert "weak second factor" in body(started)["notice"]
    assert login(client, acme["staff"]).status_code == 200 and "token" in body(login(client, acme["staff"]))

    wrong = post_json(client, "/v1/auth/mfa/sms/confirm", {"code": "000000"}, token)
    right = post_json(client, "/v1/auth/mfa/sms/confirm", {"code": last_sms_code(phone)}, token)

    assert (wrong.status_code, right.status_code) == (401, 200)
    assert phone not in call(client, "GET", "/v1/auth/mfa/factors", token).body.decode()


def test_sms_login_code_is_bound_to_its_login_and_single_use(client, acme):
    token = token_for(client, acme["staff"])
    phone = "+14155550123"
    post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": phone, "password": PASSWORD}, token)
    post_json(client, "/v1/auth/mfa/sms/confirm", {"code": last_sms_code(phone)}, token)
    first, second = second_step(client, acme["staff"]), second_step(client, acme["staff"])

    post_json(client, "/v1/auth/mfa/sms/send", {"mfa_token": first["mfa_token"]})
    code = last_sms_code(phone)

    assert verify(client, second["mfa_token"], "sms", code).status_code == 401  # another login's code
    assert verify(client, first["mfa_token"], "sms", code).status_code == 200


def test_sms_codes_expire_after_ten_minutes(client, acme, fake_clock):
    token = token_for(client, acme["staff"])
    phone = "+14155550123"
    post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": phone, "password": PASSWORD}, token)
    fake_clock.advance(minutes=10)  # the session (30 minutes idle) outlives the code: only its age can refuse it
    late = post_json(client, "/v1/auth/mfa/sms/confirm", {"code": last_sms_code(phone)}, token)
    assert late.status_code == 401, body(late)
    assert body(late)["error"]["message"] == "The code has expired; ask for a new one."

    post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": phone, "password": PASSWORD}, token)
    fake_clock.advance(minutes=9, seconds=59)
    assert post_json(client, "/v1/auth/mfa/sms/confirm", {"code": last_sms_code(phone)}, token).status_code == 200
    mfa_token = second_step(client, acme["staff"])["mfa_token"]
    post_json(client, "/v1/auth/mfa/sms/send", {"mfa_token": mfa_token})

    fake_clock.advance(minutes=4, seconds=59)  # the mfa_token itself lives 5 minutes
    assert verify(client, mfa_token, "sms", last_sms_code(phone)).status_code == 200


def test_at_most_three_texts_in_fifteen_minutes(client, acme, fake_clock):  # fixed windows: hold time still
    token = token_for(client, acme["staff"])
    answers = [post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": "+14155550123", "password": PASSWORD},
                         token).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_invalid_phone_numbers_are_refused(client, acme):
    token = token_for(client, acme["staff"])

    response = post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": "0123 456", "password": PASSWORD}, token)

    assert (response.status_code, body(response)["error"]["field"]) == (422, "phone")
    assert sms_sent() == {}


# --- security keys ----------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def as_json(credential: dict) -> dict:
    """What a browser's PublicKeyCredential.toJSON() would send."""
    response = {key: b64url(value) for key, value in credential["response"].items() if value is not None}
    return {"id": b64url(credential["rawId"]), "rawId": b64url(credential["rawId"]), "response": response,
            "type": "public-key", "clientExtensionResults": {}}


def register_key(client, token, device: SoftWebauthnDevice, proof: dict | None = None):
    proof = proof or {"password": PASSWORD}  # the step-up of a user with no factor yet
    options = body(call(client, "POST", "/v1/auth/mfa/webauthn/register/options", token, proof))["options"]
    options["challenge"] = from_b64url(options["challenge"])
    options["user"]["id"] = from_b64url(options["user"]["id"])
    credential = device.create({"publicKey": options}, ORIGIN)
    return post_json(client, "/v1/auth/mfa/webauthn/register", {"credential": as_json(credential),
                                                                "label": "Desk key"}, token)


def key_step_up(client, token, device: SoftWebauthnDevice) -> dict:
    """The password and `device`'s answer to this session's challenge: the step-up of a key holder."""
    options = body(call(client, "POST", "/v1/auth/mfa/webauthn/reauth-options", token))["options"]
    options["challenge"] = from_b64url(options["challenge"])
    return {"password": PASSWORD, "credential": as_json(device.get({"publicKey": options}, ORIGIN))}


def assertion(client, mfa_token, device: SoftWebauthnDevice):
    options = body(post_json(client, "/v1/auth/mfa/webauthn/options", {"mfa_token": mfa_token}))["options"]
    options["challenge"] = from_b64url(options["challenge"])
    return as_json(device.get({"publicKey": options}, ORIGIN)), options


def test_security_key_registers_and_signs_in(client, acme):
    device = SoftWebauthnDevice()
    registered = register_key(client, token_for(client, acme["staff"]), device)
    assert registered.status_code == 200, registered.body
    mfa = second_step(client, acme["staff"])
    assert "webauthn" in mfa["methods"]

    credential, _ = assertion(client, mfa["mfa_token"], device)

    assert verify(client, mfa["mfa_token"], "webauthn", credential=credential).status_code == 200


def test_several_keys_per_user(client, acme):
    token = token_for(client, acme["staff"])
    laptop, spare = SoftWebauthnDevice(), SoftWebauthnDevice()
    assert register_key(client, token, laptop).status_code == 200
    assert register_key(client, token, spare, key_step_up(client, token, laptop)).status_code == 200

    mfa = second_step(client, acme["staff"])
    credential, _ = assertion(client, mfa["mfa_token"], spare)

    assert verify(client, mfa["mfa_token"], "webauthn", credential=credential).status_code == 200


def test_security_key_challenge_is_single_use(client, acme):
    device = SoftWebauthnDevice()
    register_key(client, token_for(client, acme["staff"]), device)
    mfa = second_step(client, acme["staff"])
    credential, _ = assertion(client, mfa["mfa_token"], device)
    device.sign_count += 5  # even with a counter that moved on, the same challenge is spent

    assert verify(client, mfa["mfa_token"], "webauthn", credential=credential).status_code == 200
    again = second_step(client, acme["staff"])
    assert verify(client, again["mfa_token"], "webauthn", credential=credential).status_code == 401


def test_cloned_key_with_a_stale_counter_is_refused(client, acme):
    device = SoftWebauthnDevice()
    register_key(client, token_for(client, acme["staff"]), device)
    for _ in range(2):
        mfa = second_step(client, acme["staff"])
        credential, _ = assertion(client, mfa["mfa_token"], device)
        assert verify(client, mfa["mfa_token"], "webauthn", credential=credential).status_code == 200

    device.sign_count = 0  # a clone that has signed less than the original
    mfa = second_step(client, acme["staff"])
    credential, _ = assertion(client, mfa["mfa_token"], device)
    assert verify(client, mfa["mfa_token"], "webauthn", credential=credential).status_code == 401


def test_assertion_for_another_origin_is_refused(client, acme):
    device = SoftWebauthnDevice()
    register_key(client, token_for(client, acme["staff"]), device)
    mfa = second_step(client, acme["staff"])
    options = body(post_json(client, "/v1/auth/mfa/webauthn/options", {"mfa_token": mfa["mfa_token"]}))["options"]
    options["challenge"] = from_b64url(options["challenge"])
    phished = as_json(device.get({"publicKey": options}, "https://evil.example"))

    assert verify(client, mfa["mfa_token"], "webauthn", credential=phished).status_code == 401


# --- policy, removal, reset -------------------------------------------------------------------------

def test_required_mfa_gives_an_enroll_only_session_until_a_factor_is_added(client, acme):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"require_mfa": ["admin"]})

    answer = body(login(client, acme["admin"]))
    assert answer["mfa_enrollment_required"] is True
    blocked = call(client, "GET", "/v1/users", answer["token"])
    assert (blocked.status_code, body(blocked)["error"]["code"]) == (403, "mfa_enrollment_required")

    _, confirmed = enroll_totp(client, answer["token"])

    assert call(client, "GET", "/v1/users", confirmed["token"]).status_code == 200
    assert call(client, "GET", "/v1/auth/sessions", answer["token"]).status_code == 401
    assert body(login(client, acme["staff"]))["token"]  # staff are not required


def test_removing_a_factor_needs_password_and_a_current_code(client, acme, fake_clock):
    token = token_for(client, acme["staff"])
    secret, confirmed = enroll_totp(client, token)
    factor_id = confirmed["factor"]["id"]
    fake_clock.advance(seconds=30)

    no_code = call(client, "DELETE", f"/v1/auth/mfa/factors/{factor_id}", token,
                   {"password": PASSWORD, "code": "000000"})
    no_password = call(client, "DELETE", f"/v1/auth/mfa/factors/{factor_id}", token,
                       {"password": "wrong-password-1", "code": code_at(secret, fake_clock)})
    removed = call(client, "DELETE", f"/v1/auth/mfa/factors/{factor_id}", token,
                   {"password": PASSWORD, "code": confirmed["recovery_codes"][0]})

    assert (no_code.status_code, no_password.status_code, removed.status_code) == (401, 401, 204)
    assert any("was removed" in m.subject for m in emails_to(acme["staff"].email))


def test_admin_reset_of_factors_needs_the_admins_own_second_factor(client, acme, fake_clock):
    enroll_totp(client, token_for(client, acme["staff"]))
    admin_password_only = token_for(client, acme["admin"])
    refused = call(client, "POST", f"/v1/users/{acme['staff'].user_id}/mfa/reset", admin_password_only)
    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "step_up_required")

    secret, _ = enroll_totp(client, admin_password_only)
    fake_clock.advance(seconds=30)
    mfa = second_step(client, acme["admin"])
    admin = body(verify(client, mfa["mfa_token"], "totp", code_at(secret, fake_clock)))["token"]
    without_step_up = call(client, "POST", f"/v1/users/{acme['staff'].user_id}/mfa/reset", admin)
    assert body(without_step_up)["error"]["code"] == "step_up_required"
    reset = call(client, "POST", f"/v1/users/{acme['staff'].user_id}/mfa/reset", admin,
                 {"password": PASSWORD, "code": code_at(secret, fake_clock, steps=1)})

    assert body(reset)["removed"] == 2  # the app and the recovery codes
    assert "token" in body(login(client, acme["staff"]))
    events = body(call(client, "GET", "/v1/audit-events?action=mfa.factor_removed", admin))["events"]
    assert events and events[0]["actor"] == acme["admin"].user_id


def test_no_factor_secret_reaches_a_log_or_a_later_response(client, acme, log_output):
    token = token_for(client, acme["staff"])
    secret, confirmed = enroll_totp(client, token)

    later = call(client, "GET", "/v1/auth/mfa/factors", token).body.decode()
    logs = log_output.getvalue()
    assert '"message":"request"' in logs

    for value in (secret, *confirmed["recovery_codes"]):
        assert value not in later and value not in logs
    assert json.loads(later)["factors"][0]["kind"] in ("totp", "recovery")
