"""The erasure ledger (models/erasure.py): written before an erasure takes effect, read by every restore."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from chalicelib import clock
from chalicelib.models.erasure import ErasureRecord

CUSTOMER = "customer"
ORG = "org"


def record(org_id: str, kind: str, subject_id: str, actor: str) -> ErasureRecord:
    """Note that `subject_id` of `kind` is erased; the caller erases it after this write succeeds."""
    if kind not in (CUSTOMER, ORG):
        raise ValueError(f"unknown erasure kind {kind!r}")
    now = clock.now()
    entry = ErasureRecord(org_id, f"{clock.isoformat(now)}-{uuid.uuid4().hex}", kind=kind,
                          subject_id=subject_id, actor=actor, erased_at=now)
    entry.save()
    return entry


def entries(org_id: str | None = None) -> Iterator[ErasureRecord]:
    """Every erasure of `org_id` in order, or of every org (a restore replays them all)."""
    if org_id is not None:
        yield from ErasureRecord.query(org_id, consistent_read=True)
        return
    yield from sorted(ErasureRecord.scan(consistent_read=True), key=lambda e: e.erasure_id)
