"""The audit chain as an auditor, or someone covering their tracks, would meet it: entries reach the
chain in order, exactly once, whatever kills the chain step, and no edit goes unnoticed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.models.audit import AuditEvent
from chalicelib.services import audit
from chalicelib.services.audit import chain
from chalicelib.services.audit.outbox import Origin

TABLE = "safeslot-test-audit_events"


def append_events(org_id: str, count: int) -> None:
    for n in range(count):
        audit.record(org_id, f"user{n}", "customer.read", subjects={"customer_id": f"c{n}"},
                     origin=Origin("203.0.113.7", "pytest"))


def write_outbox_only(org_id: str, count: int) -> list[str]:
    """Entries committed by requests that died before their chain step."""
    entries = [audit.entry(org_id, f"user{n}", "customer.read", subjects={"customer_id": f"c{n}"})
               for n in range(count)]
    for pending in entries:
        pending.save()
    return [pending.entry_id for pending in entries]


def chained(org_id: str) -> list[AuditEvent]:
    return list(AuditEvent.query(org_id, AuditEvent.seq > 0))


def raw_table():
    return boto3.resource("dynamodb").Table(TABLE)


def test_events_carry_who_what_when_where_and_outcome(aws_stack):
    pending = audit.record("org1", "user1", "customer.read", outcome="success",
                           subjects={"customer_id": "c9"}, origin=Origin("203.0.113.7", "Firefox"))

    stored = AuditEvent.get("org1", 1)
    assert (stored.actor, stored.action, stored.outcome) == ("user1", "customer.read", "success")
    assert stored.subjects.as_dict() == {"customer_id": "c9"}
    assert (stored.source_ip, stored.user_agent) == ("203.0.113.0/24", "Firefox")  # the network only
    assert stored.at.endswith("Z") and stored.entry_id == pending.entry_id
    assert chain.pending("org1") == []


def test_concurrent_appends_all_succeed_and_leave_one_linear_chain(aws_stack, atomic_dynamodb):
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: append_events("org1", 5), range(8)))
    audit.build("org1")  # what a request's chain step left, the sweep finishes

    result = audit.verify("org1")
    assert result.ok, result
    assert result.events_checked == 40
    assert [int(e.seq) for e in chained("org1")] == list(range(1, 41))
    assert len({e.entry_id for e in chained("org1")}) == 40


def test_chains_of_two_orgs_are_independent(aws_stack):
    append_events("org1", 3)
    append_events("org2", 2)

    assert audit.verify("org1").events_checked == 3
    assert audit.verify("org2").events_checked == 2


def test_entries_are_chained_in_the_order_they_were_written(aws_stack):
    ids = write_outbox_only("org1", 7)

    assert audit.build("org1") == 7

    assert [e.entry_id for e in chained("org1")] == sorted(ids) == ids


def test_a_bulk_writer_chains_every_org_it_touched_once_on_the_way_out(aws_stack):
    with chain.built_once_at_the_end():  # the demo seed's twenty-odd commits
        append_events("org1", 4)
        append_events("org2", 2)
        assert chained("org1") == [] and len(chain.pending("org1")) == 4  # committed, waiting in the outbox

    assert (audit.verify("org1").events_checked, audit.verify("org2").events_checked) == (4, 2)
    assert chain.pending("org1") == chain.pending("org2") == []
    append_events("org1", 1)  # outside it, a commit chains at once again
    assert len(chained("org1")) == 5


def test_a_chain_step_killed_between_batches_is_finished_by_the_next_run(aws_stack, fake_clock, monkeypatch):
    ids = write_outbox_only("org1", chain.BATCH * 2 + 5)
    real_chain, batches = chain._chain, []

    def dies_after_one_batch(*args, **kwargs):
        if batches:
            raise KeyboardInterrupt("the Lambda was killed")  # not an Exception: nothing catches it
        batches.append(1)
        return real_chain(*args, **kwargs)

    monkeypatch.setattr(chain, "_chain", dies_after_one_batch)
    monkeypatch.setattr(chain, "_release_lease", lambda *a: None)  # a killed process releases nothing
    with pytest.raises(KeyboardInterrupt):
        audit.build("org1")
    monkeypatch.undo()

    assert len(chained("org1")) == chain.BATCH
    assert audit.build("org1") == 0  # the dead writer's lease still holds
    fake_clock.advance(seconds=chain.LEASE_SECONDS + 1)
    assert audit.build("org1") == chain.BATCH + 5

    assert [e.entry_id for e in chained("org1")] == ids  # each once, in order
    assert chain.pending("org1") == [] and audit.verify("org1").ok


def test_a_chain_transaction_that_fails_midway_writes_nothing_of_its_batch(aws_stack, monkeypatch):
    ids = write_outbox_only("org1", 5)
    real_commit = TransactWrite._commit

    def refused(self):
        raise ConnectionError("network cut during TransactWriteItems")

    monkeypatch.setattr(TransactWrite, "_commit", refused)
    with pytest.raises(ConnectionError):
        audit.build("org1")
    monkeypatch.setattr(TransactWrite, "_commit", real_commit)

    assert chained("org1") == [] and len(chain.pending("org1")) == 5
    assert audit.build("org1") == 5  # the lease was released on the way out
    assert [e.entry_id for e in chained("org1")] == ids


def test_a_writer_whose_lease_expired_cannot_chain(aws_stack, fake_clock):
    write_outbox_only("org1", 3)
    assert chain._take_lease("org1", "slow-writer")
    fake_clock.advance(seconds=chain.LEASE_SECONDS + 1)
    assert chain._take_lease("org1", "new-writer")

    assert not chain._chain("org1", "slow-writer", chain.read_head("org1"), chain.pending("org1"))
    assert chained("org1") == []


def test_a_record_never_fails_when_the_chain_is_busy(aws_stack):
    assert chain._take_lease("org1", "someone-else")

    pending = audit.record("org1", "user1", "customer.read")

    assert chained("org1") == []
    assert [e.entry_id for e in chain.pending("org1")] == [pending.entry_id]


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

