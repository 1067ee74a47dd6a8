"""Backups and crypto-shredding: no restore, drill or key file gives back what an erasure destroyed."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import boto3
import pytest

from chalicelib.config import settings
from chalicelib.crypto import shred_keys
from chalicelib.errors import SealedDataErased
from chalicelib.jobs import restore
from chalicelib.jobs.restore import Source
from chalicelib.jobs.runner import JobReport
from chalicelib.jobs.shred_key_file import KEY_FILE, write_key_file
from chalicelib.jobs.tables import scan
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.shred_key import ShredKey
from chalicelib.services.erasure import ledger
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body
from tests.functional.jobs.helpers import invoke

BOB = {"name": "Bob Quillfeather", "email": "bob.quillfeather@example.org", "phone": "+14155550188"}


@pytest.fixture(autouse=True)
def keys_alone(monkeypatch):
    """These tests check what the keys alone do to a restored backup: without the restore hooks, which
    would replay the erasures (tests/functional/erasure/test_restore_hooks.py)."""
    monkeypatch.setattr(restore, "RESTORE_HOOKS", [])


@pytest.fixture
def clinic(client, fake_clock):
    """A clinic where Alice and Bob booked, backed up today; yields (clinic, run id, alice id, bob id)."""
    clinic = make_clinic()
    day = next_weekday()
    ids = []
    for who, hhmm in ((ALICE, "10:00"), (BOB, "11:00")):
        response = book(client, clinic, at(day, hhmm), customer=who, notes=f"notes of {who['name']}")
        ids.append(Booking.get(clinic.org_id, body(response)["booking"]["id"]).customer_id)
    assert invoke(client, "daily_backup")["ok"]
    return clinic, fake_clock.now.strftime("%Y-%m-%d"), ids[0], ids[1]


def erase(org_id: str, customer_id: str) -> None:
    """What the erasure service does to the keys: the ledger first, then the key."""
    ledger.record(org_id, ledger.CUSTOMER, customer_id, actor="u-staff")
    shred_keys.destroy_subject(org_id, shred_keys.customer_subject(customer_id))


def restored(prefix: str, run_id: str) -> JobReport:
    report = JobReport("restore")
    restore.run_restore(report, run_id, Source.primary(), prefix)
    assert report.ok, report.failures
    return report


def opened(model, table: str, key: str, value: str) -> dict | None:
    """The unsealed fields of the restored row whose `key` is `value` (None: erased)."""
    raw = next(item for item in scan(table) if item[key]["S"] == value)
    try:
        return model.from_raw_data(raw).unseal()
    except SealedDataErased:
        return None


def key_file(bucket: str, region: str) -> dict:
    s3 = boto3.client("s3", region_name=region)
    return json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=KEY_FILE)["Body"].read()))


def subjects_in(document: dict) -> set[tuple[str, str]]:
    return {(k["org_id"]["S"], k["subject"]["S"]) for k in document["keys"]}


def test_a_restore_of_a_backup_from_before_an_erasure_does_not_open_that_customers_rows(client, clinic, fake_clock):
    clinic, run_id, alice, bob = clinic
    erase(clinic.org_id, alice)
    fake_clock.advance(days=1)
    assert invoke(client, "daily_backup")["ok"]  # the next run's key file lacks Alice's key

    restored("safeslot-test-r1-", run_id)

    assert opened(Customer, "safeslot-test-r1-customers", "customer_id", alice) is None
    assert opened(Customer, "safeslot-test-r1-customers", "customer_id", bob)["name"] == BOB["name"]
    alice_bookings = [b for b in scan("safeslot-test-r1-bookings") if b["customer_id"]["S"] == alice]
    for raw in alice_bookings:
        with pytest.raises(SealedDataErased):
            Booking.from_raw_data(raw).unseal()
    assert alice_bookings


def test_a_lost_key_table_is_refilled_from_the_key_file_except_for_what_the_ledger_erased(client, clinic):
    clinic, run_id, alice, bob = clinic
    erase(clinic.org_id, alice)  # no backup since: the key file in the buckets still holds Alice's key
    assert shred_keys.customer_subject(alice) in {s for _, s in subjects_in(
        key_file(settings().backup_bucket, settings().region))}
    for row in ShredKey.scan():  # the live key table is lost
        row.delete()
    shred_keys.reset_cache()

    report = restored("safeslot-test-r2-", run_id)

    assert report.details["shred_keys_left_erased"] == 1
    assert opened(Customer, "safeslot-test-r2-customers", "customer_id", alice) is None
    assert opened(Customer, "safeslot-test-r2-customers", "customer_id", bob)["name"] == BOB["name"]


def test_the_key_file_in_both_buckets_drops_a_destroyed_key_at_the_next_run(client, clinic, fake_clock):
    clinic, _, alice, bob = clinic
    erase(clinic.org_id, alice)
    fake_clock.advance(days=1)

    assert invoke(client, "daily_backup")["ok"]

    config = settings()
    for bucket, region in ((config.backup_bucket, config.region), (config.replica_bucket, config.replica_region)):
        subjects = subjects_in(key_file(bucket, region))
        assert (clinic.org_id, shred_keys.customer_subject(alice)) not in subjects
        assert {(clinic.org_id, shred_keys.ORG), (clinic.org_id, shred_keys.customer_subject(bob))} <= subjects


def test_the_drill_opens_samples_with_the_key_file_and_counts_erased_ones(client, clinic, fake_clock):
    clinic, _, alice, _ = clinic
    erase(clinic.org_id, alice)
    fake_clock.advance(days=1)
    assert invoke(client, "daily_backup")["ok"]

    report = invoke(client, "weekly_restore_drill")

    assert report["ok"], report
    assert report["sealed_items_opened"] >= 3 and report["sealed_items_erased"] >= 1


def test_the_drill_fails_without_a_key_file(client, clinic):
    s3 = boto3.client("s3", region_name=settings().replica_region)
    for version in s3.list_object_versions(Bucket=settings().replica_bucket, Prefix=KEY_FILE)["Versions"]:
        s3.delete_object(Bucket=settings().replica_bucket, Key=KEY_FILE, VersionId=version["VersionId"])

    report = invoke(client, "weekly_restore_drill")

    assert not report["ok"]
    assert any("shred key file" in failure for failure in report["failures"])


def test_each_key_file_version_is_locked_for_a_day_only_under_a_bucket_default_of_weeks(aws_stack, fake_clock,
                                                                                       monkeypatch):
    s3, bucket = boto3.client("s3"), "safeslot-test-locked-backups"  # as infra/stack.py makes the buckets
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 35}}})
    monkeypatch.setenv("SAFESLOT_BACKUP_BUCKET", bucket)
    settings.cache_clear()
    shred_keys.seal_box("org-lock", shred_keys.ORG, b"x", "t/row")  # one key to write
    report = JobReport("backup")

    write_key_file(report)

    head = s3.head_object(Bucket=bucket, Key=KEY_FILE)
    assert report.ok and report.details["shred_keys"] == 1
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] <= fake_clock.now + timedelta(days=1, minutes=1)


def test_a_second_run_the_same_day_still_drops_a_destroyed_key_from_the_key_file(client, clinic):
    clinic, _, alice, _ = clinic
    erase(clinic.org_id, alice)

    report = invoke(client, "daily_backup")  # the day's backup exists: only the key file is written again

    assert report["ok"] and "skipped" in report
    subjects = subjects_in(key_file(settings().replica_bucket, settings().replica_region))
    assert (clinic.org_id, shred_keys.customer_subject(alice)) not in subjects
