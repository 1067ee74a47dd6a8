"""The per-org security policy, and the IP allowlist on login and on every staff request."""

from __future__ import annotations

import pytest

from tests.functional.identity.helpers import body, call, login, make_org, post_json, put_policy, token_for

INSIDE, OUTSIDE = "10.1.2.3", "203.0.113.9"


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("staff",))


def test_defaults_follow_nist_and_asvs(client, acme):
    policy = body(call(client, "GET", "/v1/org/security-policy", token_for(client, acme["owner"])))

    assert policy == {
        "password_min_length": 12, "password_require_classes": False, "password_max_age_days": 0,
        "password_history": 0, "lockout_threshold": 10, "lockout_minutes": 15, "session_idle_minutes": 30,
        "session_max_hours": 12, "ip_allowlist": [], "require_mfa": [], "dormant_days": 0,
        "mfa_methods": ["totp", "webauthn", "sms", "voice", "duo"],
        "booking_retention_days": 0, "customer_retention_days": 0, "audit_retention_days": 2190,
        "reminder_offsets_minutes": [1440], "require_email_verification": True,
        "new_factor_wait_hours": 24, "export_cooling_off_minutes": 60,
    }


@pytest.mark.parametrize("field,value", [
    ("password_min_length", 7), ("lockout_threshold", 101), ("session_max_hours", 0),
    ("password_max_age_days", -1), ("session_idle_minutes", 100000),
])
def test_out_of_range_values_are_refused_and_change_nothing(client, acme, field, value):
    owner = token_for(client, acme["owner"])

    response = put_policy(client, owner, {field: value})

    assert response.status_code == 422
    assert body(response)["error"]["field"] == field
    assert body(call(client, "GET", "/v1/org/security-policy", owner))["password_min_length"] == 12


def test_unknown_policy_fields_are_refused(client, acme):
    owner = token_for(client, acme["owner"])

    response = put_policy(client, owner, {"require_nothing": True})

    assert (response.status_code, body(response)["error"]["field"]) == (422, "require_nothing")


def test_allowlist_that_would_lock_out_the_caller_is_refused(client, acme, from_ip):
    from_ip(OUTSIDE)
    owner = token_for(client, acme["owner"])

    response = put_policy(client, owner, {"ip_allowlist": ["10.0.0.0/8"]})

    assert (response.status_code, body(response)["error"]["field"]) == (422, "ip_allowlist")


def test_malformed_networks_are_refused(client, acme):
    owner = token_for(client, acme["owner"])

    response = put_policy(client, owner, {"ip_allowlist": ["10.0.0.0/33"]})

    assert response.status_code == 422


def test_allowlist_guards_login_and_every_staff_request(client, acme, from_ip):
    from_ip(INSIDE)
    owner = token_for(client, acme["owner"])
    staff = token_for(client, acme["staff"])
    assert put_policy(client, owner, {"ip_allowlist": ["10.0.0.0/8"]}).status_code == 200

    from_ip(OUTSIDE)
    denied_login = login(client, acme["staff"])
    denied_request = call(client, "GET", "/v1/auth/sessions", staff)

    assert (denied_login.status_code, body(denied_login)["error"]["code"]) == (403, "ip_not_allowed")
    assert (denied_request.status_code, body(denied_request)["error"]["code"]) == (403, "ip_not_allowed")
    from_ip(INSIDE)
    outcomes = [a["outcome"] for a in body(call(client, "GET", "/v1/login-attempts", owner))["attempts"]]
    assert "ip_denied" in outcomes


def test_forged_forwarded_for_header_changes_nothing(client, acme, from_ip):
    from_ip(INSIDE)
    owner = token_for(client, acme["owner"])
    put_policy(client, owner, {"ip_allowlist": ["10.0.0.0/8"]})
    from_ip(OUTSIDE)

    forged = post_json(client, "/v1/auth/login", {"org": "acme", "email": acme["staff"].email,
                                                  "password": acme["staff"].password},
                       **{"X-Forwarded-For": INSIDE, "X-Real-Ip": INSIDE})

    assert forged.status_code == 403
