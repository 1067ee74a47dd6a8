"""The audit chain: append events to an org's hash chain and verify it (decision 8, HIPAA 164.312(b)).

Each event carries its sequence number and the previous event's hash; the chain head (sequence 0)
is moved in the same transaction, conditioned on the sequence it saw, so concurrent appends never
fork the chain and a truncated tail is detected.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.attributes import MapAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import Conflict
from chalicelib.models.audit import HEAD_SEQ, AuditEvent
from chalicelib.models.base import transaction

GENESIS_HASH = "0" * 64
APPEND_DEADLINE_SECONDS = 10.0  # well inside API Gateway's 29 s


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as API Gateway reports it."""

    source_ip: str | None = None
    user_agent: str | None = None


SYSTEM = Origin(source_ip=None, user_agent="safeslot-system")


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    failed_at_seq: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Head:
    last_seq: int
    hash: str
    exists: bool = field(default=True)
    pruned_seq: int = 0  # events up to here were removed by retention
    pruned_hash: str = GENESIS_HASH


def record(
    org_id: str,
    actor: str,
    action: str,
    *,
    outcome: str = "success",
    subjects: Mapping[str, str] | None = None,
    origin: Origin = SYSTEM,
) -> AuditEvent:
    """Append one event to `org_id`'s chain and return it. `subjects` holds ids, never contents.

    Appends to one chain are serialized; under a burst each writer retries with jitter for up to
    APPEND_DEADLINE_SECONDS before giving up with Conflict."""
    deadline = time.monotonic() + APPEND_DEADLINE_SECONDS
    for attempt in itertools.count():
        head = _read_head(org_id)
        event = AuditEvent(
            org_id,
            head.last_seq + 1,
            at=clock.isoformat(clock.now()),
            actor=actor,
            action=action,
            subjects=dict(subjects or {}),
            outcome=outcome,
            source_ip=origin.source_ip,
            user_agent=(origin.user_agent or "")[:256] or None,
            prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        if _try_append(event, head):
            return event
        # full jitter, growing to at most 100 ms: busy chains (one org's burst of bookings) spread out
        if time.monotonic() > deadline:
            break
        time.sleep(random.uniform(0, min(0.1, 0.002 * 2 ** attempt)))  # noqa: S311 (jitter, not a secret)
    raise Conflict("The audit chain is busy; retry.")


def verify(org_id: str) -> Verification:
    """Walk the chain from the first event kept; report the first edited, missing or reordered event."""
    head = _read_head(org_id)
    expected_prev, checked = head.pruned_hash, 0
    for expected_seq, event in enumerate(_events(org_id, after=head.pruned_seq), start=head.pruned_seq + 1):
        problem = _problem_with(event, expected_seq, expected_prev)
        if problem:
            return Verification(False, checked, expected_seq, problem)
        expected_prev, checked = event.hash or "", checked + 1
    if head.last_seq != head.pruned_seq + checked or head.hash != expected_prev:
        return Verification(False, checked, head.pruned_seq + checked + 1, "events missing after the last one found")
    return Verification(True, checked)


def prune_older_than(org_id: str, cutoff: datetime) -> int:
    """Remove the oldest events recorded before `cutoff` (retention). The head keeps the last removed
    event's sequence and hash first, so the rest of the chain still verifies and a crash can resume."""
    head, old = _read_head(org_id), []
    for event in _events(org_id, after=head.pruned_seq):
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


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the canonical JSON of everything in the event except its own hash."""
    canonical = json.dumps(
        {
            "org_id": event.org_id,
            "seq": int(event.seq),
            "at": event.at,
            "actor": event.actor,
            "action": event.action,
            "subjects": _plain_subjects(event.subjects),
            "outcome": event.outcome,
            "source_ip": event.source_ip,
            "user_agent": event.user_agent,
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain_subjects(subjects: MapAttribute | Mapping[str, str] | None) -> dict[str, str]:
    if isinstance(subjects, MapAttribute):
        return {str(k): str(v) for k, v in subjects.as_dict().items()}
    return dict(subjects or {})


def _problem_with(event: AuditEvent, expected_seq: int, expected_prev: str) -> str | None:
    if int(event.seq) != expected_seq:
        return "event missing or out of order"
    if event.prev_hash != expected_prev:
        return "link to the previous event is broken"
    if event.hash != event_hash(event):
        return "event was altered"
    return None


def _events(org_id: str, after: int = HEAD_SEQ) -> Iterator[AuditEvent]:
    return AuditEvent.query(org_id, AuditEvent.seq > after, consistent_read=True)


def _read_head(org_id: str) -> _Head:
    try:
        head = AuditEvent.get(org_id, HEAD_SEQ, consistent_read=True)
    except AuditEvent.DoesNotExist:
        return _Head(0, GENESIS_HASH, exists=False)
    return _Head(int(head.last_seq or 0), head.hash or GENESIS_HASH, pruned_seq=int(head.pruned_through_seq or 0),
                 pruned_hash=head.pruned_through_hash or GENESIS_HASH)


def _try_append(event: AuditEvent, head: _Head) -> bool:
    """Write the event and move the head in one transaction; False if another append won."""
    head_row = AuditEvent(event.org_id, HEAD_SEQ)
    head_unchanged = (
        AuditEvent.last_seq == head.last_seq if head.exists else AuditEvent.last_seq.does_not_exist()
    )
    try:
        with transaction() as tx:
            tx.save(event, condition=AuditEvent.seq.does_not_exist())
            tx.update(
                head_row,
                actions=[AuditEvent.last_seq.set(event.seq), AuditEvent.hash.set(event.hash)],
                condition=head_unchanged,
            )
    except TransactWriteError as error:
        if error.cause_response_code in ("TransactionCanceledException", "TransactionConflictException"):
            return False
        raise
    return True


@dataclass(frozen=True)
class EventFilter:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def list_events(org_id: str, query: EventFilter) -> list[dict[str, object]]:
    """The org's events, newest first, filtered by actor, action and time."""
    matches = (
        event for event in AuditEvent.query(org_id, AuditEvent.seq > HEAD_SEQ, scan_index_forward=False)
        if _matches(event, query)
    )
    return [describe(event) for _, event in zip(range(query.limit), matches, strict=False)]


def describe(event: AuditEvent) -> dict[str, object]:
    return {
        "seq": int(event.seq), "at": event.at, "actor": event.actor, "action": event.action,
        "subjects": _plain_subjects(event.subjects), "outcome": event.outcome,
        "source_ip": event.source_ip, "user_agent": event.user_agent, "hash": event.hash,
    }


def _matches(event: AuditEvent, query: EventFilter) -> bool:
    at = event.at or ""  # UTC ISO 8601 strings sort as instants
    return (
        (query.actor is None or event.actor == query.actor)
        and (query.action is None or event.action == query.action)
        and (query.since is None or at >= clock.isoformat(query.since))
        and (query.until is None or at <= clock.isoformat(query.until))
    )
