"""An export's cooling-off (issue 22 item 1, ADR 0013): every owner is told at once, the archive is released
an hour (per org) after the request, any owner can stop it, and a stopped export is never downloaded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity.authentication import set_password_with_setup_token
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.identity.users import create_user
from tests.functional.exports.helpers import (
    filled_clinic,
    owner_with_second_factor,
    run_export_job,
    start_export,
)
from tests.functional.identity.helpers import (
    PASSWORD,
    Account,
    body,
    call,
    mailed_setup_token,
    mails_to,
    put_policy,
    token_for,
)


@pytest.fixture
def clinic(client, fake_clock):
    return filled_clinic(client, "alpha", patients=2)


@pytest.fixture
def owner(client, clinic, fake_clock):
    return owner_with_second_factor(client, clinic.clinic.accounts["owner"], fake_clock)


@pytest.fixture
def co_owner(client, clinic) -> Account:
    """A second owner of the clinic, signed in with a password only."""
    first = clinic.clinic.accounts["owner"]
    acting = Principal(first.org_id, first.user_id, "owner", "seed", "full", SYSTEM)
    email = "co-owner@alpha.example"
    made = create_user(acting, email, "Cora Owner", "owner")
    set_password_with_setup_token(mailed_setup_token(email), PASSWORD, SYSTEM)
    return Account(first.org, first.org_id, made["id"], email, "owner")


def asked(client, owner, fake_clock) -> dict:
    answer = start_export(client, owner, owner.code(fake_clock))
    assert answer.status_code == 202, answer.body
    return body(answer)["export"]


def test_every_owner_is_told_at_once_and_the_answer_says_when_it_is_released(client, owner, co_owner, fake_clock):
    export = asked(client, owner, fake_clock)

    told = [m for m in mails_to(co_owner.email) if "was asked for" in m.subject]  # before the job ran
    assert export["release_at"] == clock.isoformat(clock.now() + timedelta(hours=1))
    assert len(told) == 1 and export["release_at"] in told[0].body and f"{export['id']}/stop" in told[0].body
    assert export["decryption_key"] not in told[0].body and "http" not in told[0].body


def test_a_ready_export_is_refused_until_its_release(client, owner, fake_clock):
    export = asked(client, owner, fake_clock)
    assert run_export_job()["exports_made"] == 1

    early = call(client, "GET", f"/v1/org/exports/{export['id']}", owner.token)
    fake_clock.advance(minutes=29)
    still = call(client, "GET", f"/v1/org/exports/{export['id']}", owner.token)
    fake_clock.advance(minutes=29)
    call(client, "GET", "/v1/auth/me", owner.token)  # the session stays alive (30 idle minutes)
    fake_clock.advance(minutes=3)
    released = call(client, "GET", f"/v1/org/exports/{export['id']}", owner.token)

    for refused in (early, still):
        assert (refused.status_code, body(refused)["error"]["code"]) == (409, "export_not_released")
        assert "download" not in refused.body.decode()
    assert 0 < int(early.headers["Retry-After"]) <= 3600
    assert released.status_code == 200 and "url" in body(released)["export"]["download"]


def test_any_owner_stops_an_export_and_it_is_never_downloaded(client, owner, co_owner, fake_clock):
    export = asked(client, owner, fake_clock)
    stopper = token_for(client, co_owner)

    stopped = call(client, "POST", f"/v1/org/exports/{export['id']}/stop", stopper)
    made = run_export_job()["exports_made"]
    for _ in range(3):  # past the release, the session kept alive (30 idle minutes)
        fake_clock.advance(minutes=22)
        call(client, "GET", "/v1/auth/me", owner.token)
    later = call(client, "GET", f"/v1/org/exports/{export['id']}", owner.token)

    assert stopped.status_code == 200 and body(stopped)["export"]["status"] == "stopped"
    assert made == 0
    assert (later.status_code, body(later)["error"]["code"]) == (410, "export_stopped")


def test_an_export_stopped_after_it_was_made_is_never_downloaded(client, owner, fake_clock):
    export = asked(client, owner, fake_clock)
    assert run_export_job()["exports_made"] == 1
    assert call(client, "POST", f"/v1/org/exports/{export['id']}/stop", owner.token).status_code == 200
    for _ in range(3):  # past the release, the session kept alive (30 idle minutes)
        fake_clock.advance(minutes=22)
        call(client, "GET", "/v1/auth/me", owner.token)

    later = call(client, "GET", f"/v1/org/exports/{export['id']}", owner.token)

    assert (later.status_code, body(later)["error"]["code"]) == (410, "export_stopped")


def test_the_cooling_off_is_longer_per_org_but_never_shorter(client, owner, fake_clock):
    shorter = put_policy(client, owner.token, {"export_cooling_off_minutes": 5}, code=owner.code(fake_clock))
    longer = put_policy(client, owner.token, {"export_cooling_off_minutes": 180}, code=owner.code(fake_clock))

    export = asked(client, owner, fake_clock)

    assert (shorter.status_code, body(shorter)["error"]["field"]) == (422, "export_cooling_off_minutes")
    assert longer.status_code == 200
    assert export["release_at"] == clock.isoformat(clock.now() + timedelta(hours=3))
