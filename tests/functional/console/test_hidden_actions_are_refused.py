"""Every action a console screen hides from a role is refused when that role calls the API directly
(issue 26, item 5): the console's menus are a convenience, the server's permission table is the control.

HIDDEN mirrors chalicelib/web/console/roles.js: for each role, the owner's and admins' actions the
console does not offer it. Ids that do not exist are used on purpose: the role is refused before
anything is looked up (a 404 would tell the caller what exists)."""

from __future__ import annotations

import pytest

from tests.functional.identity.helpers import body, call, make_org, step_up, token_for

ANY_ID = "0" * 32
CLINIC_SETUP = [
    ("PUT", "/v1/org/profile", {"address": "1 Main Street"}),
    ("POST", "/v1/services", {"name": "Checkup", "duration_minutes": 30}),
    ("PATCH", f"/v1/services/{ANY_ID}", {"name": "Checkup"}),
    ("POST", "/v1/staff", {"display_name": "Dr New", "timezone": "UTC"}),
    ("PATCH", f"/v1/staff/{ANY_ID}", {"display_name": "Dr New"}),
    ("GET", "/v1/users", None),
    ("POST", "/v1/users", {"email": "new@example.org", "name": "New Person", "role": "frontdesk"}),
    ("PATCH", f"/v1/users/{ANY_ID}", {"role": "staff"}),
    ("GET", "/v1/org/security-policy", None),
    ("PUT", "/v1/org/security-policy", {"lockout_threshold": 5}),
]
SECURITY_ACTIONS = [
    ("POST", f"/v1/users/{ANY_ID}/unlock", None),
    ("DELETE", f"/v1/users/{ANY_ID}/sessions", None),
    ("GET", f"/v1/users/{ANY_ID}/sessions", None),
    ("DELETE", f"/v1/users/{ANY_ID}/sessions/{ANY_ID[:16]}", None),
    ("POST", f"/v1/users/{ANY_ID}/mfa/reset", {}),
]
PRIVACY_ACTIONS = [
    ("GET", "/v1/erasure-requests", None),
    ("POST", f"/v1/erasure-requests/{ANY_ID}/refuse", {"reason": "We must keep these records by law."}),
    ("POST", "/v1/org/privacy-policies", {"text": "Our policy.", "summary": "New",
                                          "effective_at": "2030-01-01T00:00:00Z"}),
    ("POST", f"/v1/org/support-grants/{ANY_ID}/approve", {"code": "123456"}),
    ("POST", f"/v1/org/support-grants/{ANY_ID}/refuse", {}),
    ("POST", f"/v1/org/support-grants/{ANY_ID}/revoke", {}),
]
OWNERS_ONLY = [
    ("POST", "/v1/org/exports", {"code": "123456"}),
    ("POST", f"/v1/org/exports/{ANY_ID}/stop", {}),
    ("POST", "/v1/org/deletion", {"code": "123456"}),
    ("DELETE", "/v1/org/deletion", None),
]
EVIDENCE_READS = [
    ("GET", "/v1/org/evidence", None),
    ("GET", "/v1/audit-events", None),
    ("GET", "/v1/audit-events/verify", None),
    ("GET", "/v1/login-attempts", None),
    ("GET", "/v1/org/support-grants", None),
]
HIDDEN = {
    "admin": OWNERS_ONLY,
    "auditor": CLINIC_SETUP + SECURITY_ACTIONS + PRIVACY_ACTIONS + OWNERS_ONLY,
    "staff": CLINIC_SETUP + SECURITY_ACTIONS + PRIVACY_ACTIONS + OWNERS_ONLY + EVIDENCE_READS,
    "frontdesk": CLINIC_SETUP + SECURITY_ACTIONS + PRIVACY_ACTIONS + OWNERS_ONLY + EVIDENCE_READS,
}


@pytest.fixture
def tokens(client, aws_stack):
    accounts = make_org("hidden", roles=("admin", "staff", "frontdesk", "auditor"))
    found = {role: token_for(client, account) for role, account in accounts.items()}
    for token in found.values():
        step_up(client, token)  # a step-up recorded in the session: the role alone must still refuse
    return found


def test_every_action_the_console_hides_from_a_role_is_refused_when_that_role_calls_it_directly(client, tokens):
    answered = {(role, method, path): call(client, method, path, tokens[role], payload)
                for role, actions in HIDDEN.items() for method, path, payload in actions}

    not_refused = {case: (a.status_code, a.body) for case, a in answered.items()
                   if a.status_code != 403 or body(a)["error"]["code"] != "forbidden"}
    assert not_refused == {}
    assert len(answered) == sum(len(actions) for actions in HIDDEN.values()) > 80


def test_an_admin_may_not_make_an_owner_even_after_a_step_up(client, tokens):
    created = call(client, "POST", "/v1/users", tokens["admin"],
                   {"email": "boss@example.org", "name": "New Boss", "role": "owner"})

    assert created.status_code == 403 and body(created)["error"]["code"] == "forbidden", created.body


def test_what_the_console_shows_a_role_it_may_really_do(client, tokens):
    """The other side: the same calls by the roles the console offers them to are not refused for role."""
    assert call(client, "GET", "/v1/org/evidence", tokens["auditor"]).status_code == 200
    assert call(client, "GET", "/v1/audit-events", tokens["auditor"]).status_code == 200
    assert call(client, "GET", "/v1/org/security-policy", tokens["admin"]).status_code == 200
    assert call(client, "PUT", "/v1/org/profile", tokens["admin"], {"address": "1 Main St"}).status_code == 200
