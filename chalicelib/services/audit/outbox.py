"""Writing audit entries: in the same transaction as the change they record, or alone.

An entry goes to the org's outbox, never straight onto the chain: the write is unconditional on a
unique key, so it cannot be refused because the chain is busy, and a change committed with its entry
can never lose it. The chain builder (`chain.build`) then links entries onto the chain in order.

`audited_transaction` is the one write path of every audited change, and its outcome is always known.
Its ClientRequestToken derives from the entry, so a retry (botocore's, of a call whose answer was lost)
is the same transaction to DynamoDB. When the transaction fails, the entry is looked for before
answering (in the outbox, or already chained): its presence proves the change committed, since they
commit together. A success is never reported as a failure, a refusal (`TransactWriteError` reaching
the caller) means nothing was written, and any other failure is a 503 with nothing written.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import StorageUnavailable
from chalicelib.models.audit import HEAD_SEQ, AuditEvent, AuditOutboxEntry
from chalicelib.models.base import transaction
from chalicelib.models.transactions import refused_by_own_conditions
from chalicelib.network_traces import coarse_user_agent, truncated_ip
from chalicelib.services.audit import chain

USER_AGENT_MAX = 256
# How far before an entry's own time the chain is searched for it (entries of other writers, whose clocks
# may run behind, can be chained after it).
CHAIN_LOOKBACK_SECONDS = 300


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as API Gateway reports it."""

    source_ip: str | None = None
    user_agent: str | None = None


SYSTEM = Origin(source_ip=None, user_agent="safeslot-system")


def entry(org_id: str, actor: str, action: str, *, outcome: str = "success",
          subjects: Mapping[str, str] | None = None, origin: Origin = SYSTEM) -> AuditOutboxEntry:
    """An outbox entry for one event. `subjects` holds ids, never contents; of the origin only the
    network and the user agent's product tokens are kept (network_traces)."""
    return AuditOutboxEntry(
        org_id, f"{time.time_ns():020d}-{uuid.uuid4().hex}",
        at=clock.isoformat(clock.now()), actor=actor, action=action,
        subjects={str(k): str(v) for k, v in (subjects or {}).items()}, outcome=outcome,
        source_ip=truncated_ip(origin.source_ip), user_agent=coarse_user_agent(origin.user_agent),
    )


def add_to(tx: TransactWrite, pending: AuditOutboxEntry) -> None:
    """Make `pending` part of the transaction `tx`: it is written if and only if `tx` commits."""
    tx.save(pending)


def record(org_id: str, actor: str, action: str, *, outcome: str = "success",
           subjects: Mapping[str, str] | None = None, origin: Origin = SYSTEM) -> AuditOutboxEntry:
    """Record one event on its own (one unconditional write), then chain it if the chain is free."""
    pending = entry(org_id, actor, action, outcome=outcome, subjects=subjects, origin=origin)
    pending.save()
    chain.build_after_commit(org_id)
    return pending


@contextlib.contextmanager
def audited_transaction(pending: AuditOutboxEntry, chain_later: bool = False) -> Iterator[TransactWrite]:
    """A write transaction that also writes `pending`; after it commits, the chain is built (best effort).

        with audit.audited_transaction(audit.entry(org_id, actor, "booking.created", ...)) as tx:
            tx.save(booking, condition=...)

    Leaves the block normally when the change committed (even if its answer was lost); raises the
    `TransactWriteError` only when a condition refused it and nothing was written; raises
    StorageUnavailable when DynamoDB failed and nothing was written (the caller may retry).
    `chain_later`: a hot path hands the chaining to the queue's consumer (`handoff.build_soon`).
    """
    tx = transaction(request_token(pending))
    yield tx  # an exception in the caller's block propagates from here: nothing is sent
    add_to(tx, pending)
    try:
        with tx:
            pass  # commits on leaving
    except TransactWriteError as error:
        if not written(pending):
            if refused_by_own_conditions(error):
                raise
            raise StorageUnavailable() from error
    if chain_later:
        from chalicelib.services.audit.handoff import build_soon

        build_soon(pending.org_id)
    else:
        chain.build_after_commit(pending.org_id)


def request_token(pending: AuditOutboxEntry) -> str:
    """The transaction's ClientRequestToken (at most 36 characters): one per entry, so every retry of the
    same call carries the same one and DynamoDB applies it at most once."""
    return hashlib.sha256(f"{pending.org_id}/{pending.entry_id}".encode()).hexdigest()[:32]


def written(pending: AuditOutboxEntry) -> bool:
    """Whether `pending` was committed: still in the outbox, or already moved onto the chain. (The builder
    moves entries in one transaction, so an entry missing from the outbox is on the chain if anywhere.)"""
    try:
        AuditOutboxEntry.get(pending.org_id, pending.entry_id, consistent_read=True)
        return True
    except AuditOutboxEntry.DoesNotExist:
        pass
    since = clock.isoformat(clock.parse_instant(pending.at, "at") - timedelta(seconds=CHAIN_LOOKBACK_SECONDS))
    for event in AuditEvent.query(pending.org_id, AuditEvent.seq > HEAD_SEQ, scan_index_forward=False,
                                  consistent_read=True):
        if event.entry_id == pending.entry_id:
            return True
        if (event.at or "") < since:
            return False
    return False
