"""The audit chain as an auditor, or someone covering their tracks, would meet it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3

from chalicelib.models.audit import AuditEvent
from chalicelib.services import audit
from chalicelib.services.audit import Origin

TABLE = "safeslot-test-audit_events"


def append_events(org_id: str, count: int) -> None:
    for n in range(count):
        audit.record(org_id, f"user{n}", "customer.read", subjects={"customer_id": f"c{n}"},
                     origin=Origin("203.0.113.7", "pytest"))


def raw_table():
    return boto3.resource("dynamodb").Table(TABLE)


def test_events_carry_who_what_when_where_and_outcome(aws_stack):
    event = audit.record("org1", "user1", "customer.read", outcome="success",
                         subjects={"customer_id": "c9"}, origin=Origin("203.0.113.7", "Firefox"))

    stored = AuditEvent.get("org1", event.seq)
    assert (stored.actor, stored.action, stored.outcome) == ("user1", "customer.read", "success")
    assert stored.subjects.as_dict() == {"customer_id": "c9"}
    assert (stored.source_ip, stored.user_agent) == ("203.0.113.7", "Firefox")
    assert stored.at.endswith("Z")


def test_concurrent_appends_leave_one_linear_chain(aws_stack, atomic_dynamodb):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: append_events("org1", 5), range(8)))

    result = audit.verify("org1")
    assert result.ok, result
    assert result.events_checked == 40
    assert [int(e.seq) for e in AuditEvent.query("org1", AuditEvent.seq > 0)] == list(range(1, 41))


def test_chains_of_two_orgs_are_independent(aws_stack):
    append_events("org1", 3)
    append_events("org2", 2)

    assert audit.verify("org1").events_checked == 3
    assert audit.verify("org2").events_checked == 2


def test_edited_event_fails_verification_at_that_event(aws_stack):
    append_events("org1", 5)
    raw_table().update_item(Key={"org_id": "org1", "seq": 3}, UpdateExpression="SET actor = :a",
                            ExpressionAttributeValues={":a": "someone-else"})

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq, result.reason) == (False, 3, "event was altered")


def test_deleted_event_fails_verification_where_it_was(aws_stack):
    append_events("org1", 5)
    raw_table().delete_item(Key={"org_id": "org1", "seq": 2})

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 2)


def test_deleted_last_event_is_detected(aws_stack):
    append_events("org1", 5)
    raw_table().delete_item(Key={"org_id": "org1", "seq": 5})

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 5)


def test_reordered_events_fail_verification(aws_stack):
    append_events("org1", 4)
    table = raw_table()
    second = table.get_item(Key={"org_id": "org1", "seq": 2})["Item"]
    third = table.get_item(Key={"org_id": "org1", "seq": 3})["Item"]
    table.put_item(Item={**third, "seq": 2})
    table.put_item(Item={**second, "seq": 3})

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 2)


def test_recomputed_hash_cannot_hide_an_edit(aws_stack):
    append_events("org1", 4)
    forged = AuditEvent.get("org1", 2)
    forged.actor = "someone-else"
    forged.hash = audit.event_hash(forged)
    forged.save()

    result = audit.verify("org1")
    assert (result.ok, result.failed_at_seq) == (False, 3)
