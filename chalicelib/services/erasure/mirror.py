"""The erasure ledger's copy in both backup buckets (`erasures/`): a restore in the second region, with
the first region and its ledger table gone, still replays every erasure. Ids only, like the table.

The backup job prunes only `exports/`; the buckets' lifecycle keeps `erasures/` longer than any backup
that could be restored over it (infra/stack.py, ERASURE_MIRROR_DAYS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.models.erasure import ErasureRecord

PREFIX = "erasures/"
FIELDS = ("org_id", "erasure_id", "kind", "subject_id", "actor")


class Bucket(Protocol):
    """Where a mirror lives (jobs.restore.Source is one)."""

    @property
    def bucket(self) -> str: ...

    @property
    def region(self) -> str: ...


@dataclass(frozen=True)
class BackupBucket:
    bucket: str
    region: str


def backup_buckets() -> list[BackupBucket]:
    """The primary backup bucket and its replica in the second region."""
    config = settings()
    return [BackupBucket(config.backup_bucket, config.region),
            BackupBucket(config.replica_bucket, config.replica_region)]


def write(entry: ErasureRecord) -> None:
    """Put `entry` into both backup buckets (raises if either refuses: the erasure then waits)."""
    body = json.dumps({**{name: getattr(entry, name) for name in FIELDS},
                       "erased_at": entry.erased_at.isoformat()}, sort_keys=True).encode()
    for target in backup_buckets():
        aws.client("s3", target.region).put_object(Bucket=target.bucket, Key=object_key(entry), Body=body,
                                                   ContentType="application/json")


def read(source: Bucket) -> Iterator[dict[str, Any]]:
    """Every mirrored entry in `source`, as plain fields."""
    s3 = aws.client("s3", source.region)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=PREFIX):
        for listed in page.get("Contents", []):
            yield json.loads(s3.get_object(Bucket=source.bucket, Key=listed["Key"])["Body"].read())


def object_key(entry: ErasureRecord) -> str:
    return f"{PREFIX}{entry.org_id}/{entry.erasure_id}.json"
