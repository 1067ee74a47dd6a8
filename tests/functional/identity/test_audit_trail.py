"""The audit chain and the logs, as an auditor reviewing an incident would read them."""

from __future__ import annotations

import pytest

from tests.functional.identity.helpers import PASSWORD, body, call, login, make_org, post_json, put_policy, token_for

NEW_PASSWORD = "quartz-meadow-lantern-97"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("staff", "auditor"))


def actions(client, token, **query) -> list[tuple[str, str]]:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    events = body(call(client, "GET", f"/v1/audit-events?limit=500&{suffix}", token))["events"]
    return [(e["action"], e["outcome"]) for e in events]


def test_security_events_are_on_the_chain_and_it_verifies(client, acme, log_output):
    owner = token_for(client, acme["owner"])
    staff_id = acme["staff"].user_id
    for _ in range(10):
        login(client, acme["staff"], password="wrong-password-123")
    call(client, "POST", f"/v1/users/{staff_id}/unlock", owner)
    staff = token_for(client, acme["staff"])
    post_json(client, "/v1/auth/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, staff)
    put_policy(client, owner, {"lockout_minutes": 30})
    call(client, "PATCH", f"/v1/users/{staff_id}", owner, {"role": "frontdesk"})
    call(client, "PATCH", f"/v1/users/{staff_id}", owner, {"disabled": True})
    call(client, "DELETE", f"/v1/users/{staff_id}/sessions", owner)
    call(client, "POST", "/v1/auth/logout", owner)

    auditor = token_for(client, acme["auditor"])
    recorded = set(actions(client, auditor))
    for expected in [("auth.login", "success"), ("auth.login", "bad_password"), ("auth.locked_out", "success"),
                     ("user.unlocked", "success"), ("auth.password_changed", "success"),
                     ("policy.updated", "success"), ("user.role_changed", "success"),
                     ("user.disabled", "success"), ("sessions.revoked", "success"), ("auth.logout", "success")]:
        assert expected in recorded, expected
    assert body(call(client, "GET", "/v1/audit-events/verify", auditor))["ok"] is True

    logs = log_output.getvalue()
    assert logs.count('"message":"request"') > 20  # the requests above were logged
    for secret in (PASSWORD, NEW_PASSWORD, owner, staff, auditor):
        assert secret not in logs


def test_events_filter_by_actor_and_action(client, acme):
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"lockout_minutes": 30})

    by_action = actions(client, owner, action="policy.updated")
    events = body(call(client, "GET", f"/v1/audit-events?actor={acme['owner'].user_id}", owner))["events"]

    assert by_action == [("policy.updated", "success")]
    assert events and {e["actor"] for e in events} == {acme["owner"].user_id}
    assert actions(client, owner, **{"from": "2199-01-01T00:00:00Z"}) == []
    assert actions(client, owner, to="2000-01-01T00:00:00Z") == []


def test_bad_filters_are_refused(client, acme):
    owner = token_for(client, acme["owner"])

    assert call(client, "GET", "/v1/audit-events?from=yesterday", owner).status_code == 422
    assert call(client, "GET", "/v1/login-attempts?outcome=maybe", owner).status_code == 422
    assert call(client, "GET", "/v1/login-attempts?limit=0", owner).status_code == 422
