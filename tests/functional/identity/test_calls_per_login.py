"""A login and an authenticated staff request cost a bounded number of AWS calls (issue 24, item 3),
whatever security layers they pass: counted call by call, which does not drift between machines."""

from __future__ import annotations

import pytest

from chalicelib.services import hot_cache
from tests.functional.calls_counting import request_calls
from tests.functional.identity.helpers import body, call, login, make_org, token_for

LOGIN_MAX_CALLS = 8
STAFF_REQUEST_MAX_CALLS_BEFORE_WORK = 2


@pytest.fixture
def accounts(aws_stack):
    return make_org("counted", roles=("staff",))


def test_a_login_takes_at_most_eight_calls_even_with_a_cold_cache(client, accounts, monkeypatch):
    token_for(client, accounts["owner"])  # warm clients and keys
    hot_cache.clear()  # a Lambda that has not seen this org's slug yet

    with request_calls(monkeypatch) as calls:
        answer = login(client, accounts["owner"])

    assert answer.status_code == 200 and body(answer)["token"]
    assert len(calls.made) <= LOGIN_MAX_CALLS, calls.made
    assert calls.count("dynamodb:TransactWriteItems") == 1  # every write of a whole login, together


def test_a_login_still_counts_the_lockout_and_address_tries_before_the_password_check(client, accounts,
                                                                                     monkeypatch):
    token_for(client, accounts["owner"])

    with request_calls(monkeypatch) as calls:
        login(client, accounts["owner"])

    assert calls.made[0] == "dynamodb:UpdateItem"  # the address's try, before anything else
    assert calls.made.count("dynamodb:UpdateItem") == 2  # and the account's (lockout), both before the work


def test_an_authenticated_staff_request_makes_two_calls_before_its_own_work(client, accounts, monkeypatch):
    token = token_for(client, accounts["staff"])

    with request_calls(monkeypatch) as calls:
        answer = call(client, "GET", "/v1/services", token)

    assert answer.status_code == 200
    assert calls.made[:STAFF_REQUEST_MAX_CALLS_BEFORE_WORK] == ["dynamodb:GetItem", "dynamodb:BatchGetItem"]
    assert calls.made[STAFF_REQUEST_MAX_CALLS_BEFORE_WORK:] == ["dynamodb:Query"]  # the route's own work


def test_a_disabled_user_and_a_tightened_allowlist_hold_from_the_very_next_request(client, accounts, from_ip):
    from chalicelib.models.organization import Organization
    from chalicelib.models.user import User

    from_ip("198.51.100.7")
    token = token_for(client, accounts["staff"])
    owner_token = token_for(client, accounts["owner"])
    assert call(client, "GET", "/v1/services", token).status_code == 200  # every cache is warm now

    org = Organization.get(accounts["owner"].org_id)  # another Lambda allows only another network
    org.update(actions=[Organization.security_policy.set({"ip_allowlist": ["203.0.113.0/24"]})])
    refused = call(client, "GET", "/v1/services", owner_token)
    User(accounts["staff"].org_id, accounts["staff"].user_id).update(actions=[User.disabled.set(True)])
    from_ip("203.0.113.9")
    ended = call(client, "GET", "/v1/services", token)

    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "ip_not_allowed")
    assert ended.status_code == 401
