"""Every restore checks that bookings and slot locks agree, and fails loudly when they do not."""

from __future__ import annotations

import gzip
import hashlib
import json

import boto3
import pytest

from chalicelib.config import settings
from chalicelib.jobs import restore
from chalicelib.jobs.restore import Source
from chalicelib.jobs.runner import run_job
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.jobs.helpers import invoke


@pytest.fixture
def backed_up(client, fake_clock):
    clinic = make_clinic()
    for hhmm in ("10:00", "11:00"):
        book(client, clinic, at(next_weekday(), hhmm))
    assert invoke(client, "daily_backup")["ok"]
    return fake_clock.now.strftime("%Y-%m-%d")


def _drop_first_item(run_id: str, logical: str) -> None:
    """Rewrite one table's export without its first item, manifest included: a backup whose tables are
    not one instant (as a per-table scan during a booking would produce)."""
    s3, bucket = boto3.client("s3"), settings().backup_bucket
    manifest_key = f"exports/{run_id}/manifest.json"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    entry = manifest["tables"][logical]
    file = entry["files"][0]
    lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=file["key"])["Body"].read()).splitlines()
    body = gzip.compress(b"\n".join(lines[1:]))
    s3.put_object(Bucket=bucket, Key=file["key"], Body=body)
    file.update(sha256=hashlib.sha256(body).hexdigest(), items=len(lines) - 1, bytes=len(body))
    entry["items"] -= 1
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())


def _restore(run_id: str):
    prefix = f"{settings().table_prefix}restored-"
    return run_job("restore", lambda report: restore.run_restore(report, run_id, Source.primary(), prefix))


def test_a_consistent_backup_restores_with_its_invariants_checked(client, backed_up):
    report = _restore(backed_up)

    assert report.ok, report.failures
    assert report.details["invariants"] == "ok"


def test_a_restore_with_locks_whose_booking_is_missing_fails_loudly(client, backed_up, monkeypatch):
    _drop_first_item(backed_up, "bookings")
    hooks_ran: list = []
    monkeypatch.setattr(restore, "RESTORE_HOOKS", [hooks_ran.append])

    report = _restore(backed_up)

    assert not report.ok
    assert report.details["invariants"] == "violated"
    (failure,) = report.failures
    assert failure.startswith("bookings/slot_locks: 6 slot locks without their booking")  # 30 minutes, 5 each
    assert not hooks_ran


def test_a_restore_with_a_booking_missing_its_locks_fails_loudly(client, backed_up):
    _drop_first_item(backed_up, "slot_locks")

    report = _restore(backed_up)

    assert not report.ok
    (failure,) = report.failures
    assert "1 bookings without their slot locks" in failure


def test_the_drill_checks_the_invariants_too(client, backed_up):
    _drop_first_item(backed_up, "bookings")

    report = run_job("restore_drill", lambda r: restore.run_drill(r, Source.primary()))

    assert not report.ok
    assert any(f.startswith("bookings/slot_locks:") for f in report.failures)
