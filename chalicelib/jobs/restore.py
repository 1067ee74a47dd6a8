"""Restores: the weekly drill (HIPAA 164.308(a)(7)(ii)(D), testing of the contingency plan) and the
operator's restore into new tables.

Both load an export into fresh tables and verify it: each file's SHA-256 against the manifest, each
table's item count against the manifest, the cross-table invariants of bookings and slot locks
(jobs/consistency.py), and a sample of sealed items opened through KMS with no cache and the shred key
file of the same bucket (the keys still open what the backup holds, except what was erased since). The
drill measures how long that took (the recovery time) and deletes its scratch tables; a restore keeps its
tables, adds to the live shred key table the keys it lacks (never an erased one), and runs `RESTORE_HOOKS`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.errors import DomainError, SealedDataErased
from chalicelib.jobs import consistency, org_accounts, restore_hooks, tables
from chalicelib.jobs.backup import EXPORTS, MANIFEST, run_ids
from chalicelib.jobs.runner import JobReport
from chalicelib.jobs.shred_key_file import KEY_FILE, KeyFile, load_missing_keys
from chalicelib.models.base import SealedModel

SEALED_SAMPLE = 5  # sealed items opened per table
# What the weekly drill holds a region-loss recovery to (docs/runbooks/restore.md): the daily backup's
# age (a day, plus a late run) and the time to load every table from the replica.
RECOVERY_POINT_OBJECTIVE = timedelta(hours=26)
RECOVERY_TIME_OBJECTIVE = timedelta(hours=1)


@dataclass
class Restored:
    run_id: str
    tables: dict[str, str] = field(default_factory=dict)  # logical name -> restored table
    counts: dict[str, int] = field(default_factory=dict)
    source: Source | None = None  # the bucket restored from (its `erasures/` mirror is replayed)
    hooks: dict[str, Any] = field(default_factory=dict)  # what each restore hook did (counts)


# Called with every verified restore, in order, before it reports done. Work that must be redone on
# restored data registers here: erasures done after the backup was taken are replayed, and nothing
# revoked since comes back (jobs/restore_hooks.py).
RESTORE_HOOKS: list[Callable[[Restored], None]] = [
    restore_hooks.replay_customer_erasures,
    org_accounts.replay_org_deletions,
    restore_hooks.end_restored_sessions,
    restore_hooks.keep_spent_factors,
    restore_hooks.keep_user_restrictions,
]


@dataclass(frozen=True)
class Source:
    """Where an export is read from: the replica (the drill: the second region) or the primary bucket."""

    bucket: str
    region: str
    key_arn: str  # the data key in this region: sealed samples open with it alone

    @classmethod
    def replica(cls) -> Source:
        return cls(settings().replica_bucket, settings().replica_region, settings().replica_key_arn)

    @classmethod
    def primary(cls) -> Source:
        return cls(settings().backup_bucket, settings().region, settings().key_arn)

    def read(self, key: str) -> bytes:
        return bytes(aws.client("s3", self.region).get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def run_ids(self) -> list[str]:
        return sorted(run_ids(aws.client("s3", self.region), self.bucket))

    def key_file(self, report: JobReport) -> KeyFile | None:
        """The shred keys beside the exports, opened with this region's data key alone (no cache)."""
        if not self.key_arn:
            report.fail(f"no data key in {self.region} (the data key is not multi-region)")
            return None
        from chalicelib.crypto.kms_sealer import Sealer  # the SDK loads when a restore runs, not on every cold start

        try:
            return KeyFile.parse(self.read(KEY_FILE), Sealer(self.key_arn, cache=False))
        except (ClientError, BotoCoreError, ValueError) as error:
            report.fail(f"shred key file unreadable ({type(error).__name__})")
            return None

    def manifest(self, run_id: str | None = None) -> dict[str, Any] | None:
        """The manifest of `run_id`, or of the newest complete run."""
        for candidate in [run_id] if run_id else reversed(self.run_ids()):
            try:
                return dict(json.loads(self.read(f"{EXPORTS}{candidate}/{MANIFEST}")))
            except ClientError:
                continue
        return None


def run_drill(report: JobReport, source: Source | None = None) -> None:
    """Restore the newest backup into scratch tables, verify it, time it, and delete the tables."""
    source = source or Source.replica()
    manifest = source.manifest()
    if manifest is None:
        report.fail("no complete backup to restore")
        return
    report.details["run_id"] = manifest["run_id"]
    _check_recovery_point(manifest, report)
    started = time.perf_counter()
    prefix = f"{settings().table_prefix}drill-{clock.now().strftime('%Y%m%d%H%M%S')}-"
    restored = Restored(manifest["run_id"])
    try:
        restore_export(manifest, source, prefix, restored, report)
        report.details["recovery_seconds"] = round(time.perf_counter() - started, 3)
        report.details["items"] = sum(restored.counts.values())
        _check_recovery_time(report)
    finally:
        for table in restored.tables.values():
            tables.drop(table)


def run_restore(report: JobReport, run_id: str, source: Source, prefix: str) -> Restored:
    """Restore export `run_id` into new tables named `prefix` + logical name, verify, run the hooks."""
    manifest = source.manifest(run_id)
    restored = Restored(run_id, source=source)
    if manifest is None:
        report.fail(f"no manifest for {run_id}")
        return restored
    key_file = restore_export(manifest, source, prefix, restored, report)
    if report.ok and key_file is not None:
        load_missing_keys(key_file, report, source)
    run_hooks(restored, report)
    report.details.update(tables=restored.tables, counts=restored.counts)
    return restored


def run_hooks(restored: Restored, report: JobReport) -> None:
    """Run every restore hook on a verified restore; what they did goes into the report."""
    if report.ok:
        for hook in RESTORE_HOOKS:
            hook(restored)
    report.details["hooks"] = restored.hooks


def run_backup_restore(report: JobReport, run_id: str, prefix: str) -> Restored:
    """Restore the on-demand DynamoDB backups of `run_id` into new tables, and check their counts."""
    dynamodb, restored = aws.client("dynamodb"), Restored(run_id, source=Source.primary())
    manifest = Source.primary().manifest(run_id) or {"tables": {}}
    for logical, model in tables.owned_tables().items():
        summaries = dynamodb.list_backups(TableName=model.Meta.table_name)["BackupSummaries"]
        arn = next((s["BackupArn"] for s in summaries if s["BackupName"] == f"{logical}-{run_id}"), None)
        if arn is None:
            report.fail(f"{logical}: no backup of {run_id}")
            continue
        target = f"{prefix}{logical}"
        dynamodb.restore_table_from_backup(TargetTableName=target, BackupArn=arn, SSESpecificationOverride={
            "Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": settings().key_arn})
        dynamodb.get_waiter("table_exists").wait(TableName=target)
        tables.protect(target, model)
        restored.tables[logical] = target
        restored.counts[logical] = sum(1 for _ in tables.scan(target))
        expected = manifest["tables"].get(logical, {}).get("items")
        if expected is not None and expected != restored.counts[logical]:
            report.fail(f"{logical}: {restored.counts[logical]} items restored, the manifest says {expected}")
    if {"bookings", "slot_locks"} <= set(restored.tables):
        check_invariants(list(tables.scan(restored.tables["bookings"])),
                         list(tables.scan(restored.tables["slot_locks"])), clock.now(), report)
    run_hooks(restored, report)
    report.details.update(tables=restored.tables, counts=restored.counts)
    return restored


def restore_export(manifest: dict[str, Any], source: Source, prefix: str, restored: Restored,
                   report: JobReport) -> KeyFile | None:
    """Load every table of `manifest` into `prefix` tables, checking digests, counts, invariants, sealed items
    (opened with the source's shred key file, which is returned)."""
    owned, loaded = tables.owned_tables(), {}
    key_file = source.key_file(report)
    for logical, entry in manifest["tables"].items():
        items = _read_export(logical, entry, source, report)
        if items is None:
            continue
        target = f"{prefix}{logical}"
        tables.create_like(owned[logical], target)
        restored.tables[logical] = target
        tables.write_all(target, items)
        restored.counts[logical] = sum(1 for _ in tables.scan(target))
        if restored.counts[logical] != entry["items"]:
            report.fail(f"{logical}: {restored.counts[logical]} items restored, the manifest says {entry['items']}")
        if key_file is not None:
            _open_sample(owned[logical], items, logical, key_file, report)
        loaded[logical] = items
    if {"bookings", "slot_locks"} <= set(loaded):  # a table that did not load has failed the report already
        as_of = datetime.fromisoformat(manifest.get("export_time") or manifest["created_at"])
        check_invariants(loaded["bookings"], loaded["slot_locks"], as_of, report)
    return key_file


def _read_export(logical: str, entry: dict[str, Any], source: Source, report: JobReport) -> list[Any] | None:
    """The raw items of one table's export files, each checked against its digest; None if unusable."""
    items: list[Any] = []
    for file in entry["files"]:
        try:
            body = source.read(file["key"])
        except (ClientError, BotoCoreError) as error:
            report.fail(f"{logical}: export unreadable ({type(error).__name__})")
            return None
        if hashlib.sha256(body).hexdigest() != file["sha256"]:
            report.fail(f"{logical}: SHA-256 differs from the manifest")
            return None
        lines = gzip.decompress(body).decode().splitlines()
        items.extend(tables.from_json(json.loads(line)["Item"]) for line in lines if line.strip())
    return items


def check_invariants(bookings: list[Any], locks: list[Any], as_of: datetime, report: JobReport) -> None:
    """Fail the report loudly when the restored bookings and slot locks do not agree."""
    violations = consistency.check_bookings_and_locks(bookings, locks, as_of)
    report.details["invariants"] = "ok" if violations.ok else "violated"
    if not violations.ok:
        report.fail(f"bookings/slot_locks: {violations.describe()}")


def _check_recovery_point(manifest: dict[str, Any], report: JobReport) -> None:
    """The newest backup in the source is no older than the recovery point objective."""
    taken = manifest.get("export_time") or manifest["created_at"]  # the instant the data is as of
    age = clock.now() - clock.parse_instant(taken, "export_time")
    report.details["recovery_point_seconds"] = round(age.total_seconds())
    if age > RECOVERY_POINT_OBJECTIVE:
        report.fail(f"newest backup is {age.total_seconds() / 3600:.1f} h old; the recovery point objective "
                    f"is {RECOVERY_POINT_OBJECTIVE.total_seconds() / 3600:.0f} h")


def _check_recovery_time(report: JobReport) -> None:
    if report.details["recovery_seconds"] > RECOVERY_TIME_OBJECTIVE.total_seconds():
        report.fail(f"restoring took {report.details['recovery_seconds']:.0f} s; the recovery time objective "
                    f"is {RECOVERY_TIME_OBJECTIVE.total_seconds():.0f} s")


def _open_sample(model: Any, items: list[dict[str, Any]], logical: str, key_file: KeyFile,
                 report: JobReport) -> None:
    """Open a few sealed items with an uncached sealer for the source region's key alone and the key file
    beside the export: each one is a real KMS Decrypt there, so the copy is proven to open without the
    other region. An item whose key was destroyed since (an erasure) is counted, not opened."""
    if not issubclass(model, SealedModel) or not items:
        return
    for raw in items[:SEALED_SAMPLE]:
        item = model.from_raw_data(raw)
        try:
            item.unseal_with(key_file.opener, key_file.open_box)
        except SealedDataErased:
            report.details["sealed_items_erased"] = report.details.get("sealed_items_erased", 0) + 1
            continue
        except DomainError as error:
            report.fail(f"{logical}: a sealed item does not open ({type(error).__name__})")
            return
        report.details["sealed_items_opened"] = report.details.get("sealed_items_opened", 0) + 1
