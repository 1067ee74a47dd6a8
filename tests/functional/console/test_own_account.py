"""What the console's account screens stand on: the invitation and reset e-mails link to the console's
set-password page with the token in the URL fragment (never in a path or query a server or log receives),
and "sign out everywhere" ends every other session of the caller, and only the caller's."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.functional.console.test_console_session import CONSOLE, console_login, cookie_pair, with_cookie
from tests.functional.identity.helpers import PASSWORD, body, call, mails_to, make_org, post_json, token_for
from tests.functional.identity.test_mfa import enroll_totp, second_step, verify
from tests.functional.identity.test_step_up import later_code

STRONG = "copper-willow-harbor-62"


@pytest.fixture
def accounts(aws_stack):
    return make_org("clinic", roles=("frontdesk", "staff"))


def mailed_link(address: str) -> str:
    [link] = re.findall(r"https?://\S+", mails_to(address)[-1].body)
    return link


def test_the_invitation_links_to_the_console_with_the_token_in_the_fragment(client, accounts):
    owner = token_for(client, accounts["owner"])
    invited = post_json(client, "/v1/users", {"email": "nina@clinic.example", "name": "Nina New", "role": "frontdesk"},
                        owner)
    assert invited.status_code == 201

    link = urlsplit(mailed_link("nina@clinic.example"))
    assert (link.path, link.query) == ("/console", "")
    assert link.fragment.startswith("setup/")
    token = link.fragment.removeprefix("setup/")
    assert post_json(client, "/v1/auth/setup", {"token": token, "password": STRONG}).status_code == 204
    signed_in = post_json(client, "/v1/auth/login", {"org": "clinic", "email": "nina@clinic.example",
                                                      "password": STRONG})
    assert signed_in.status_code == 200


def test_an_admin_reset_links_to_the_same_page_and_its_token_works_once(client, accounts):
    owner = token_for(client, accounts["owner"])
    assert call(client, "POST", f"/v1/users/{accounts['staff'].user_id}/reset", owner).status_code == 202

    token = urlsplit(mailed_link(accounts["staff"].email)).fragment.removeprefix("setup/")

    assert post_json(client, "/v1/auth/setup", {"token": token, "password": STRONG}).status_code == 204
    assert post_json(client, "/v1/auth/setup", {"token": token, "password": PASSWORD + "x"}).status_code == 401


def test_sign_out_everywhere_ends_every_other_session_and_keeps_this_one(client, accounts):
    laptop = token_for(client, accounts["frontdesk"])
    tablet = token_for(client, accounts["frontdesk"])
    owner = token_for(client, accounts["owner"])

    answer = call(client, "DELETE", "/v1/auth/sessions", laptop, {"password": PASSWORD})  # no factor yet

    assert (answer.status_code, body(answer)) == (200, {"ended": 1})
    assert call(client, "GET", "/v1/auth/sessions", tablet).status_code == 401
    assert call(client, "GET", "/v1/auth/sessions", laptop).status_code == 200
    assert call(client, "GET", "/v1/auth/sessions", owner).status_code == 200  # nobody else's session


def test_a_stolen_session_cannot_sign_its_victim_out_everywhere_and_stay_alone(client, accounts, fake_clock):
    secret, _ = enroll_totp(client, token_for(client, accounts["frontdesk"]))
    victim = body(verify(client, second_step(client, accounts["frontdesk"])["mfa_token"], "totp",
                         later_code(secret, fake_clock)))["token"]
    stolen = body(verify(client, second_step(client, accounts["frontdesk"])["mfa_token"], "totp",
                         later_code(secret, fake_clock)))["token"]

    bare = call(client, "DELETE", "/v1/auth/sessions", stolen)
    guessed = call(client, "DELETE", "/v1/auth/sessions", stolen, {"password": "guess-harbor-1", "code": "000000"})
    password_only = call(client, "DELETE", "/v1/auth/sessions", stolen, {"password": PASSWORD})

    assert [r.status_code for r in (bare, guessed, password_only)] == [403, 401, 403]
    assert body(bare)["error"]["code"] == body(password_only)["error"]["code"] == "step_up_required"
    assert call(client, "GET", "/v1/auth/sessions", victim).status_code == 200
    proven = call(client, "DELETE", "/v1/auth/sessions", victim,
                  {"password": PASSWORD, "code": later_code(secret, fake_clock)})
    assert proven.status_code == 200 and body(proven)["ended"] >= 1  # the person, with a factor, can
    assert call(client, "GET", "/v1/auth/sessions", stolen).status_code == 401


def test_the_console_signs_out_everywhere_with_its_cookie_and_a_foreign_page_cannot(client, accounts):
    cookie = cookie_pair(console_login(client, accounts["frontdesk"]))
    elsewhere = token_for(client, accounts["frontdesk"])
    proof = {"password": PASSWORD}

    forged = with_cookie(client, "DELETE", "/v1/auth/sessions", cookie, proof, Origin="https://evil.example")
    assert (forged.status_code, body(forged)["error"]["code"]) == (403, "csrf_refused")
    assert call(client, "GET", "/v1/auth/sessions", elsewhere).status_code == 200

    ended = with_cookie(client, "DELETE", "/v1/auth/sessions", cookie, proof, **CONSOLE)
    assert (ended.status_code, body(ended)) == (200, {"ended": 1})
    assert call(client, "GET", "/v1/auth/sessions", elsewhere).status_code == 401


def test_signing_out_everywhere_is_audited(client, accounts):
    from chalicelib.models.audit import AuditEvent

    laptop = token_for(client, accounts["frontdesk"])
    token_for(client, accounts["frontdesk"])
    call(client, "DELETE", "/v1/auth/sessions", laptop, {"password": PASSWORD})

    events = [e for e in AuditEvent.query(accounts["frontdesk"].org_id) if e.action == "session.revoked_all_others"]
    assert len(events) == 1 and events[0].actor == accounts["frontdesk"].user_id
