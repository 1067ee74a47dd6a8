"""Reading the audit trail and the login attempts, and searching customers (even in vain), leave events:
who looked, what they looked for (ids and counts, never an address), and when."""

from __future__ import annotations

import pytest

from chalicelib.models.audit import AuditEvent
from tests.functional.identity.helpers import body, call, make_org, post_json, token_for


@pytest.fixture
def acme(aws_stack):
    return make_org("acme", roles=("auditor", "frontdesk"))


def last_event(org_id: str) -> AuditEvent:
    return next(iter(AuditEvent.query(org_id, AuditEvent.seq > 0, scan_index_forward=False, limit=1)))


def test_reading_the_audit_trail_is_itself_on_the_trail(client, acme):
    auditor = acme["auditor"]
    token = token_for(client, auditor)

    call(client, "GET", "/v1/audit-events?action=auth.login", token)
    listed = last_event(auditor.org_id)
    call(client, "GET", "/v1/audit-events/verify", token)
    verified = last_event(auditor.org_id)

    assert (listed.action, listed.actor, listed.subjects.as_dict()["action"]) == (
        "audit.listed", auditor.user_id, "auth.login")
    assert (verified.action, verified.actor, verified.outcome) == ("audit.verified", auditor.user_id, "success")


def test_reading_login_attempts_is_on_the_trail(client, acme):
    auditor = acme["auditor"]
    token = token_for(client, auditor)

    attempts = body(call(client, "GET", f"/v1/login-attempts?user_id={auditor.user_id}", token))["attempts"]

    event = last_event(auditor.org_id)
    assert (event.action, event.actor) == ("login_attempts.listed", auditor.user_id)
    assert event.subjects.as_dict() == {"user_id": auditor.user_id, "results": str(len(attempts))}


def test_an_empty_customer_search_leaves_an_event_without_the_address(client, acme):
    desk = acme["frontdesk"]
    token = token_for(client, desk)

    found = body(post_json(client, "/v1/customers/search", {"email": "nobody@example.org"}, token))

    event = last_event(desk.org_id)
    assert found == {"customers": []}
    assert (event.action, event.actor, event.outcome) == ("customer.searched", desk.user_id, "no_match")
    assert "nobody" not in str(event.subjects.as_dict())
