"""The daily backup (HIPAA 164.308(a)(7)(ii)(A)): every table exported by DynamoDB as of ONE instant
(ExportTableToPointInTime with the same ExportTime for all tables, so that a booking and its slot locks,
written in one transaction, are both in the backup or both not), plus an on-demand backup of each table,
with a manifest of the export files, item counts and SHA-256 digests, copied to the replica bucket in a
second region. Old runs are pruned: the newest `backups_daily` runs and the first run of each of the
last `backups_monthly` months are kept.

A run is identified by its UTC date, so running it twice a day does the work once; `force` makes a
second run that day under its own id (date and time). A run that fails part way writes no manifest,
removes the files it wrote and prunes nothing: earlier backups stay as they were.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.jobs import tables
from chalicelib.jobs.runner import JobReport
from chalicelib.jobs.shred_key_file import write_key_file

EXPORTS = "exports/"
MANIFEST = "manifest.json"
EXPORT_WAIT_SECONDS = 12 * 60  # DynamoDB exports take minutes; the job's Lambda has 15
_FIRST_POLL_SECONDS, _LONGEST_POLL_SECONDS = 0.1, 15.0


class ExportFailed(Exception):
    """DynamoDB reported an export as failed, or it did not finish in time."""


def run_backup(report: JobReport, force: bool = False) -> None:
    """Back up every table now, unless today's run exists (then only with `force`, as a second run)."""
    now = clock.now()
    run_id = now.strftime("%Y-%m-%d")
    if _complete(run_id) and force:
        run_id = now.strftime("%Y-%m-%dT%H%M%SZ")
    report.details["run_id"] = run_id
    if _complete(run_id):
        report.details["skipped"] = "this day's backup exists in both buckets (--force makes another)"
    else:
        _back_up(run_id, now.replace(microsecond=0), report)  # the manifest names the instant exactly
    if report.ok:
        write_key_file(report)  # every run, even a skipped one: it drops the keys destroyed since
    if report.ok:
        report.details["pruned_runs"] = prune(report)


def _back_up(run_id: str, export_time: datetime, report: JobReport) -> None:
    exports: dict[str, str] = {}
    for logical, model in tables.owned_tables().items():
        try:
            _on_demand_backup(model.Meta.table_name, f"{logical}-{run_id}")
            exports[logical] = _start_export(model.Meta.table_name, export_time, _export_prefix(run_id, logical))
        except (ClientError, BotoCoreError) as error:
            report.fail(f"{logical}: {_code(error)}")
    files = _finished_exports(run_id, exports, report)  # even after a failure: its files are then deleted
    if not report.ok:
        _delete_prefix(_primary(), settings().backup_bucket, f"{EXPORTS}{run_id}/")  # an incomplete export
        return
    manifest = {"run_id": run_id, "created_at": clock.isoformat(clock.now()), "key_arn": settings().key_arn,
                "export_time": clock.isoformat(export_time), "tables": files}
    _primary().put_object(Bucket=settings().backup_bucket, Key=f"{EXPORTS}{run_id}/{MANIFEST}",
                          Body=json.dumps(manifest, indent=1).encode())
    keys = [file["key"] for entry in files.values() for file in entry["files"]]
    _replicate(run_id, [*keys, f"{EXPORTS}{run_id}/{MANIFEST}"], report)
    report.details.update(tables=len(files), items=sum(e["items"] for e in files.values()),
                          bytes=sum(e["bytes"] for e in files.values()), export_time=manifest["export_time"])


def _export_prefix(run_id: str, logical: str) -> str:
    return f"{EXPORTS}{run_id}/{logical}"


def _start_export(table: str, export_time: datetime, prefix: str) -> str:
    """Ask DynamoDB to export `table` as it was at `export_time` (needs PITR); returns the export ARN."""
    dynamodb = aws.client("dynamodb")
    table_arn = dynamodb.describe_table(TableName=table)["Table"]["TableArn"]
    answer = dynamodb.export_table_to_point_in_time(
        TableArn=table_arn, ExportTime=export_time, S3Bucket=settings().backup_bucket, S3Prefix=prefix,
        ExportFormat="DYNAMODB_JSON")
    return str(answer["ExportDescription"]["ExportArn"])


def _finished_exports(run_id: str, exports: dict[str, str], report: JobReport) -> dict[str, Any]:
    """Wait for every export, then describe its data files (digest, size, items) for the manifest."""
    files: dict[str, Any] = {}
    for logical, arn in exports.items():
        try:
            expected_items = _wait_for_export(arn)
            files[logical] = _describe_files(_export_prefix(run_id, logical), arn)
        except (ClientError, BotoCoreError, ExportFailed) as error:
            report.fail(f"{logical}: {_code(error)}")
            continue
        if expected_items is not None and expected_items != files[logical]["items"]:
            report.fail(f"{logical}: the export holds {files[logical]['items']} items, DynamoDB says {expected_items}")
    return files


def _wait_for_export(arn: str) -> int | None:
    """Poll until the export completes; returns DynamoDB's item count for it."""
    dynamodb, pause = aws.client("dynamodb"), _FIRST_POLL_SECONDS
    give_up = time.monotonic() + EXPORT_WAIT_SECONDS
    while True:
        export = dynamodb.describe_export(ExportArn=arn)["ExportDescription"]
        if export["ExportStatus"] == "COMPLETED":
            return export.get("ItemCount")
        if export["ExportStatus"] == "FAILED" or time.monotonic() > give_up:
            raise ExportFailed(export.get("FailureCode") or "ExportTimedOut")
        time.sleep(pause)
        pause = min(pause * 2, _LONGEST_POLL_SECONDS)


def _describe_files(prefix: str, arn: str) -> dict[str, Any]:
    """The data files DynamoDB wrote under `prefix` (`AWSDynamoDB/<export id>/data/*.gz`)."""
    files = []
    for key in sorted(_keys(_primary(), settings().backup_bucket, f"{prefix}/AWSDynamoDB/")):
        if "/data/" not in key or not key.endswith(".gz"):
            continue
        body = _primary().get_object(Bucket=settings().backup_bucket, Key=key)["Body"].read()
        items = sum(1 for line in gzip.decompress(body).splitlines() if line.strip())
        files.append({"key": key, "items": items, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()})
    return {"export_arn": arn, "files": files, "items": sum(f["items"] for f in files),
            "bytes": sum(f["bytes"] for f in files)}


def _on_demand_backup(table: str, name: str) -> None:
    dynamodb = aws.client("dynamodb")
    existing = dynamodb.list_backups(TableName=table)["BackupSummaries"]
    if not any(summary["BackupName"] == name for summary in existing):
        dynamodb.create_backup(TableName=table, BackupName=name)


def _replicate(run_id: str, keys: list[str], report: JobReport) -> None:
    """Copy the run's files to the replica bucket in the second region (manifest last)."""
    config = settings()
    replica = aws.client("s3", config.replica_region)
    for key in keys:
        try:
            replica.copy_object(Bucket=config.replica_bucket, Key=key,
                                CopySource={"Bucket": config.backup_bucket, "Key": key})
        except (ClientError, BotoCoreError) as error:
            report.fail(f"replica copy of {key.removeprefix(EXPORTS)}: {_code(error)}")
            return


def _complete(run_id: str) -> bool:
    config = settings()
    return all(_has(client, bucket, f"{EXPORTS}{run_id}/{MANIFEST}") for client, bucket in (
        (_primary(), config.backup_bucket), (aws.client("s3", config.replica_region), config.replica_bucket)))


def _has(s3: Any, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


# --- pruning ----------------------------------------------------------------------------------------

def runs_to_keep(run_ids: list[str], daily: int, monthly: int) -> set[str]:
    """The newest `daily` runs, and the first run of each of the newest `monthly` months."""
    newest_first = sorted(run_ids, reverse=True)
    first_of_month: dict[str, str] = {}
    for run_id in sorted(run_ids):
        first_of_month.setdefault(run_id[:7], run_id)
    return set(newest_first[:daily]) | set(sorted(first_of_month.values(), reverse=True)[:monthly])


def prune(report: JobReport) -> list[str]:
    """Delete the exports (both buckets) and on-demand backups of runs not kept; returns their ids."""
    config = settings()
    buckets = [(_primary(), config.backup_bucket), (aws.client("s3", config.replica_region), config.replica_bucket)]
    runs = set().union(*(run_ids(s3, bucket) for s3, bucket in buckets))
    backups = _on_demand_backups()
    runs |= {run_id for run_id, _ in backups}
    complete = [run_id for run_id in sorted(runs) if _has(_primary(), config.backup_bucket,
                                                           f"{EXPORTS}{run_id}/{MANIFEST}")]
    doomed = sorted(runs - runs_to_keep(complete, config.backups_daily, config.backups_monthly))
    for s3, bucket in buckets:
        for run_id in doomed:
            _delete_prefix(s3, bucket, f"{EXPORTS}{run_id}/")
    for run_id, arn in backups:
        if run_id in doomed:
            aws.client("dynamodb").delete_backup(BackupArn=arn)
    return doomed


def complete_runs(s3: Any, bucket: str) -> list[str]:
    """The runs of `bucket` whose manifest was written (every file before it), oldest first."""
    return sorted(run for run in run_ids(s3, bucket) if _has(s3, bucket, f"{EXPORTS}{run}/{MANIFEST}"))


def run_ids(s3: Any, bucket: str) -> set[str]:
    """The runs (dates) that have files under `exports/` in `bucket`."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=EXPORTS, Delimiter="/")
    return {p["Prefix"][len(EXPORTS):-1] for page in pages for p in page.get("CommonPrefixes", [])}


def _on_demand_backups() -> list[tuple[str, str]]:
    """(run id, backup ARN) of every on-demand backup this job made."""
    found = []
    dynamodb = aws.client("dynamodb")
    for logical, model in tables.owned_tables().items():
        for summary in dynamodb.list_backups(TableName=model.Meta.table_name)["BackupSummaries"]:
            if summary["BackupName"].startswith(f"{logical}-"):
                found.append((summary["BackupName"][len(logical) + 1:], summary["BackupArn"]))
    return found


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [entry["Key"] for page in pages for entry in page.get("Contents", [])]


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    for key in _keys(s3, bucket, prefix):
        s3.delete_object(Bucket=bucket, Key=key)


def _primary() -> Any:
    return aws.client("s3")


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response["Error"]["Code"])
    return str(error) if isinstance(error, ExportFailed) else type(error).__name__
