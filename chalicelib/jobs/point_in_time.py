"""Point-in-time recovery of every table to one instant (HIPAA 164.308(a)(7)(ii)(B), disaster recovery).

DynamoDB keeps 35 days of continuous backups of each table. This restores every SafeSlot table as it was
at one instant into new tables named `prefix` + logical name, encrypted with the data key, with PITR,
deletion protection and TTL as the stack gives its own tables; the restore hooks then run on them.
All or nothing: the instant is checked against every table's restorable window first, and if one
restore fails the tables already made are deleted. The application switches to the new tables when
deployed with `table_prefix` = `prefix` (docs/runbooks/restore.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws, clock
from chalicelib.config import settings
from chalicelib.jobs import tables
from chalicelib.jobs.restore import Restored, Source, run_hooks
from chalicelib.jobs.runner import JobReport


def run_point_in_time_restore(report: JobReport, instant: datetime, prefix: str) -> dict[str, str]:
    """Restore every table as it was at `instant` into `prefix` tables; returns logical -> new table."""
    report.details.update(instant=clock.isoformat(instant), prefix=prefix)
    owned = tables.owned_tables()
    sources = {logical: model.Meta.table_name for logical, model in owned.items()}
    for logical, source in sources.items():
        problem = _unrestorable(source, instant)
        if problem:
            report.fail(f"{logical}: {problem}")
    if not report.ok:
        return {}
    restored: dict[str, str] = {}
    try:
        for logical, source in sources.items():
            restored[logical] = _restore(source, f"{prefix}{logical}", instant)
        for logical, target in restored.items():
            _protect(target, owned[logical])
    except (ClientError, BotoCoreError) as error:
        report.fail(f"{logical}: {_code(error)}; the tables restored so far were deleted")
        _delete(restored.values())
        return {}
    report.details.update(tables=restored, counts={logical: sum(1 for _ in tables.scan(target))
                                                   for logical, target in restored.items()})
    run_hooks(Restored(f"point-in-time-{clock.isoformat(instant)}", tables=restored, source=Source.primary()),
              report)  # erasures since `instant` replayed, sessions emptied, live restrictions kept
    return restored


def _unrestorable(table: str, instant: datetime) -> str | None:
    """Why `table` cannot be restored to `instant`, or None."""
    description = aws.client("dynamodb").describe_continuous_backups(TableName=table)[
        "ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
    if description.get("PointInTimeRecoveryStatus") != "ENABLED":
        return "point-in-time recovery is not enabled"
    earliest = description["EarliestRestorableDateTime"]
    if instant < earliest:
        return f"the earliest restorable instant is {clock.isoformat(earliest)}"
    if instant > clock.now():
        return "the instant is in the future"
    return None


def _restore(source: str, target: str, instant: datetime) -> str:
    dynamodb = aws.client("dynamodb")
    dynamodb.restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, RestoreDateTime=instant,
        BillingModeOverride="PAY_PER_REQUEST",
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": settings().key_arn})
    dynamodb.get_waiter("table_exists").wait(TableName=target)
    return target


def _protect(table: str, model: Any) -> None:
    """What a restore does not carry over: PITR, deletion protection, TTL."""
    tables.protect(table, model)


def _delete(restored: Any) -> None:
    for table in restored:
        tables.drop(table)


def _code(error: Exception) -> str:
    return error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
