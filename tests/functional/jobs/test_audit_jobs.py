"""The audit jobs as EventBridge runs them: the sweep chains what requests left, the digest job seals
every chain, and the verification job measures, alerts and names the broken event."""

from __future__ import annotations

import json

import boto3

from chalicelib.jobs.runner import SYSTEM_CHAIN
from chalicelib.services import audit
from chalicelib.services.audit import chain, digests
from chalicelib.services.organizations import create_org
from tests.functional.jobs.helpers import alerts, invoke


def emitted(output: str, metric: str) -> list[dict]:
    """Every EMF document that carries `metric`, as CloudWatch would read it."""
    found = []
    for line in output.splitlines():
        if line.startswith("{") and f'"{metric}"' in line:
            found.append(json.loads(line))
    return found


def value(document: dict, metric: str) -> float:
    found = document[metric]
    return found[-1] if isinstance(found, list) else found


def test_the_sweep_chains_entries_whose_requests_died_before_chaining(client):
    org = create_org("sweep", "Sweep clinic")
    audit.entry(org.org_id, "u1", "customer.read").save()
    audit.entry(org.org_id, "u2", "customer.read").save()

    report = invoke(client, "audit_chain_sweep")

    assert report["ok"] and report["chained"] == 2
    assert chain.pending(org.org_id) == [] and audit.verify(org.org_id).events_checked == 3  # and org.created


def test_the_daily_digest_seals_every_org_and_the_system_chain(client):
    org = create_org("sealed", "Sealed clinic")

    report = invoke(client, "daily_audit_digest")

    assert report["ok"] and report["digests_written"] == 2
    assert digests.latest(org.org_id)["digest"]["last_seq"] == 1
    assert digests.latest(SYSTEM_CHAIN) is not None


def test_verification_passes_quietly_on_intact_chains(client, capsys):
    create_org("calm", "Calm clinic")
    invoke(client, "daily_audit_digest")

    report = invoke(client, "daily_audit_verify")

    assert report["ok"] and report["events_checked"] >= 1
    [document] = emitted(capsys.readouterr().out, "AuditChainFailures")
    assert value(document, "AuditChainFailures") == 0 and alerts() == []


def test_a_rewritten_chain_fails_verification_with_metric_alert_and_the_event_named(client, capsys):
    org = create_org("tampered", "Tampered clinic")
    for n in range(3):
        audit.record(org.org_id, f"user{n}", "customer.read")
    invoke(client, "daily_audit_digest")
    boto3.resource("dynamodb").Table("safeslot-test-audit_events").update_item(
        Key={"org_id": org.org_id, "seq": 3}, UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": "someone-else"})

    report = invoke(client, "daily_audit_verify")

    assert report["ok"] is False
    assert report["failures"] == [f"org {org.org_id}: audit chain fails at event 3: event was altered"]
    [document] = emitted(capsys.readouterr().out, "AuditChainFailures")
    assert value(document, "AuditChainFailures") == 1
    assert (document["job"], document["service"]) == ("audit_verify", "safeslot-jobs")
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["job", "service"]]
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SafeSlot"
    assert any("event 3" in alert for alert in alerts())


def test_the_operator_exports_a_chain_that_verifies_offline(aws_stack, tmp_path, capsys):
    import manage
    from chalicelib.services.audit import proof

    org = create_org("exported", "Exported clinic")
    digests.write(org.org_id)

    assert manage.main(["verify-audit", "--org", "exported", "--export", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["ok"] is True
    assert proof.main([str(tmp_path), "--public-key", str(tmp_path / "signing-key.pem")]) == 0
