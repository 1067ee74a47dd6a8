"""The chain builder: moves an org's outbox entries onto its hash chain, in order, one writer at a time.

The writer holds a lease on the chain head (a conditional write, expiring after LEASE_SECONDS). Each
batch is one transaction that writes the chained events, deletes their outbox entries and moves the
head, on condition that the writer still holds the lease and the head is where it read it. A writer
killed at any point therefore leaves either a whole batch chained or none of it, and the next run
(another request, or the scheduled sweep once the lease has expired) carries on from the head.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.models.audit import HEAD_SEQ, AuditEvent, AuditOutboxEntry
from chalicelib.models.base import transaction
from chalicelib.services.audit import proof

LEASE_SECONDS = 30
BATCH = 40  # 2 x 40 + 1 items per transaction, inside DynamoDB's 100
REQUEST_BUDGET_SECONDS = 2.0  # how long a request may spend chaining after its own commit


@dataclass(frozen=True)
class Head:
    last_seq: int
    hash: str
    pruned_seq: int = 0  # events up to here were removed by retention
    pruned_hash: str = proof.GENESIS_HASH

    def state(self) -> proof.ChainState:
        return proof.ChainState(self.last_seq, self.hash, self.pruned_seq, self.pruned_hash)


_bulk_orgs: ContextVar[set[str] | None] = ContextVar("bulk_orgs", default=None)


@contextmanager
def built_once_at_the_end() -> Iterator[None]:
    """For bulk writers (the demo seed): commits inside chain nothing; each org they touched is chained once
    on the way out (the outbox holds every entry meanwhile, as it does for any delayed chaining)."""
    orgs: set[str] = set()
    token = _bulk_orgs.set(orgs)
    try:
        yield
    finally:
        _bulk_orgs.reset(token)
        for org_id in sorted(orgs):
            build(org_id)


def build_after_commit(org_id: str) -> None:
    """Chain what is pending, within the request's budget; never raises (the sweep finishes the rest)."""
    bulk = _bulk_orgs.get()
    if bulk is not None:
        bulk.add(org_id)
        return
    try:
        build(org_id, budget_seconds=REQUEST_BUDGET_SECONDS)
    except Exception as error:  # the change is committed with its entry; chaining is only delayed
        logger.warning("audit chaining deferred", extra={"org_id": org_id, "error_type": type(error).__name__})


def build(org_id: str, budget_seconds: float | None = None) -> int:
    """Chain the org's pending entries if no other writer holds the lease; returns how many were chained."""
    owner, chained = uuid.uuid4().hex, 0
    deadline = time.monotonic() + budget_seconds if budget_seconds is not None else None
    while _take_lease(org_id, owner):
        try:
            chained += _drain(org_id, owner, deadline)
        finally:
            _release_lease(org_id, owner)
        # an entry written while we released would find the lease taken: look once more
        if _past(deadline) or not pending(org_id, limit=1):
            break
    return chained


def pending(org_id: str, limit: int = BATCH) -> list[AuditOutboxEntry]:
    """The oldest entries waiting to be chained."""
    return list(AuditOutboxEntry.query(org_id, limit=limit, consistent_read=True))


def read_head(org_id: str) -> Head:
    try:
        head = AuditEvent.get(org_id, HEAD_SEQ, consistent_read=True)
    except AuditEvent.DoesNotExist:
        return Head(0, proof.GENESIS_HASH)
    return Head(int(head.last_seq or 0), head.hash or proof.GENESIS_HASH,
                int(head.pruned_through_seq or 0), head.pruned_through_hash or proof.GENESIS_HASH)


def events(org_id: str, after: int = HEAD_SEQ) -> Iterator[AuditEvent]:
    """The chained events after sequence `after`, oldest first."""
    return AuditEvent.query(org_id, AuditEvent.seq > after, consistent_read=True)


def as_record(event: AuditEvent) -> dict[str, Any]:
    """An event as plain JSON values: what `proof.event_hash` hashes and what an export holds."""
    record = {"org_id": event.org_id, "seq": int(event.seq), "at": event.at, "actor": event.actor,
              "action": event.action, "subjects": plain_subjects(event.subjects),
              "outcome": event.outcome, "source_ip": event.source_ip, "user_agent": event.user_agent,
              "prev_hash": event.prev_hash, "hash": event.hash}
    if event.entry_id:
        record["entry_id"] = event.entry_id
    return record


def plain_subjects(subjects: MapAttribute | Mapping[str, Any] | None) -> dict[str, str]:
    values = subjects.as_dict() if isinstance(subjects, MapAttribute) else dict(subjects or {})
    return {str(k): str(v) for k, v in values.items()}


def event_hash(event: AuditEvent) -> str:
    return proof.event_hash(as_record(event))


def prune_older_than(org_id: str, cutoff: datetime) -> int:
    """Remove the oldest events recorded before `cutoff` (retention). The head keeps the last removed
    event's sequence and hash first, so the rest of the chain still verifies and a crash can resume."""
    head, old = read_head(org_id), []
    for event in events(org_id, after=head.pruned_seq):
        if (event.at or "") >= clock.isoformat(cutoff) or int(event.seq) == head.last_seq:
            break  # the newest event stays, whatever its age: it anchors the head
        old.append(event)
    if not old:
        return 0
    AuditEvent(org_id, HEAD_SEQ).update(actions=[AuditEvent.pruned_through_seq.set(old[-1].seq),
                                                 AuditEvent.pruned_through_hash.set(old[-1].hash)])
    for event in old:
        event.delete()
    return len(old)


# --- the lease and one batch ------------------------------------------------------------------------

def _past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _now() -> int:
    return int(clock.now().timestamp())


def _take_lease(org_id: str, owner: str) -> bool:
    now = _now()
    try:
        AuditEvent(org_id, HEAD_SEQ).update(
            actions=[AuditEvent.lease_owner.set(owner), AuditEvent.lease_until.set(now + LEASE_SECONDS)],
            condition=AuditEvent.lease_until.does_not_exist() | (AuditEvent.lease_until < now))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _release_lease(org_id: str, owner: str) -> None:
    try:
        AuditEvent(org_id, HEAD_SEQ).update(actions=[AuditEvent.lease_until.set(0)],
                                            condition=AuditEvent.lease_owner == owner)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise  # otherwise the lease expired and another writer holds it now: nothing to release


def _drain(org_id: str, owner: str, deadline: float | None) -> int:
    chained = 0
    while not _past(deadline):
        entries = pending(org_id)
        if not entries or not _chain(org_id, owner, read_head(org_id), entries):
            break
        chained += len(entries)
    return chained


def _chain(org_id: str, owner: str, head: Head, entries: list[AuditOutboxEntry]) -> bool:
    """Link `entries` after `head` in one transaction; False if the lease or the head moved meanwhile."""
    linked = _linked(org_id, head, entries)
    head_unchanged = (AuditEvent.last_seq == head.last_seq if head.last_seq
                      else AuditEvent.last_seq.does_not_exist())
    try:
        with transaction() as tx:
            for event in linked:
                tx.save(event, condition=AuditEvent.seq.does_not_exist())
            for pending_entry in entries:
                tx.delete(pending_entry, condition=AuditOutboxEntry.entry_id.exists())
            tx.update(AuditEvent(org_id, HEAD_SEQ), actions=[
                AuditEvent.last_seq.set(linked[-1].seq), AuditEvent.hash.set(linked[-1].hash),
                AuditEvent.lease_until.set(_now() + LEASE_SECONDS),
            ], condition=(AuditEvent.lease_owner == owner) & head_unchanged)
    except TransactWriteError as error:
        if error.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
            return False
        raise
    return True


def _linked(org_id: str, head: Head, entries: list[AuditOutboxEntry]) -> list[AuditEvent]:
    linked, prev_hash = [], head.hash
    for seq, pending_entry in enumerate(entries, start=head.last_seq + 1):
        event = AuditEvent(org_id, seq, at=pending_entry.at, actor=pending_entry.actor,
                           action=pending_entry.action, subjects=plain_subjects(pending_entry.subjects),
                           outcome=pending_entry.outcome, source_ip=pending_entry.source_ip,
                           user_agent=pending_entry.user_agent, entry_id=pending_entry.entry_id,
                           prev_hash=prev_hash)
        event.hash = prev_hash = event_hash(event)
        linked.append(event)
    return linked
