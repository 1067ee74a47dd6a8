"""Sessions: timeouts with a controlled clock, logout, revocation, and tokens never stored in clear."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.models.user import User
from tests.functional.identity.helpers import body, call, make_org, put_policy, token_for


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("staff",))


def status(client, token):
    return call(client, "GET", "/v1/auth/sessions", token).status_code


def test_idle_session_expires_after_the_policy_idle_time(client, acme, fake_clock):
    token = token_for(client, acme["staff"])

    fake_clock.advance(minutes=29)
    assert status(client, token) == 200
    fake_clock.advance(minutes=29)  # activity moved the idle deadline
    assert status(client, token) == 200
    fake_clock.advance(minutes=30)

    response = call(client, "GET", "/v1/auth/sessions", token)
    assert (response.status_code, body(response)["error"]["code"]) == (401, "session_expired")
    assert status(client, token) == 401


def test_active_session_still_ends_at_the_absolute_limit(client, acme, fake_clock):
    token = token_for(client, acme["staff"])

    answers = []
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        fake_clock.advance(minutes=20)
        answers.append(status(client, token))
    fake_clock.advance(minutes=21)

    assert answers == [200] * 35
    assert status(client, token) == 401


def test_timeouts_follow_the_org_policy(client, acme, fake_clock):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"session_idle_minutes": 5})
    token = token_for(client, acme["staff"])

    fake_clock.advance(minutes=6)

    assert status(client, token) == 401


def test_logout_kills_the_token_at_once(client, acme):
    token = token_for(client, acme["staff"])

    assert call(client, "POST", "/v1/auth/logout", token).status_code == 204
    assert status(client, token) == 401


def test_user_lists_and_ends_own_sessions(client, acme):
    laptop = token_for(client, acme["staff"])
    phone = token_for(client, acme["staff"])

    listed = body(call(client, "GET", "/v1/auth/sessions", laptop))["sessions"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    phone_id = next(s["id"] for s in listed if not s["current"])

    assert call(client, "DELETE", f"/v1/auth/sessions/{phone_id}", laptop).status_code == 204
    assert status(client, phone) == 401 and status(client, laptop) == 200


def test_a_user_cannot_end_someone_elses_session_by_id(client, acme):
    owner = token_for(client, acme["owner"])
    staff = token_for(client, acme["staff"])
    owner_session = body(call(client, "GET", "/v1/auth/sessions", owner))["sessions"][0]["id"]

    assert call(client, "DELETE", f"/v1/auth/sessions/{owner_session}", staff).status_code == 404
    assert status(client, owner) == 200


def test_admin_ends_every_session_of_a_user(client, acme):
    staff = token_for(client, acme["staff"])
    owner = token_for(client, acme["owner"])

    response = call(client, "DELETE", f"/v1/users/{acme['staff'].user_id}/sessions", owner)

    assert body(response) == {"ended": 1}
    assert status(client, staff) == 401


def test_role_change_ends_the_users_sessions(client, acme):
    staff = token_for(client, acme["staff"])
    owner = token_for(client, acme["owner"])

    call(client, "PATCH", f"/v1/users/{acme['staff'].user_id}", owner, {"role": "frontdesk"})

    assert status(client, staff) == 401


def test_tokens_are_stored_only_as_hashes(client, acme):
    token = token_for(client, acme["staff"])

    rows = boto3.client("dynamodb").scan(TableName="safeslot-test-sessions")["Items"]
    assert rows and token not in repr(rows)


def test_garbage_and_missing_tokens_are_unauthenticated(client, acme):
    assert call(client, "GET", "/v1/auth/sessions").status_code == 401
    assert call(client, "GET", "/v1/auth/sessions", "not-a-real-token").status_code == 401
    basic = client.http.get("/v1/auth/sessions", headers={"Authorization": "Basic b3duZXI6cHc="})
    assert body(basic)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("change", ["disabled", "demoted"])
def test_a_session_whose_revocation_was_missed_still_ends_with_its_user(client, acme, change):
    """A user disabled or demoted while their sessions were not ended (a race with the change, a revocation
    lost to an outage) is refused at the next request, and that session is ended."""
    staff = token_for(client, acme["staff"])
    user = User.get(acme["staff"].org_id, acme["staff"].user_id)
    user.update(actions=[User.disabled.set(True)] if change == "disabled" else [User.role.set("frontdesk")])

    assert status(client, staff) == 401
    if change == "demoted":
        user.update(actions=[User.role.set("staff")])
        assert status(client, staff) == 401  # ended, not just refused once
