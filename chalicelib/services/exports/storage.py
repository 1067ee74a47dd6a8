"""Where finished exports wait to be downloaded: the export bucket (SSE-KMS, private, TLS only, every
object deleted by its lifecycle within a day), under the org's own prefix; fetched through presigned
links that live 15 minutes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import botocore.exceptions

from chalicelib import aws, clock
from chalicelib.config import settings

PREFIX = "org-exports/"
LINK_LIFETIME = timedelta(minutes=15)
CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class StoredExport:
    export_id: str
    created_at: datetime
    created_by: str
    size_bytes: int
    sha256: str
    counts: dict[str, int]


def object_key(org_id: str, export_id: str) -> str:
    return f"{PREFIX}{org_id}/{export_id}.zip.age"


def file_name(stored: StoredExport) -> str:
    return f"safeslot-export-{stored.created_at.strftime('%Y%m%dT%H%M%SZ')}.zip.age"


def put(org_id: str, stored: StoredExport, sealed: bytes) -> None:
    """Store the encrypted archive; its facts (ids, counts, digest: nothing personal) go in the metadata."""
    aws.client("s3").put_object(
        Bucket=settings().export_bucket, Key=object_key(org_id, stored.export_id), Body=sealed,
        ContentType=CONTENT_TYPE, Metadata={
            "created-at": clock.isoformat(stored.created_at), "created-by": stored.created_by,
            "sha256": stored.sha256, "counts": json.dumps(stored.counts, separators=(",", ":"))})


def find(org_id: str, export_id: str) -> StoredExport | None:
    """The export `export_id` of `org_id`, or None (another org's id is simply not found)."""
    try:
        head = aws.client("s3").head_object(Bucket=settings().export_bucket, Key=object_key(org_id, export_id))
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    meta = head.get("Metadata", {})
    return StoredExport(export_id, clock.parse_instant(meta["created-at"], "created_at"), meta["created-by"],
                        int(head["ContentLength"]), meta["sha256"], json.loads(meta["counts"]))


def delete(org_id: str, export_id: str) -> None:
    aws.client("s3").delete_object(Bucket=settings().export_bucket, Key=object_key(org_id, export_id))


def download_link(org_id: str, stored: StoredExport) -> tuple[str, datetime]:
    """A presigned GET of the archive, good for LINK_LIFETIME, that saves it under its file name."""
    url = aws.client("s3").generate_presigned_url(
        "get_object", ExpiresIn=int(LINK_LIFETIME.total_seconds()),
        Params={"Bucket": settings().export_bucket, "Key": object_key(org_id, stored.export_id),
                "ResponseContentDisposition": f'attachment; filename="{file_name(stored)}"'})
    return url, clock.now() + LINK_LIFETIME
