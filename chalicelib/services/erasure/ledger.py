"""The erasure ledger (models/erasure.py): written before an erasure takes effect, read by every restore.

Each entry is also mirrored into both backup buckets (mirror.py), so that a restore in the second region
replays it when the first region, and the ledger table with it, is gone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

from chalicelib import clock
from chalicelib.logs import logger
from chalicelib.models.erasure import ErasureRecord
from chalicelib.services.erasure import mirror

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
    mirror.write(entry)
    return entry


def entries(org_id: str | None = None, source: mirror.Bucket | None = None) -> Iterator[ErasureRecord]:
    """Every erasure of `org_id` (or of every org: a restore replays them all) in order: the table's,
    and with `source` also the mirror in that bucket (a restore's), each entry once. With a `source`,
    an unreachable table (its region lost) leaves the mirror alone to answer."""
    found: dict[tuple[str, str], ErasureRecord] = {}
    try:
        table = ErasureRecord.query(org_id, consistent_read=True) if org_id else ErasureRecord.scan(
            consistent_read=True)
        found.update(((e.org_id, e.erasure_id), e) for e in table)
    except Exception as error:
        if source is None:
            raise
        logger.error("erasure ledger table unreadable: the mirror alone is replayed",
                     extra={"error_type": type(error).__name__})
    if source is not None:
        mirrored = (_from_mirror(fields) for fields in mirror.read(source))
        found.update(((e.org_id, e.erasure_id), e) for e in mirrored if org_id in (None, e.org_id))
    yield from sorted(found.values(), key=lambda e: (e.erasure_id, e.org_id))


def erasures_of(org_id: str, kind: str, subject_id: str) -> list[ErasureRecord]:
    """The ledger entries that erased `subject_id` of `kind` in `org_id` (normally none or one)."""
    return [e for e in entries(org_id) if e.kind == kind and e.subject_id == subject_id]


def _from_mirror(fields: dict[str, str]) -> ErasureRecord:
    return ErasureRecord(fields["org_id"], fields["erasure_id"], kind=fields["kind"], subject_id=fields["subject_id"],
                         actor=fields["actor"], erased_at=datetime.fromisoformat(fields["erased_at"]))
