"""The local AWS's DynamoDB (scripts/local_aws.py, applied in process by `atomic_dynamodb`): a cancelled
transaction puts back exactly the items it touched, and moto keeps no copies of tables or items."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

TABLE = "local-aws-probe"


@pytest.fixture
def dynamodb(atomic_dynamodb):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        yield client


def key(sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "org"}, "sk": {"S": sk}}


def cancelled_transaction(client) -> None:
    """Changes `counted`, adds `new`, deletes `gone`, then fails its condition on `taken`."""
    with pytest.raises(botocore.exceptions.ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key("counted"), "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**key("new"), "n": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": key("gone")}},
            {"Put": {"TableName": TABLE, "Item": key("taken"), "ConditionExpression": "attribute_not_exists(pk)"}},
        ])


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb):
    for sk in ("counted", "gone", "taken", "untouched"):
        dynamodb.put_item(TableName=TABLE, Item={**key(sk), "n": {"N": "7"}})

    cancelled_transaction(dynamodb)

    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted((item["sk"]["S"], item["n"]["N"]) for item in items) == [
        ("counted", "7"), ("gone", "7"), ("taken", "7"), ("untouched", "7")]


def test_transactions_and_reads_leave_no_copies_behind(dynamodb):
    from moto.core.model_instances import model_data

    for sk in ("counted", "gone", "taken"):
        dynamodb.put_item(TableName=TABLE, Item={**key(sk), "n": {"N": "7"}})

    for _ in range(50):
        cancelled_transaction(dynamodb)
        dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :org",
                       ExpressionAttributeValues={":org": {"S": "org"}})

    kept = {name: len(model.instances_tracked) for name, model in model_data["dynamodb"].items()}
    assert kept == dict.fromkeys(kept, 0)


def test_an_export_reads_its_table_whole_and_completes(dynamodb):
    import gzip
    import json
    import time

    for sk in ("a", "b", "c"):
        dynamodb.put_item(TableName=TABLE, Item=key(sk))
    dynamodb.update_continuous_backups(TableName=TABLE, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="exports")
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]

    export = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="probe")
    while (status := dynamodb.describe_export(ExportArn=export["ExportDescription"]["ExportArn"])
           ["ExportDescription"]["ExportStatus"]) == "IN_PROGRESS":
        time.sleep(0.05)

    [data] = [o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"] if o["Key"].endswith(".gz")]
    lines = gzip.decompress(s3.get_object(Bucket="exports", Key=data)["Body"].read()).decode().splitlines()
    assert status == "COMPLETED" and sorted(json.loads(line)["Item"]["sk"]["S"] for line in lines) == ["a", "b", "c"]
