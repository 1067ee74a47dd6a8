"""Evidence at a glance (GET /v1/org/evidence): the console's summary of the protections at work, read
from what the jobs and requests record. An auditor reads it; the front of house may not; it holds
counts and instants, never a name or an address; reading it is an audit event."""

from __future__ import annotations

import json

import pytest

from chalicelib.jobs.runner import run_job
from chalicelib.models.audit import AuditEvent
from tests.functional.identity.helpers import body, call, login, make_org, token_for
from tests.functional.jobs.helpers import invoke


@pytest.fixture
def org(aws_stack):
    return make_org("evident", roles=("admin", "auditor", "frontdesk"))


def evidence(client, account) -> dict:
    answer = call(client, "GET", "/v1/org/evidence", token_for(client, account))
    assert answer.status_code == 200, answer.body
    return body(answer)["evidence"]


def test_an_org_that_never_ran_a_job_shows_nothing_has_run_yet(client, org):
    shown = evidence(client, org["auditor"])

    assert shown["backup"]["last_run_at"] is None and shown["restore_drill"]["last_success_at"] is None
    assert shown["audit_chain"]["latest_digest"] is None
    assert shown["backup"]["regions"] == ["us-east-1", "us-west-2"]
    assert shown["open_requests"] == {"erasure_requests": 0, "support_requests": 0}


def test_the_last_backup_drill_and_chain_verification_show_when_they_ran_and_how_they_ended(client, org, fake_clock):
    assert invoke(client, "daily_backup")["ok"]
    assert invoke(client, "weekly_restore_drill")["ok"]
    assert invoke(client, "daily_audit_digest")["ok"]
    assert invoke(client, "daily_audit_verify")["ok"]
    fake_clock.advance(minutes=5)  # events keep whole seconds: the failure comes visibly later
    run_job("restore_drill", lambda report: report.fail("the restored tables did not match"))  # a later failure

    shown = evidence(client, org["auditor"])

    assert shown["backup"]["last_outcome"] == "success" and shown["backup"]["last_success_at"]
    drill = shown["restore_drill"]
    assert drill["last_outcome"] == "failure"  # the last run is shown as it ended...
    assert drill["last_success_at"] and drill["last_success_at"] < drill["last_run_at"]  # ...and the last pass
    assert shown["audit_chain"]["job"]["last_outcome"] == "success"
    assert shown["audit_chain"]["latest_digest"]["number"] == 1


def test_failed_sign_ins_of_the_week_are_counted_but_good_ones_are_not(client, org):
    for _ in range(3):
        login(client, org["frontdesk"], password="not-the-password-at-all")
    token_for(client, org["frontdesk"])

    assert evidence(client, org["admin"])["failed_sign_ins"]["count"] == 3


def test_the_front_of_house_may_not_read_the_evidence(client, org):
    answer = call(client, "GET", "/v1/org/evidence", token_for(client, org["frontdesk"]))

    assert answer.status_code == 403 and body(answer)["error"]["code"] == "forbidden"


def test_reading_the_evidence_is_an_audit_event_and_names_no_one(client, org):
    login(client, org["frontdesk"], password="not-the-password-at-all")

    shown = evidence(client, org["auditor"])

    assert "frontdesk@" not in json.dumps(shown) and "Person" not in json.dumps(shown)
    reads = [e for e in AuditEvent.query(org["owner"].org_id) if e.action == "evidence.read"]
    assert [e.actor for e in reads] == [org["auditor"].user_id]
