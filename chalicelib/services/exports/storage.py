"""Where exports live: the export bucket (SSE-KMS, private, TLS only, every object deleted by its lifecycle
within a day), under the org's own prefix. Each export is a small JSON record (its state: ids, counts,
the public half of its key, never personal data) and, once made, its encrypted archive, fetched through
presigned links that live 15 minutes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import botocore.exceptions

from chalicelib import aws, clock
from chalicelib.config import settings

PREFIX = "org-exports/"
LINK_LIFETIME = timedelta(minutes=15)
QUEUED, RUNNING, READY, FAILED, STOPPED = "queued", "running", "ready", "failed", "stopped"


@dataclass(frozen=True)
class ExportRecord:
    export_id: str
    org_id: str
    status: str
    created_at: str
    created_by: str
    recipient: str  # the public half of the export's age key: the job encrypts to it, it opens nothing
    source_ip: str | None = None
    user_agent: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    release_at: str | None = None  # the end of its cooling-off: no download before (cooling_off.py)
    stopped_at: str | None = None
    stopped_by: str | None = None

    def moved(self, **changes: Any) -> ExportRecord:
        return replace(self, **changes)


def record_key(org_id: str, export_id: str) -> str:
    return f"{PREFIX}{org_id}/{export_id}.json"


def archive_key(org_id: str, export_id: str) -> str:
    return f"{PREFIX}{org_id}/{export_id}.zip.age"


def file_name(record: ExportRecord) -> str:
    stamp = clock.parse_instant(record.created_at, "created_at").strftime("%Y%m%dT%H%M%SZ")
    return f"safeslot-export-{stamp}.zip.age"


def save(record: ExportRecord) -> None:
    _s3().put_object(Bucket=_bucket(), Key=record_key(record.org_id, record.export_id),
                     Body=json.dumps(asdict(record)).encode(), ContentType="application/json")


def find(org_id: str, export_id: str) -> ExportRecord | None:
    """The export `export_id` of `org_id`, or None (another org's id is simply not found)."""
    try:
        stored = _s3().get_object(Bucket=_bucket(), Key=record_key(org_id, export_id))
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return ExportRecord(**json.loads(stored["Body"].read()))


def waiting() -> Iterator[ExportRecord]:
    """Every export still queued, oldest first (a few a day: one listing of the bucket's records)."""
    found = []
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=PREFIX):
        for item in page.get("Contents", []):
            org_id, _, name = item["Key"].removeprefix(PREFIX).partition("/")
            if name.endswith(".json"):
                record = find(org_id, name.removesuffix(".json"))
                if record is not None and record.status == QUEUED:
                    found.append(record)
    return iter(sorted(found, key=lambda r: r.created_at))


def put_archive(record: ExportRecord, sealed: bytes) -> None:
    _s3().put_object(Bucket=_bucket(), Key=archive_key(record.org_id, record.export_id), Body=sealed,
                     ContentType="application/octet-stream")


def delete(record: ExportRecord) -> None:
    for key in (archive_key(record.org_id, record.export_id), record_key(record.org_id, record.export_id)):
        _s3().delete_object(Bucket=_bucket(), Key=key)


def delete_archive(record: ExportRecord) -> None:
    _s3().delete_object(Bucket=_bucket(), Key=archive_key(record.org_id, record.export_id))


def download_link(record: ExportRecord) -> tuple[str, datetime]:
    """A presigned GET of the archive, good for LINK_LIFETIME, that saves it under its file name."""
    url = _s3().generate_presigned_url(
        "get_object", ExpiresIn=int(LINK_LIFETIME.total_seconds()),
        Params={"Bucket": _bucket(), "Key": archive_key(record.org_id, record.export_id),
                "ResponseContentDisposition": f'attachment; filename="{file_name(record)}"'})
    return url, clock.now() + LINK_LIFETIME


def _s3() -> Any:
    return aws.client("s3")


def _bucket() -> str:
    return settings().export_bucket
