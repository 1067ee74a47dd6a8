"""Writing audit entries: in the same transaction as the change they record, or alone.

An entry goes to the org's outbox, never straight onto the chain: the write is unconditional on a
unique key, so it cannot be refused because the chain is busy, and a change committed with its entry
can never lose it. The chain builder (`chain.build`) then links entries onto the chain in order.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.models.audit import AuditOutboxEntry
from chalicelib.models.base import transaction
from chalicelib.network_traces import coarse_user_agent, truncated_ip
from chalicelib.services.audit import chain


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
def audited_transaction(pending: AuditOutboxEntry) -> Iterator[TransactWrite]:
    """A write transaction that also writes `pending`; after it commits, the chain is built (best effort).

        with audit.audited_transaction(audit.entry(org_id, actor, "booking.created", ...)) as tx:
            tx.save(booking, condition=...)
    """
    with transaction() as tx:
        yield tx
        add_to(tx, pending)
    chain.build_after_commit(pending.org_id)
