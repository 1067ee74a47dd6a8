"""Backup copies expire on schedule in both regions, noncurrent versions too: the backup job is run
(in moto) over several days with pruning, and every object version it left in either bucket is checked
against the lifecycle rules the stack really synthesizes for that bucket."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.jobs.shred_key_file import KEY_FILE
from tests.infrastructure.test_stack import assert_backup_files_expire, max_age_of_a_kept_run, resources, synth

pytest.importorskip("aws_cdk")

OBJECT_LOCK_DAYS = 35  # governance retention of every version (infra/stack.py BACKUP_DAILY_DAYS)


@pytest.fixture(scope="module")
def lifecycle_rules(tmp_path_factory) -> dict[str, list[dict]]:
    """The lifecycle rules of the backup bucket of each stack: "primary" and "replica"."""
    main, replica, _ = synth(tmp_path_factory, {})
    found = {}
    for name, template in (("primary", main), ("replica", replica)):
        buckets = [b for n, b in resources(template, "AWS::S3::Bucket").items()
                   if not n.startswith(("AccessLogBucket", "AuditDigestBucket"))]
        found[name] = buckets[0]["Properties"]["LifecycleConfiguration"]["Rules"]
    return found


def covering(rules: list[dict], key: str) -> list[dict]:
    return [r for r in rules if r["Status"] == "Enabled"
            and key.startswith(r.get("Prefix", r.get("Filter", {}).get("Prefix", "")))]


def days_until_gone(rules: list[dict], key: str, current: bool) -> int | None:
    """How many days after it was written (current) or replaced (noncurrent) S3 removes this version;
    None if no rule ever does. A version under Object Lock goes once its retention ends."""
    rules = covering(rules, key)
    if current:
        days = [r["ExpirationInDays"] for r in rules if r.get("ExpirationInDays")]
    else:
        days = [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules
                if r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")]
    return max(min(days), OBJECT_LOCK_DAYS) if days else None


def versions(bucket: str, region: str) -> list[dict]:
    s3 = boto3.client("s3", region_name=region)
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        found += [{**v, "marker": False} for v in page.get("Versions", [])]
        found += [{**m, "marker": True} for m in page.get("DeleteMarkers", [])]
    return found


@pytest.fixture
def keep_one_run(monkeypatch):
    """Prune down to the newest run, so that a few days of backups leave pruned versions behind."""
    monkeypatch.setenv("SAFESLOT_BACKUPS_DAILY", "1")
    monkeypatch.setenv("SAFESLOT_BACKUPS_MONTHLY", "0")


def test_every_version_the_backup_job_leaves_in_either_region_expires(keep_one_run, lifecycle_rules, client,
                                                                    fake_clock):
    from chalicelib.config import settings
    from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
    from tests.functional.jobs.helpers import invoke

    book(client, make_clinic(), at(next_weekday(), "10:00"))
    for _ in range(3):
        assert invoke(client, "daily_backup")["ok"]
        fake_clock.advance(days=1)

    written = {"primary": versions(settings().backup_bucket, settings().region),
               "replica": versions(settings().replica_bucket, settings().replica_region)}
    for region, found in written.items():
        rules = lifecycle_rules[region]
        assert_backup_files_expire(rules)
        assert any(not v["IsLatest"] for v in found) and any(v["marker"] for v in found)  # pruning happened
        for version in found:
            current = version["IsLatest"] and not version["marker"]
            if current and version["Key"] == KEY_FILE:
                continue  # the live shred keys: every run rewrites the file, the replaced version expires below
            gone_after = days_until_gone(rules, version["Key"], current)
            assert gone_after is not None, (region, version["Key"], "current" if current else "noncurrent")
            if current:
                assert gone_after > max_age_of_a_kept_run(settings().backups_daily, settings().backups_monthly)
            else:
                assert gone_after <= OBJECT_LOCK_DAYS + 1, (region, version["Key"])


def test_a_rule_that_misses_the_prefix_the_job_writes_is_caught(lifecycle_rules):
    misnamed = [{**rule, "Prefix": "daily/"} for rule in lifecycle_rules["replica"]]

    assert days_until_gone(misnamed, "exports/2026-11-23/manifest.json", current=True) is None
    assert days_until_gone(lifecycle_rules["replica"], "exports/2026-11-23/manifest.json", current=True)
