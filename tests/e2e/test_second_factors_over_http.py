"""A phone call and Duo, end to end over HTTP against the stack `make run` starts.

The stack's calls go to a local fake of End User Messaging's voice endpoint (moto does not serve it) and
its Duo to a local fake Duo over TLS: both are in tests/harness/ and speak the real wire protocols.
"""

from __future__ import annotations

import re
import signal
import time

import pyotp
import pytest

from scripts.run_local import spawn
from tests.e2e.conftest import request
from tests.harness.fake_duo import CLIENT_ID, CLIENT_SECRET, FakeDuo
from tests.harness.fake_voice import FakeVoiceService

pytestmark = pytest.mark.e2e
LANDLINE = "+14155550188"


@pytest.fixture(scope="module")
def fakes(tmp_path_factory):
    with FakeVoiceService() as voice, FakeDuo(tmp_path_factory.mktemp("duo")) as duo:
        yield voice, duo


@pytest.fixture(scope="module")
def stack_with_fakes(tmp_path_factory, fakes):
    voice, duo = fakes
    process, credentials = spawn(tmp_path_factory.mktemp("local"), SAFESLOT_VOICE_ORIGINATION="+18005550100",
                                 AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2=voice.url, SAFESLOT_DUO_CA_BUNDLE=duo.ca_path)
    yield credentials
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def spoken(voice: FakeVoiceService) -> str:
    return "".join(re.findall(r'interpret-as="digits">([0-9 ]+)<', voice.spoken_to(LANDLINE)[-1])[0].split())


def password_step(api: str, creds: dict) -> dict:
    status, answer = request("POST", f"{api}/v1/auth/login", {k: creds[k] for k in ("org", "email", "password")})
    assert status == 200 and answer["mfa_required"], answer
    return answer


def test_a_landline_then_duo_sign_the_owner_in_over_http(stack_with_fakes, fakes):
    voice, duo = fakes
    creds, api = stack_with_fakes, stack_with_fakes["api"]
    first = password_step(api, creds)
    code = pyotp.TOTP(creds["totp_secret"]).at(time.time() + 30)  # the next step: this one may be spent
    _, session = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "method": "totp",
                                                              "code": code})

    # a phone call that speaks the code: enrol the front desk's landline (a step-up: the password and a later
    # code of the app), then sign in with it
    spent = int(time.time() + 30) // 30
    while int(time.time()) // 30 < spent:  # the server accepts one step ahead of its clock
        time.sleep(0.25)
    proof = {"password": creds["password"], "code": pyotp.TOTP(creds["totp_secret"]).at((spent + 1) * 30)}
    assert request("POST", f"{api}/v1/auth/mfa/voice/enroll", {"phone": LANDLINE, **proof}, session["token"])[0] == 200
    assert request("POST", f"{api}/v1/auth/mfa/voice/confirm", {"code": spoken(voice)}, session["token"])[0] == 200
    second = password_step(api, creds)
    assert "voice" in second["methods"]
    assert request("POST", f"{api}/v1/auth/mfa/voice/call", {"mfa_token": second["mfa_token"]})[0] == 204
    status, by_phone = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": second["mfa_token"],
                                                                    "method": "voice", "code": spoken(voice)})
    assert status == 200 and by_phone["token"]

    # Duo for the whole clinic, set up in the session that stepped up for the landline minutes ago (Duo
    # decides every sign-in: it needs a step-up recorded on the session, ADR 0015)
    status, _ = request("PUT", f"{api}/v1/org/duo", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                       "api_host": duo.api_host, "failmode": "closed",
                                                       "redirect_uri": "https://clinic.example/duo"},
                        session["token"])
    assert status == 200
    third = password_step(api, creds)
    assert third["methods"] == ["duo"]
    _, prompt = request("POST", f"{api}/v1/auth/mfa/duo/start", {"mfa_token": third["mfa_token"]})
    returned = duo.approve(prompt["auth_url"])
    status, by_duo = request("POST", f"{api}/v1/auth/mfa/verify", {
        "mfa_token": third["mfa_token"], "method": "duo", "code": returned["duo_code"], "state": returned["state"]})
    assert status == 200 and by_duo["token"]
    replay = request("POST", f"{api}/v1/auth/mfa/verify", {
        "mfa_token": password_step(api, creds)["mfa_token"], "method": "duo", "code": returned["duo_code"],
        "state": returned["state"]})
    assert replay[0] == 401
