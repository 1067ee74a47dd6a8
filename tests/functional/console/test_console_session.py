"""The console's session cookie (ADR 0017): set on sign-in, never in the body, and honoured only on calls
that prove they come from the console on this origin (the CSRF defence)."""

from __future__ import annotations

import json

import pyotp
import pytest

from chalicelib.models.session import Session
from tests.functional.identity.helpers import PASSWORD, body, make_org, post_json

HOST = "clinic.safeslot.test"
CONSOLE = {"X-SafeSlot-Client": "console", "Host": HOST, "Origin": f"https://{HOST}", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def accounts(aws_stack):
    return make_org("clinic", roles=("frontdesk",))


def console_login(client, account, **headers):
    credentials = {"org": account.org, "email": account.email, "password": PASSWORD}
    return post_json(client, "/v1/auth/login", credentials, **{**CONSOLE, **headers})


def session_cookie(response) -> str:
    cookies = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
    [cookie] = [c for c in ([cookies] if isinstance(cookies, str) else cookies) if c.startswith("__Host-")]
    return cookie


def cookie_pair(response) -> str:
    return session_cookie(response).split(";", 1)[0]


def with_cookie(client, method, path, cookie, payload=None, **headers):
    all_headers = {"Content-Type": "application/json", "Cookie": cookie, "Host": HOST, **headers}
    return client.http.request(method, path, headers=all_headers,
                               body=json.dumps(payload).encode() if payload is not None else b"")


def test_a_console_sign_in_sets_an_httponly_strict_cookie_and_the_body_holds_no_token(client, accounts):
    response = console_login(client, accounts["frontdesk"])

    assert response.status_code == 200
    assert "token" not in body(response) and "change_token" not in body(response)
    attributes = [part.strip() for part in session_cookie(response).split(";")]
    assert attributes[0].startswith("__Host-safeslot-session=") and len(attributes[0]) > 60
    assert {"Path=/", "Secure", "HttpOnly", "SameSite=Strict"} <= set(attributes)
    assert not any(a.lower().startswith("domain") for a in attributes)


def test_the_cookie_opens_the_same_server_side_session_as_a_bearer_token(client, accounts):
    cookie = cookie_pair(console_login(client, accounts["frontdesk"]))

    answer = with_cookie(client, "GET", "/v1/console/session", cookie, **CONSOLE)

    assert answer.status_code == 200
    assert body(answer)["user"]["role"] == "frontdesk" and body(answer)["org"]["slug"] == "clinic"
    token = cookie.split("=", 1)[1]
    bearer = client.http.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200


@pytest.mark.parametrize("missing", [
    {"X-SafeSlot-Client": None},  # a cross-site form or fetch cannot send it without a refused preflight
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
])
def test_a_state_changing_call_with_the_cookie_but_without_the_csrf_defence_is_refused(client, accounts, missing):
    cookie = cookie_pair(console_login(client, accounts["frontdesk"]))
    headers = {k: v for k, v in {**CONSOLE, **missing}.items() if v is not None}
    patient = {"name": "Carla Cross", "email": "carla@example.org"}

    answer = with_cookie(client, "POST", "/v1/customers", cookie, patient, **headers)

    assert (answer.status_code, body(answer)["error"]["code"]) == (403, "csrf_refused")
    assert with_cookie(client, "POST", "/v1/customers", cookie, patient, **CONSOLE).status_code == 201


def test_reading_with_the_cookie_needs_the_console_header_too(client, accounts):
    cookie = cookie_pair(console_login(client, accounts["frontdesk"]))

    answer = with_cookie(client, "GET", "/v1/auth/me", cookie)

    assert (answer.status_code, body(answer)["error"]["code"]) == (403, "csrf_refused")


def test_a_foreign_page_cannot_sign_the_browser_in(client, accounts):
    before = Session.count()

    answer = console_login(client, accounts["frontdesk"], Origin="https://evil.example")

    assert (answer.status_code, body(answer)["error"]["code"]) == (403, "csrf_refused")
    assert Session.count() == before  # refused before the password was even checked


def test_signing_out_clears_the_cookie_and_ends_the_session(client, accounts):
    cookie = cookie_pair(console_login(client, accounts["frontdesk"]))

    answer = with_cookie(client, "POST", "/v1/auth/logout", cookie, **CONSOLE)

    assert answer.status_code == 204
    cleared = [part.strip() for part in session_cookie(answer).split(";")]
    assert cleared[0] == "__Host-safeslot-session=" and "Max-Age=0" in cleared
    assert with_cookie(client, "GET", "/v1/console/session", cookie, **CONSOLE).status_code == 401


def test_api_clients_keep_their_bearer_token_in_the_body(client, accounts):
    credentials = {"org": "clinic", "email": accounts["frontdesk"].email, "password": PASSWORD}
    answer = post_json(client, "/v1/auth/login", credentials)

    assert answer.status_code == 200 and body(answer)["token"]
    assert "Set-Cookie" not in answer.headers


def test_a_first_factor_confirmed_in_the_console_turns_the_session_into_a_cookie_not_a_token_in_the_body(
        client, accounts):
    # the red team's finding: the confirmation of an enrolment forced at sign-in answered a full session token
    # in the JSON body, readable by page script, and left the cookie on the ended enrol-only session
    from tests.functional.identity.helpers import put_policy, token_for

    put_policy(client, token_for(client, accounts["owner"]), {"require_mfa": ["frontdesk"]})
    signed_in = console_login(client, accounts["frontdesk"])
    assert body(signed_in)["mfa_enrollment_required"] is True
    enrol_only = cookie_pair(signed_in)
    secret = body(with_cookie(client, "POST", "/v1/auth/mfa/totp/enroll", enrol_only, {"password": PASSWORD},
                              **CONSOLE))["secret"]

    confirmed = with_cookie(client, "POST", "/v1/auth/mfa/totp/confirm", enrol_only,
                            {"code": pyotp.TOTP(secret).now()}, **CONSOLE)

    assert confirmed.status_code == 200 and "token" not in body(confirmed)
    full = cookie_pair(confirmed)
    assert full != enrol_only
    assert with_cookie(client, "GET", "/v1/console/session", full, **CONSOLE).status_code == 200
