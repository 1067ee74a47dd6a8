"""Tables a restore creates are as protected as the stack's own (infra/stack.py): the customer key, PITR,
TTL on the TTL attribute for the tables that expire rows, deletion protection.

moto reports SSE, deletion protection, PITR and TTL of a table it creates; it ignores
SSESpecificationOverride on RestoreTableFromBackup (the request is checked instead)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.config import settings
from chalicelib.jobs import restore
from chalicelib.jobs.restore import Source
from chalicelib.jobs.runner import JobReport
from chalicelib.jobs.tables import owned_tables
from chalicelib.models import TTL_ATTRIBUTE, TTL_MODELS
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.jobs.helpers import invoke


def dynamodb():
    return boto3.client("dynamodb", region_name="us-east-1")


def assert_protected_like_the_originals(tables: dict[str, str], encrypted: bool = True) -> None:
    owned = owned_tables()
    for logical, table in tables.items():
        described = dynamodb().describe_table(TableName=table)["Table"]
        assert described["DeletionProtectionEnabled"] is True, table
        if encrypted:
            assert described["SSEDescription"]["Status"] == "ENABLED", table
            assert described["SSEDescription"]["SSEType"] == "KMS", table
            assert described["SSEDescription"]["KMSMasterKeyArn"] == settings().key_arn, table
        pitr = dynamodb().describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", table
        ttl = dynamodb().describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if owned[logical] in TTL_MODELS:
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", TTL_ATTRIBUTE), table
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED", table


@pytest.fixture
def backed_up(client, fake_clock) -> str:
    book(client, make_clinic(), at(next_weekday(), "10:00"))
    assert invoke(client, "daily_backup")["ok"]
    return fake_clock.now.strftime("%Y-%m-%d")


def test_tables_restored_from_an_export_get_the_customer_key_pitr_ttl_and_deletion_protection(client, backed_up):
    report = JobReport("restore")

    restored = restore.run_restore(report, backed_up, Source.primary(), "restored-")

    assert report.ok, report.failures
    assert set(restored.tables) == set(owned_tables())
    assert_protected_like_the_originals(restored.tables)


def test_tables_restored_from_on_demand_backups_ask_for_the_customer_key_and_are_protected(
        client, backed_up, monkeypatch):
    import botocore.client

    sent, original = [], botocore.client.BaseClient._make_api_call

    def watched(api, operation, params):
        if operation == "RestoreTableFromBackup":
            sent.append(params)
        return original(api, operation, params)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", watched)
    report = JobReport("restore")

    restored = restore.run_backup_restore(report, backed_up, "from-backup-")

    assert report.ok, report.failures
    assert_protected_like_the_originals(restored.tables, encrypted=False)  # moto ignores the override
    assert {p["SSESpecificationOverride"]["KMSMasterKeyId"] for p in sent} == {settings().key_arn}
    assert len(sent) == len(owned_tables())


def test_the_drill_still_removes_its_protected_scratch_tables(client, backed_up):
    before = dynamodb().list_tables()["TableNames"]

    assert invoke(client, "weekly_restore_drill")["ok"]

    assert dynamodb().list_tables()["TableNames"] == before


def test_a_table_restored_from_before_an_index_existed_gets_it_filled_from_its_rows(aws_stack):
    """A backup taken before the bookings' busy-by-start index (ADR 0019) restores without it: the slots
    query would fail on the restored table. Protecting the table adds the index, filled from the rows."""
    from chalicelib.jobs.tables import protect
    from chalicelib.models.booking import Booking

    schema = Booking._get_schema()
    old = [i for i in schema["global_secondary_indexes"] if i["index_name"] != "busy-by-start"]
    dynamodb().create_table(
        TableName="old-bookings", BillingMode="PAY_PER_REQUEST", KeySchema=schema["key_schema"],
        AttributeDefinitions=list({d["AttributeName"]: d for d in schema["attribute_definitions"] + [
            d for i in old for d in i["attribute_definitions"]]}.values()),
        GlobalSecondaryIndexes=[{"IndexName": i["index_name"], "KeySchema": i["key_schema"],
                                 "Projection": i["projection"]} for i in old])
    dynamodb().put_item(TableName="old-bookings", Item={
        "org_id": {"S": "org"}, "booking_id": {"S": "b1"}, "starts_at": {"S": "2026-12-08T10:00:00.000000+0000"},
        "staff_id": {"S": "s1"}, "status": {"S": "confirmed"}, "granules": {"L": [{"N": "1"}]},
        "customer_id": {"S": "c1"}})

    protect("old-bookings", Booking)

    indexes = {i["IndexName"]: i for i in dynamodb().describe_table(TableName="old-bookings")["Table"][
        "GlobalSecondaryIndexes"]}
    assert indexes["busy-by-start"]["Projection"]["ProjectionType"] == "INCLUDE"
    [row] = dynamodb().query(TableName="old-bookings", IndexName="busy-by-start",
                             KeyConditionExpression="org_id = :o", ExpressionAttributeValues={":o": {"S": "org"}})[
        "Items"]
    assert row["staff_id"] == {"S": "s1"} and "customer_id" not in row
