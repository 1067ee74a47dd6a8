"""An owner or admin sees another user's sessions and ends one (issue 26): under the rules of every
change to a user, showing nothing a holder could reuse, and the ended session dies at its next request."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import pytest

from tests.functional.identity.helpers import body, call, login, make_org, token_for

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("admin", "staff"))


def sessions_of(client, token, user_id):
    return call(client, "GET", f"/v1/users/{user_id}/sessions", token)


def works(client, token) -> bool:
    return call(client, "GET", "/v1/auth/me", token).status_code == 200


def login_from(client, account, ip, from_ip, user_agent=PHONE) -> str:
    from_ip(ip)
    answer = client.http.post("/v1/auth/login", headers={"Content-Type": "application/json", "User-Agent": user_agent},
                              body=json.dumps({"org": account.org, "email": account.email,
                                               "password": account.password}).encode())
    assert answer.status_code == 200, answer.body
    return str(body(answer)["token"])


def test_an_owner_sees_a_users_sessions_with_the_network_and_browser_but_nothing_to_reuse(client, acme, from_ip):
    staff_token = login_from(client, acme["staff"], "203.0.113.77", from_ip)
    owner = token_for(client, acme["owner"])

    answer = sessions_of(client, owner, acme["staff"].user_id)

    assert answer.status_code == 200
    [shown] = body(answer)["sessions"]
    assert shown["source_ip"] == "203.0.113.0/24"
    assert shown["user_agent"] == "Mozilla/5.0 AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
    assert {"id", "created_at", "last_seen_at", "expires_at", "second_factor"} <= set(shown)
    row = boto3.client("dynamodb").scan(TableName="safeslot-test-sessions")["Items"]
    token_hashes = [item["token_hash"]["S"] for item in row]
    for secret in (staff_token, "203.0.113.77", "iPhone", *token_hashes):
        assert secret not in answer.body.decode()


def test_ending_one_session_of_a_user_stops_it_at_its_next_request_and_leaves_the_others(client, acme, from_ip):
    on_phone = login_from(client, acme["staff"], "198.51.100.20", from_ip)
    at_desk = login_from(client, acme["staff"], "203.0.113.5", from_ip, user_agent="Mozilla/5.0 Firefox/128.0")
    owner = token_for(client, acme["owner"])
    phone_id = next(s["id"] for s in body(sessions_of(client, owner, acme["staff"].user_id))["sessions"]
                    if s["source_ip"] == "198.51.100.0/24")

    answer = call(client, "DELETE", f"/v1/users/{acme['staff'].user_id}/sessions/{phone_id}", owner)

    assert answer.status_code == 204
    assert not works(client, on_phone)
    assert works(client, at_desk)
    assert [s["source_ip"] for s in body(sessions_of(client, owner, acme["staff"].user_id))["sessions"]] == [
        "203.0.113.0/24"]
    events = body(call(client, "GET", "/v1/audit-events?action=session.revoked", owner))["events"]
    assert [e["subjects"] for e in events] == [{"user_id": acme["staff"].user_id, "session_id": phone_id}]


def test_a_session_of_one_user_cannot_be_ended_through_another_users_path(client, acme):
    admin = token_for(client, acme["admin"])
    owner = token_for(client, acme["owner"])
    admins_session = next(s["id"] for s in body(sessions_of(client, owner, acme["admin"].user_id))["sessions"])

    answer = call(client, "DELETE", f"/v1/users/{acme['staff'].user_id}/sessions/{admins_session}", owner)

    assert answer.status_code == 404 and body(answer)["error"]["code"] == "not_found"
    assert works(client, admin)


def test_an_admin_can_neither_see_nor_end_an_owners_sessions(client, acme):
    owner = token_for(client, acme["owner"])
    admin = token_for(client, acme["admin"])
    owners_session = next(s["id"] for s in body(call(client, "GET", "/v1/auth/sessions", owner))["sessions"])

    listed = sessions_of(client, admin, acme["owner"].user_id)
    ended = call(client, "DELETE", f"/v1/users/{acme['owner'].user_id}/sessions/{owners_session}", admin)

    assert (listed.status_code, ended.status_code) == (403, 403)
    assert body(ended)["error"]["code"] == "forbidden"
    assert works(client, owner)


def test_no_one_manages_their_own_sessions_through_the_users_routes(client, acme):
    admin = token_for(client, acme["admin"])
    own = next(s["id"] for s in body(call(client, "GET", "/v1/auth/sessions", admin))["sessions"])

    listed = sessions_of(client, admin, acme["admin"].user_id)
    ended = call(client, "DELETE", f"/v1/users/{acme['admin'].user_id}/sessions/{own}", admin)

    assert (listed.status_code, ended.status_code) == (403, 403)
    assert works(client, admin)


def test_another_orgs_user_and_sessions_are_not_found(client, acme):
    other = make_org("globex", roles=("staff",))
    globex_staff = token_for(client, other["staff"])
    acme_owner = token_for(client, acme["owner"])
    globex_owner = token_for(client, other["owner"])
    their_session = next(s["id"] for s in body(sessions_of(client, globex_owner, other["staff"].user_id))["sessions"])

    listed = sessions_of(client, acme_owner, other["staff"].user_id)
    ended = call(client, "DELETE", f"/v1/users/{other['staff'].user_id}/sessions/{their_session}", acme_owner)

    assert (listed.status_code, ended.status_code) == (404, 404)
    assert works(client, globex_staff)


def test_a_locked_user_is_shown_locked_until_the_lock_ends_and_unlocked_after_an_unlock(client, acme, fake_clock):
    for _ in range(10):
        login(client, acme["staff"], password="wrong-password-123")
    owner = token_for(client, acme["owner"])

    listed = {u["id"]: u for u in body(call(client, "GET", "/v1/users", owner))["users"]}
    one = body(call(client, "GET", f"/v1/users/{acme['staff'].user_id}", owner))["user"]

    expected_end = (fake_clock.now.replace(microsecond=0).timestamp() + 15 * 60)
    staff = listed[acme["staff"].user_id]
    assert staff["locked"] is True and one["locked"] is True
    assert staff["locked_until"] == one["locked_until"]
    assert abs(datetime.fromisoformat(staff["locked_until"]).timestamp() - expected_end) <= 1
    assert (listed[acme["owner"].user_id]["locked"], listed[acme["owner"].user_id]["locked_until"]) == (False, None)

    call(client, "POST", f"/v1/users/{acme['staff'].user_id}/unlock", owner)

    after = body(call(client, "GET", f"/v1/users/{acme['staff'].user_id}", owner))["user"]
    assert (after["locked"], after["locked_until"]) == (False, None)


def test_a_lock_that_ran_out_is_not_shown(client, acme, fake_clock):
    for _ in range(10):
        login(client, acme["staff"], password="wrong-password-123")
    owner = token_for(client, acme["owner"])
    fake_clock.advance(minutes=16)

    shown = body(call(client, "GET", f"/v1/users/{acme['staff'].user_id}", owner))["user"]

    assert (shown["locked"], shown["locked_until"]) == (False, None)
