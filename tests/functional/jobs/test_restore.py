"""Restore drills and restores: a good backup restores exactly, a corrupted one fails loudly."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest

from chalicelib.config import settings
from chalicelib.jobs import restore
from chalicelib.jobs.restore import Source
from chalicelib.jobs.runner import JobReport, run_job
from chalicelib.jobs.tables import owned_tables, scan
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.jobs.helpers import alerts, invoke, last_system_event, metrics


@pytest.fixture
def backed_up(client, fake_clock, request):
    """The day of a backup of a clinic with three bookings; the test's node keeps every table's items
    as they were just before it (`request.node.snapshot`)."""
    clinic = make_clinic()
    day = next_weekday()
    for hhmm in ("10:00", "11:00", "12:00"):
        book(client, clinic, at(day, hhmm), notes=f"note at {hhmm}")
    request.node.snapshot = {logical: rows(model.Meta.table_name) for logical, model in owned_tables().items()}
    assert invoke(client, "daily_backup")["ok"]
    return fake_clock.now.strftime("%Y-%m-%d")


def rows(table: str) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True, default=str) for item in scan(table))


def table_names() -> list[str]:
    return boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]


def kms_decrypts(monkeypatch) -> list[str]:
    """Every KMS Decrypt call from now on (the drill must really use the key)."""
    import botocore.client

    calls, original = [], botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        if operation == "Decrypt":
            calls.append(operation)
        return original(client, operation, params)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    return calls


def test_the_drill_passes_on_a_good_backup_opens_sealed_items_and_removes_its_tables(client, backed_up,
                                                                                   monkeypatch, capsys):
    before = table_names()
    decrypts = kms_decrypts(monkeypatch)

    report = invoke(client, "weekly_restore_drill")

    assert report["ok"], report
    assert report["run_id"] == backed_up and report["recovery_seconds"] > 0
    assert report["sealed_items_opened"] >= 3 and len(decrypts) >= report["sealed_items_opened"]
    assert table_names() == before
    assert metrics(capsys.readouterr().out)["RestoreDrillFailures"] == 0


def test_the_drill_fails_alerts_and_is_audited_on_a_corrupted_backup(client, backed_up, capsys):
    s3 = boto3.client("s3", region_name=settings().replica_region)
    manifest = json.loads(s3.get_object(Bucket=settings().replica_bucket,
                                        Key=f"exports/{backed_up}/manifest.json")["Body"].read())
    key = manifest["tables"]["bookings"]["files"][0]["key"]
    rows = gzip.decompress(s3.get_object(Bucket=settings().replica_bucket, Key=key)["Body"].read()).splitlines()
    s3.put_object(Bucket=settings().replica_bucket, Key=key, Body=gzip.compress(b"\n".join(rows[:-1])))

    report = invoke(client, "weekly_restore_drill")

    assert not report["ok"]
    assert report["failures"] == ["bookings: SHA-256 differs from the manifest"]
    assert "bookings: SHA-256 differs from the manifest" in alerts()[-1]
    assert metrics(capsys.readouterr().out)["RestoreDrillFailures"] == 1
    last = last_system_event()
    assert (last.action, last.outcome) == ("job.restore_drill", "failure")
    assert not [t for t in table_names() if "-drill-" in t]


def test_a_drill_with_no_backup_fails(client, aws_stack):
    assert invoke(client, "weekly_restore_drill")["failures"] == ["no complete backup to restore"]


def test_a_restore_reproduces_every_table_exactly_and_runs_the_hooks(client, backed_up, monkeypatch, request):
    seen = []
    monkeypatch.setattr(restore, "RESTORE_HOOKS", [seen.append])
    prefix = f"{settings().table_prefix}restored-"

    report = run_job("restore", lambda r: restore.run_restore(r, backed_up, Source.primary(), prefix))

    assert report.ok, report.failures
    for logical in owned_tables():
        assert rows(f"{prefix}{logical}") == request.node.snapshot[logical], logical  # every item, exactly
    assert [restored.run_id for restored in seen] == [backed_up]


def test_the_on_demand_backups_restore_with_the_manifests_counts(client, backed_up):
    report = JobReport("restore")

    restored = restore.run_backup_restore(report, backed_up, f"{settings().table_prefix}from-backup-")

    assert report.ok, report.failures
    assert restored.counts["bookings"] == 3


def test_the_drill_opens_the_replica_with_the_second_regions_key_when_the_first_region_is_gone(
        client, backed_up, monkeypatch):
    from moto.kms.models import kms_backends

    primary = kms_backends["123456789012"][settings().region]
    key_id = settings().key_arn.rsplit("/", 1)[1]
    monkeypatch.delitem(primary.keys, key_id)  # region 1's key is unreachable from here on
    monkeypatch.setattr(restore.Source, "primary", None)  # and nothing may fall back on region 1

    report = invoke(client, "weekly_restore_drill")

    assert report["ok"], report
    assert report["sealed_items_opened"] >= 3
    assert settings().replica_key_arn.split(":")[3] == settings().replica_region != settings().region


def test_the_drill_fails_when_the_newest_backup_is_older_than_the_recovery_point_objective(
        client, backed_up, fake_clock):
    fake_clock.advance(hours=restore.RECOVERY_POINT_OBJECTIVE.total_seconds() / 3600 + 1)

    report = invoke(client, "weekly_restore_drill")

    assert not report["ok"]
    assert report["recovery_point_seconds"] > restore.RECOVERY_POINT_OBJECTIVE.total_seconds()
    assert any("recovery point objective" in failure for failure in report["failures"])
    assert "recovery point objective" in alerts()[-1]


def test_the_drill_reports_what_it_measured_against_the_recovery_objectives(client, backed_up):
    report = invoke(client, "weekly_restore_drill")

    assert report["ok"], report
    assert 0 <= report["recovery_point_seconds"] <= restore.RECOVERY_POINT_OBJECTIVE.total_seconds()
    assert 0 < report["recovery_seconds"] <= restore.RECOVERY_TIME_OBJECTIVE.total_seconds()
