"""The phone-call factor and Duo, over HTTP through the Chalice test client.

Neither is served by moto: calls go to tests/harness/fake_voice.py, a local fake of End User Messaging's
voice endpoint that speaks its real wire protocol; Duo is tests/harness/fake_duo.py, a fake Duo over TLS
with its own CA that signs id_tokens with the client secret, and can be down, forge, expire or deny.
"""

from __future__ import annotations

import re

import pyotp
import pytest

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.models.audit import AuditEvent
from chalicelib.models.mfa import DuoIntegration, MfaChallenge
from tests.functional.identity.helpers import (
    PASSWORD,
    body,
    call,
    login,
    make_org,
    post_json,
    put_policy,
    step_up,
    token_for,
)
from tests.functional.identity.test_mfa import enroll_totp, last_sms_code, second_step, verify
from tests.harness.fake_duo import CLIENT_ID, CLIENT_SECRET, FakeDuo
from tests.harness.fake_voice import FakeVoiceService

LANDLINE = "+14155550199"
MOBILE = "+14155550123"


@pytest.fixture
def voice(aws_stack, monkeypatch):
    with FakeVoiceService() as service:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", service.url)
        monkeypatch.setenv("SAFESLOT_VOICE_ORIGINATION", "+18005550100")
        settings.cache_clear()
        aws.reset()
        yield service
    settings.cache_clear()
    aws.reset()


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff"))


def spoken_code(ssml: str) -> str:
    return "".join(re.findall(r'<say-as interpret-as="digits">([0-9 ]+)</say-as>', ssml)[0].split())


def enroll_landline(client, token, voice, language="en"):
    started = post_json(client, "/v1/auth/mfa/voice/enroll",
                        {"phone": LANDLINE, "language": language, "password": PASSWORD}, token)
    assert started.status_code == 200, started.body
    confirmed = post_json(client, "/v1/auth/mfa/voice/confirm", {"code": spoken_code(voice.spoken_to(LANDLINE)[-1])},
                          token)
    assert confirmed.status_code == 200, confirmed.body
    return body(started)


# --- a phone call that speaks the code ------------------------------------------------------------------

def test_a_landline_is_proven_by_a_spoken_code_before_it_becomes_a_factor(client, acme, voice):
    token = token_for(client, acme["staff"])

    started = post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD}, token)
    wrong = post_json(client, "/v1/auth/mfa/voice/confirm", {"code": "000000"}, token)
    assert "token" in body(login(client, acme["staff"]))  # not a factor yet
    right = post_json(client, "/v1/auth/mfa/voice/confirm", {"code": spoken_code(voice.spoken_to(LANDLINE)[0])},
                      token)

    assert (started.status_code, wrong.status_code, right.status_code) == (200, 401, 200)
    assert "weak second factor" in body(started)["notice"]
    assert body(login(client, acme["staff"]))["methods"] == ["voice", "recovery"]
    assert LANDLINE not in call(client, "GET", "/v1/auth/mfa/factors", token).body.decode()


def test_the_call_reads_the_code_slowly_twice_in_the_users_language(client, acme, voice):
    enroll_landline(client, token_for(client, acme["staff"]), voice, language="es")
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    post_json(client, "/v1/auth/mfa/voice/call", {"mfa_token": mfa_token})

    call_made = voice.calls[-1]
    ssml = call_made["MessageBody"]
    code = spoken_code(ssml)
    assert call_made["MessageBodyTextType"] == "SSML" and call_made["VoiceId"] == "LUPE"
    assert ssml.count(" ".join(code)) == 2 and 'rate="x-slow"' in ssml and "Su código" in ssml
    assert verify(client, mfa_token, "voice", code).status_code == 200


def test_a_call_code_is_single_use_bound_to_its_login_and_to_the_call(client, acme, voice, monkeypatch):
    token = token_for(client, acme["staff"])
    # both channels, texts offered too (each number asked for before either is proven: no step-up is pending)
    post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": MOBILE, "password": PASSWORD}, token)
    enroll_landline(client, token, voice)
    assert post_json(client, "/v1/auth/mfa/sms/confirm", {"code": last_sms_code(MOBILE)}, token).status_code == 200
    first, second, texted = (second_step(client, acme["staff"]) for _ in range(3))
    assert {"sms", "voice"} <= set(first["methods"])
    first, second, texted = first["mfa_token"], second["mfa_token"], texted["mfa_token"]
    post_json(client, "/v1/auth/mfa/voice/call", {"mfa_token": first})
    code = spoken_code(voice.calls[-1]["MessageBody"])
    post_json(client, "/v1/auth/mfa/sms/send", {"mfa_token": texted})

    assert verify(client, second, "voice", code).status_code == 401  # another login's
    assert verify(client, first, "sms", code).status_code == 401  # a spoken code is no text message's
    assert verify(client, texted, "voice", last_sms_code(MOBILE)).status_code == 401  # nor a texted one a call's
    assert verify(client, first, "voice", code).status_code == 200
    again = second_step(client, acme["staff"])["mfa_token"]
    assert verify(client, again, "voice", code).status_code == 401  # used


def test_a_new_number_is_not_proven_by_guessing(client, acme, voice, fake_clock):
    # 5 tries per user in 15 minutes, shared by texts and calls and by every pending number
    token = token_for(client, acme["staff"])
    post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD}, token)
    wrong = [post_json(client, "/v1/auth/mfa/voice/confirm", {"code": f"{n:06d}"}, token).status_code
             for n in range(5)]
    spoken = spoken_code(voice.spoken_to(LANDLINE)[0])
    refused = post_json(client, "/v1/auth/mfa/voice/confirm", {"code": spoken}, token)
    post_json(client, "/v1/auth/mfa/sms/enroll", {"phone": "+14155550123", "password": PASSWORD}, token)
    by_text = post_json(client, "/v1/auth/mfa/sms/confirm", {"code": "123456"}, token)

    assert [code for code in wrong if code != 401] == [] and refused.status_code == by_text.status_code == 429
    assert body(refused)["error"]["code"] == "too_many_attempts" and int(refused.headers["Retry-After"]) > 0
    assert "token" in body(login(client, acme["staff"]))  # still not a factor
    fake_clock.advance(minutes=15)  # the window has passed; the first call's code has expired with it
    enroll_landline(client, token_for(client, acme["staff"]), voice)


def test_at_most_three_calls_in_fifteen_minutes(client, acme, voice):
    enroll_landline(client, token_for(client, acme["staff"]), voice)  # the enrolment's call is the first
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    answers = [post_json(client, "/v1/auth/mfa/voice/call", {"mfa_token": mfa_token}).status_code for _ in range(3)]

    assert answers == [204, 204, 429]
    assert len(voice.calls) == 3


def test_wrong_spoken_codes_count_toward_the_lockout(client, acme, voice):
    enroll_landline(client, token_for(client, acme["staff"]), voice)
    for _ in range(10):
        verify(client, second_step(client, acme["staff"])["mfa_token"], "voice", "000000")

    assert login(client, acme["staff"]).status_code == 429


def test_calls_not_set_up_on_the_service_answer_503_and_enrol_nothing(client, acme, monkeypatch):
    monkeypatch.delenv("SAFESLOT_VOICE_ORIGINATION", raising=False)
    settings.cache_clear()
    token = token_for(client, acme["staff"])

    answer = post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD}, token)

    assert (answer.status_code, body(answer)["error"]["code"]) == (503, "second_factor_unavailable")
    assert body(call(client, "GET", "/v1/auth/mfa/factors", token))["factors"] == []


def test_a_policy_can_leave_the_phone_network_out(client, acme, voice):
    owner = token_for(client, acme["owner"])
    staff = token_for(client, acme["staff"])
    enroll_landline(client, staff, voice)
    changed = put_policy(client, owner, {"mfa_methods": ["totp", "webauthn"],
                                                                        "require_mfa": ["staff"]})
    assert changed.status_code == 200, changed.body

    answer = body(login(client, acme["staff"]))
    refused = post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD}, answer["token"])

    assert answer.get("mfa_enrollment_required") is True  # the landline no longer counts
    assert (refused.status_code, body(refused)["error"]["field"]) == (422, "kind")


# --- Duo ----------------------------------------------------------------------------------------------

@pytest.fixture
def duo(aws_stack, tmp_path, monkeypatch, fake_clock):
    with FakeDuo(tmp_path) as fake:
        monkeypatch.setenv("SAFESLOT_DUO_CA_BUNDLE", fake.ca_path)
        settings.cache_clear()
        yield fake
    settings.cache_clear()


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def owner_with_step_up(client, acme, fake_clock) -> str:
    """The owner's session after an authenticator code (Duo settings need a second factor)."""
    secret, _ = enroll_totp(client, token_for(client, acme["owner"]))
    fake_clock.advance(seconds=30)  # a code is accepted once per 30 s step
    mfa_token = second_step(client, acme["owner"])["mfa_token"]
    token = str(body(verify(client, mfa_token, "totp", totp_now(secret)))["token"])
    fake_clock.advance(seconds=30)
    step_up(client, token, code=totp_now(secret))  # the org's Duo decides every sign-in: a step-up first
    return token


def set_up_duo(client, acme, duo, fake_clock, failmode="closed"):
    owner = owner_with_step_up(client, acme, fake_clock)
    answer = call(client, "PUT", "/v1/org/duo", owner, {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_host": duo.api_host,
        "redirect_uri": "https://clinic.example/duo-callback", "failmode": failmode})
    assert answer.status_code == 200, answer.body
    return owner


def duo_login(client, account, duo):
    """Password, then the prompt: (mfa_token, what Duo's redirect carried)."""
    answer = second_step(client, account)
    assert answer["methods"] == ["duo"]
    prompt = body(post_json(client, "/v1/auth/mfa/duo/start", {"mfa_token": answer["mfa_token"]}))
    return answer["mfa_token"], duo.approve(prompt["auth_url"])


def duo_verify(client, mfa_token, returned):
    return post_json(client, "/v1/auth/mfa/verify", {"mfa_token": mfa_token, "method": "duo",
                                                     "code": returned["duo_code"], "state": returned["state"]})


def test_an_org_with_duo_signs_its_users_in_through_the_prompt(client, acme, duo, fake_clock):
    owner = set_up_duo(client, acme, duo, fake_clock)

    mfa_token, returned = duo_login(client, acme["staff"], duo)
    answer = duo_verify(client, mfa_token, returned)

    assert answer.status_code == 200 and "token" in body(answer)
    settings_shown = call(client, "GET", "/v1/org/duo", owner).body.decode()
    assert CLIENT_SECRET not in settings_shown and duo.api_host in settings_shown
    stored = DuoIntegration.get(acme["owner"].org_id)
    assert CLIENT_SECRET.encode() not in (stored.sealed or b"")  # sealed, not stored in clear


def test_duo_credentials_are_checked_with_duo_before_they_are_kept(client, acme, duo, fake_clock):
    owner = owner_with_step_up(client, acme, fake_clock)

    answer = call(client, "PUT", "/v1/org/duo", owner, {
        "client_id": CLIENT_ID, "client_secret": "w" * 40, "api_host": duo.api_host,
        "redirect_uri": "https://clinic.example/duo-callback"})

    assert (answer.status_code, body(answer)["error"]["field"]) == (422, "client_secret")
    assert call(client, "GET", "/v1/org/duo", owner).status_code == 404


def test_duo_settings_need_a_second_factor(client, acme, duo):
    password_only = token_for(client, acme["owner"])

    answer = call(client, "PUT", "/v1/org/duo", password_only, {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_host": duo.api_host,
        "redirect_uri": "https://clinic.example/duo-callback"})

    assert (answer.status_code, body(answer)["error"]["code"]) == (403, "step_up_required")


@pytest.mark.parametrize("misbehaviour", ["forged", "expired", "deny", "other_nonce"])
def test_a_token_duo_did_not_vouch_for_is_refused(client, acme, duo, misbehaviour, fake_clock):
    set_up_duo(client, acme, duo, fake_clock)
    mfa_token, returned = duo_login(client, acme["staff"], duo)
    duo.id_token = misbehaviour

    answer = duo_verify(client, mfa_token, returned)

    assert (answer.status_code, body(answer)["error"]["code"]) == (401, "invalid_credentials")


def test_a_wrong_state_or_a_replayed_answer_is_refused(client, acme, duo, fake_clock):
    set_up_duo(client, acme, duo, fake_clock)
    mfa_token, returned = duo_login(client, acme["staff"], duo)

    wrong_state = duo_verify(client, mfa_token, {**returned, "state": "s" * 36})
    first = duo_verify(client, mfa_token, returned)
    other_login, _ = duo_login(client, acme["staff"], duo)
    replayed = duo_verify(client, other_login, returned)  # the same answer, for another sign-in

    assert (wrong_state.status_code, first.status_code, replayed.status_code) == (401, 200, 401)


def test_another_users_duo_answer_does_not_sign_in_this_user(client, acme, duo, fake_clock):
    set_up_duo(client, acme, duo, fake_clock)
    victim_token, _ = duo_login(client, acme["admin"], duo)
    _, attacker_answer = duo_login(client, acme["staff"], duo)

    answer = duo_verify(client, victim_token, attacker_answer)

    assert answer.status_code == 401


def test_other_methods_are_refused_while_duo_is_required(client, acme, duo, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    set_up_duo(client, acme, duo, fake_clock)
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    assert verify(client, mfa_token, "totp", totp_now(secret)).status_code == 401


def test_duo_down_refuses_sign_in_when_the_org_fails_closed_and_audits_it(client, acme, duo, fake_clock):
    set_up_duo(client, acme, duo, fake_clock, failmode="closed")
    duo.down = True
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    answer = post_json(client, "/v1/auth/mfa/duo/start", {"mfa_token": mfa_token})

    assert (answer.status_code, body(answer)["error"]["code"]) == (503, "second_factor_unavailable")
    events = [e for e in AuditEvent.query(acme["owner"].org_id) if e.action == "mfa.duo_unavailable"]
    assert [e.outcome for e in events] == ["refused"]


def test_duo_down_falls_back_to_the_users_own_factors_when_the_org_chose_so(client, acme, duo, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, acme["staff"]))
    set_up_duo(client, acme, duo, fake_clock, failmode="open")
    duo.down = True
    mfa_token = second_step(client, acme["staff"])["mfa_token"]

    answer = body(post_json(client, "/v1/auth/mfa/duo/start", {"mfa_token": mfa_token}))

    assert answer == {"fallback": True, "methods": ["totp", "recovery"]}
    assert MfaChallenge.scan().next().methods == ["totp", "recovery"]
    assert verify(client, mfa_token, "totp", totp_now(secret)).status_code == 200
    events = [e for e in AuditEvent.query(acme["owner"].org_id) if e.action == "mfa.duo_unavailable"]
    assert [e.outcome for e in events] == ["fallback"]


def test_a_call_the_network_refuses_answers_503_not_500(client, acme, voice):
    enroll_landline(client, token_for(client, acme["staff"]), voice)
    mfa_token = second_step(client, acme["staff"])["mfa_token"]
    voice.failure = "ThrottlingException"

    answer = post_json(client, "/v1/auth/mfa/voice/call", {"mfa_token": mfa_token})

    assert (answer.status_code, body(answer)["error"]["code"]) == (503, "second_factor_unavailable")


def test_a_call_that_never_went_out_does_not_count_toward_the_three(client, acme, voice):
    token = token_for(client, acme["staff"])
    voice.failure = "ThrottlingException"
    refused = post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD}, token)
    voice.failure = None

    answers = [post_json(client, "/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, "password": PASSWORD},
                         token).status_code for _ in range(4)]

    assert refused.status_code == 503 and answers == [200, 200, 200, 429]
    assert len(voice.calls) == 3

