"""The shred keys beside the backups (ADR 0010).

The key table is in no export and no on-demand backup: a restore must never bring back a destroyed key.
Instead each backup run writes the current keys (still wrapped: org keys sealed through KMS, subject keys
under their org key), destroyed ones left out, as ONE object, `keys/current.json.gz`, in both backup
buckets, overwritten each run. Keys are only ever added or destroyed, so the newest key file opens every
older run, except what was erased since. Each version is locked for a day only (not the bucket's default
retention) and the lifecycle rule on `keys/` expires noncurrent versions a day later.

A restore adds to the live key table the keys of the file that it lacks and the erasure ledger does not
name (the table was lost, or the restore rebuilds a region); the drill opens its samples with the file.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.crypto import shred_keys
from chalicelib.errors import SealedDataErased
from chalicelib.jobs import tables
from chalicelib.jobs.runner import JobReport
from chalicelib.models.shred_key import ShredKey
from chalicelib.services.erasure import ledger, mirror

if TYPE_CHECKING:
    from chalicelib.crypto.kms_sealer import Sealer

KEYS = "keys/"
KEY_FILE = f"{KEYS}current.json.gz"
KEY_FILE_LOCK = timedelta(days=1)  # each version's Object Lock: the next run replaces it before then
FORMAT = 1


def write_key_file(report: JobReport) -> None:
    """Write the current, live keys to both backup buckets (replacing the previous file)."""
    config = settings()
    keys = [tables.to_json(item) for item in tables.scan(ShredKey.Meta.table_name) if "wrapped" in item]
    body = gzip.compress(json.dumps({"format": FORMAT, "written_at": clock.isoformat(clock.now()),
                                     "keys": keys}, separators=(",", ":")).encode())
    for s3, bucket in ((aws.client("s3"), config.backup_bucket),
                       (aws.client("s3", config.replica_region), config.replica_bucket)):
        try:
            s3.put_object(Bucket=bucket, Key=KEY_FILE, Body=body, **_short_lock(s3, bucket))
        except ClientError as error:
            report.fail(f"shred key file in {bucket}: {error.response['Error']['Code']}")
    report.details["shred_keys"] = len(keys)


def _short_lock(s3: Any, bucket: str) -> dict[str, Any]:
    """Per-object retention of a day where the bucket has Object Lock (its default would keep every
    overwritten key file, and so every destroyed key, for the default's full length)."""
    try:
        s3.get_object_lock_configuration(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ObjectLockConfigurationNotFoundError":
            return {}
        raise
    return {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": clock.now() + KEY_FILE_LOCK}


class KeyFile:
    """The keys of one key file, opened on demand with a given envelope opener (the source region's key)."""

    def __init__(self, items: Iterable[ShredKey], opener: Sealer) -> None:
        self.rows = {(row.org_id, row.subject): row for row in items if row.wrapped is not None}
        self.opener = opener
        self._org_keys: dict[str, shred_keys.OrgKeys] = {}

    @classmethod
    def parse(cls, body: bytes, opener: Sealer) -> KeyFile:
        document = json.loads(gzip.decompress(body))
        if document.get("format") != FORMAT:
            raise ValueError("unknown shred key file format")
        return cls((ShredKey.from_raw_data(tables.from_json(raw)) for raw in document["keys"]), opener)

    def open_box(self, org_id: str, subject: str, box: bytes, binding: str) -> bytes:
        """`shred_keys.open_box` with this file's keys: SealedDataErased for a key it does not hold."""
        return shred_keys.open_box_with(self._data_key(org_id, subject), org_id, subject, box, binding)

    def _data_key(self, org_id: str, subject: str) -> bytes:
        org_keys = self._org(org_id)
        if subject == shred_keys.ORG:
            return org_keys.data
        row = self.rows.get((org_id, subject))
        if row is None or row.wrapped is None:
            raise SealedDataErased()
        return shred_keys.unwrap_subject_key(org_id, subject, bytes(row.wrapped), org_keys)

    def _org(self, org_id: str) -> shred_keys.OrgKeys:
        if org_id not in self._org_keys:
            row = self.rows.get((org_id, shred_keys.ORG))
            if row is None or row.wrapped is None:
                raise SealedDataErased()
            self._org_keys[org_id] = shred_keys.unwrap_org_key(org_id, bytes(row.wrapped), self.opener)
        return self._org_keys[org_id]


def load_missing_keys(key_file: KeyFile, report: JobReport, source: mirror.Bucket | None = None) -> None:
    """Add the file's keys that the live key table lacks, unless the erasure ledger erased their subject
    (the ledger's table, and its mirror in `source`: the restore's bucket, when the table is lost)."""
    added = skipped = 0
    erased = _erased_subjects(source)
    for (org_id, subject), row in sorted(key_file.rows.items()):
        if (org_id, shred_keys.ORG) in erased or (org_id, subject) in erased:
            skipped += 1
            continue
        try:
            ShredKey(org_id, subject, wrapped=row.wrapped, created_at=row.created_at).save(
                condition=ShredKey.subject.does_not_exist())
            added += 1
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # present already (live, or destroyed: a tombstone): left as it is
    report.details["shred_keys_added"], report.details["shred_keys_left_erased"] = added, skipped


def _erased_subjects(source: mirror.Bucket | None) -> set[tuple[str, str]]:
    erased = set()
    for entry in ledger.entries(source=source):
        if entry.kind == ledger.ORG:
            erased.add((entry.org_id, shred_keys.ORG))
        elif entry.kind == ledger.CUSTOMER:
            erased.add((entry.org_id, shred_keys.customer_subject(entry.subject_id)))
    return erased
