"""The daily backup (HIPAA 164.308(a)(7)(ii)(A)): for every table an on-demand DynamoDB backup and an
export of its raw items (still sealed) to the backup bucket, with a manifest of item counts and SHA-256
digests, copied to the replica bucket in a second region. Old runs are pruned: the newest
`backups_daily` runs and the first run of each of the last `backups_monthly` months are kept.

A run is identified by its UTC date, so running it twice a day does the work once. A run that fails part
way writes no manifest, removes the files it wrote and prunes nothing: earlier backups stay as they were.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.jobs import tables
from chalicelib.jobs.runner import JobReport

EXPORTS = "exports/"
MANIFEST = "manifest.json"


def run_backup(report: JobReport) -> None:
    run_id = clock.now().strftime("%Y-%m-%d")
    report.details["run_id"] = run_id
    if _complete(run_id):
        report.details["skipped"] = "this day's backup exists in both buckets"
    else:
        _back_up(run_id, report)
    if report.ok:
        report.details["pruned_runs"] = prune(report)


def _back_up(run_id: str, report: JobReport) -> None:
    files: dict[str, Any] = {}
    for logical, model in tables.owned_tables().items():
        try:
            _on_demand_backup(model.Meta.table_name, f"{logical}-{run_id}")
            files[logical] = _export(model.Meta.table_name, f"{EXPORTS}{run_id}/{logical}.jsonl.gz")
        except (ClientError, BotoCoreError) as error:
            report.fail(f"{logical}: {_code(error)}")
    if not report.ok:
        _delete_prefix(_primary(), settings().backup_bucket, f"{EXPORTS}{run_id}/")  # an incomplete export
        return
    manifest = {"run_id": run_id, "created_at": clock.isoformat(clock.now()), "key_arn": settings().key_arn,
                "tables": files}
    _primary().put_object(Bucket=settings().backup_bucket, Key=f"{EXPORTS}{run_id}/{MANIFEST}",
                          Body=json.dumps(manifest, indent=1).encode())
    _replicate(run_id, [entry["key"] for entry in files.values()] + [f"{EXPORTS}{run_id}/{MANIFEST}"], report)
    report.details.update(tables=len(files), items=sum(e["items"] for e in files.values()),
                          bytes=sum(e["bytes"] for e in files.values()))


def _on_demand_backup(table: str, name: str) -> None:
    dynamodb = aws.client("dynamodb")
    existing = dynamodb.list_backups(TableName=table)["BackupSummaries"]
    if not any(summary["BackupName"] == name for summary in existing):
        dynamodb.create_backup(TableName=table, BackupName=name)


def _export(table: str, key: str) -> dict[str, Any]:
    items = [json.dumps(tables.to_json(item), sort_keys=True) for item in tables.scan(table)]
    body = gzip.compress("\n".join(items).encode(), mtime=0)
    _primary().put_object(Bucket=settings().backup_bucket, Key=key, Body=body)
    return {"key": key, "items": len(items), "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


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


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=entry["Key"])


def _primary() -> Any:
    return aws.client("s3")


def _code(error: Exception) -> str:
    return error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
