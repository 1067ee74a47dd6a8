"""The daily backup: exports in two regions, on-demand backups, manifests, pruning, failure handling."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.config import settings
from chalicelib.jobs import backup
from chalicelib.jobs.backup import runs_to_keep
from chalicelib.jobs.runner import run_job
from chalicelib.jobs.tables import owned_tables
from chalicelib.models import ALL_MODELS, UNBACKED_MODELS
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.jobs.helpers import (
    alerts,
    invoke,
    last_system_event,
    metrics,
    on_demand_backups,
    primary_keys,
    replica_keys,
)


@pytest.fixture
def clinic(client):
    clinic = make_clinic()
    book(client, clinic, at(next_weekday(), "10:00"), notes="asthma")
    return clinic


def test_a_backup_lands_in_both_regions_with_a_manifest_that_matches_the_tables(client, clinic, fake_clock):
    report = invoke(client, "daily_backup")

    day = fake_clock.now.strftime("%Y-%m-%d")
    assert report["ok"], report
    s3 = boto3.client("s3", region_name=settings().replica_region)
    manifest = json.loads(s3.get_object(Bucket=settings().replica_bucket,
                                        Key=f"exports/{day}/manifest.json")["Body"].read())
    logical = {model.Meta.table_name.removeprefix(settings().table_prefix) for model in ALL_MODELS
               if model not in UNBACKED_MODELS}
    assert set(manifest["tables"]) == logical and "erasures" not in logical  # a restore replays the ledger
    data_files = [f["key"] for entry in manifest["tables"].values() for f in entry["files"]]
    assert primary_keys() == replica_keys() == sorted([*data_files, f"exports/{day}/manifest.json"])
    bookings = manifest["tables"]["bookings"]
    (file,) = bookings["files"]
    assert file["key"].startswith(f"exports/{day}/bookings/AWSDynamoDB/")
    body = s3.get_object(Bucket=settings().replica_bucket, Key=file["key"])["Body"].read()
    assert bookings["items"] == 1 and hashlib.sha256(body).hexdigest() == file["sha256"]
    export = gzip.decompress(body).decode()
    assert "asthma" not in export and ALICE["email"] not in export  # still sealed
    assert len(on_demand_backups()) == len(owned_tables())


def test_every_table_is_exported_as_of_one_instant(client, clinic, fake_clock, monkeypatch):
    import botocore.client

    exports, original = [], botocore.client.BaseClient._make_api_call

    def recorded(client, operation, params):
        if operation == "ExportTableToPointInTime":
            exports.append(params)
        return original(client, operation, params)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)

    report = invoke(client, "daily_backup")

    assert report["ok"], report
    assert len(exports) == len(owned_tables())
    instant = fake_clock.now.replace(microsecond=0)
    assert {params["ExportTime"] for params in exports} == {instant}
    assert report["export_time"] == instant.isoformat().replace("+00:00", "Z")


def test_force_makes_a_second_backup_the_same_day(client, clinic, fake_clock):
    fake_clock.now = fake_clock.now.replace(hour=9, minute=0) + timedelta(days=1)  # two hours later: the same day
    first = invoke(client, "daily_backup")
    fake_clock.advance(hours=2)

    forced = run_job("backup", lambda report: backup.run_backup(report, force=True))

    assert forced.ok, forced.failures
    assert forced.details["run_id"] == fake_clock.now.strftime("%Y-%m-%dT%H%M%SZ") != first["run_id"]
    assert {key.split("/")[1] for key in replica_keys()} == {first["run_id"], forced.details["run_id"]}


def test_a_second_run_the_same_day_changes_nothing(client, clinic):
    invoke(client, "daily_backup")
    before = (primary_keys(), on_demand_backups())

    report = invoke(client, "daily_backup")

    assert report["ok"] and report["skipped"]
    assert (primary_keys(), on_demand_backups()) == before


def test_old_runs_are_pruned_keeping_the_newest_days_and_the_first_of_each_month(client, clinic, fake_clock,
                                                                               monkeypatch):
    monkeypatch.setenv("SAFESLOT_BACKUPS_DAILY", "3")
    monkeypatch.setenv("SAFESLOT_BACKUPS_MONTHLY", "2")
    settings.cache_clear()
    days = ["2027-01-15", "2027-02-10", "2027-02-20", "2027-03-05", "2027-03-06", "2027-03-07", "2027-03-08"]
    for day in days:
        fake_clock.now = datetime.fromisoformat(f"{day}T03:00:00+00:00")
        assert invoke(client, "daily_backup")["ok"]

    kept = {key.split("/")[1] for key in primary_keys()}

    assert kept == {"2027-02-10", "2027-03-05", "2027-03-06", "2027-03-07", "2027-03-08"}
    assert {key.split("/")[1] for key in replica_keys()} == kept
    assert {name[-10:] for name in on_demand_backups()} == kept  # "<table>-<run date>"


def test_thirty_five_daily_and_twelve_monthly_runs_are_kept_over_a_year():
    from datetime import timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [(start + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(400)]

    kept = runs_to_keep(runs, daily=35, monthly=12)

    newest = sorted(runs)[-35:]
    assert set(newest) <= kept
    monthly = sorted(kept - set(newest))
    # the newest 35 days hold 2027-01-01 and 2027-02-01: the other ten months keep their first day
    assert monthly == [f"2026-{month:02d}-01" for month in range(3, 13)]


def test_a_run_that_fails_part_way_keeps_earlier_backups_says_what_failed_and_alerts(client, clinic, fake_clock,
                                                                                  monkeypatch, capsys):
    from botocore.exceptions import ClientError

    from chalicelib.jobs import backup as backup_job

    invoke(client, "daily_backup")
    earlier = primary_keys()
    fake_clock.advance(days=1)
    real_start = backup_job._start_export

    def failing_export(table: str, *args):
        if table.endswith("bookings"):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Export")
        return real_start(table, *args)
    monkeypatch.setattr(backup_job, "_start_export", failing_export)

    report = invoke(client, "daily_backup")

    assert not report["ok"]
    assert report["failures"] == ["bookings: ProvisionedThroughputExceededException"]
    assert primary_keys() == earlier  # no manifest, no file of the failed day: the earlier run is untouched
    assert metrics(capsys.readouterr().out)["BackupFailures"] == 1
    assert "bookings: ProvisionedThroughputExceededException" in alerts()[-1]
    last = last_system_event()
    assert (last.action, last.outcome) == ("job.backup", "failure")
