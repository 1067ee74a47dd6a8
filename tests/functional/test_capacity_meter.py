"""The cost model's meter (bench/capacity.py) charges what DynamoDB's published rules charge: moto's own
ConsumedCapacity is a constant per call, so the units `make bench` prints come from the items' sizes."""

from __future__ import annotations

import boto3
import pytest

from bench.capacity import metering


@pytest.fixture
def table(aws_stack) -> str:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="metered", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "by")],
        GlobalSecondaryIndexes=[{"IndexName": "lean", "KeySchema": [{"AttributeName": "by", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    return "metered"


def item(sk: str, payload_bytes: int, by: str | None = None) -> dict:
    found = {"pk": {"S": "p"}, "sk": {"S": sk}, "d": {"S": "x" * payload_bytes}}
    return {**found, "by": {"S": by}} if by else found


def test_writes_pay_per_kilobyte_twice_in_a_transaction_and_once_more_per_index_item(table):
    client = boto3.client("dynamodb", region_name="us-east-1")
    with metering() as small:
        client.put_item(TableName=table, Item=item("a", 900))  # 900 bytes and the names: 1 unit
    with metering() as large:
        client.put_item(TableName=table, Item=item("b", 1500))  # 2 units
    with metering() as indexed:
        client.put_item(TableName=table, Item=item("c", 100, by="x"))  # 1 unit, and 1 for the index item
    with metering() as transaction:
        client.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item("d", 100)}},
                                                   {"Put": {"TableName": table, "Item": item("e", 1500)}}])

    assert (small.write_units, large.write_units, indexed.write_units) == (1, 2, 2)
    assert transaction.write_units == 2 * 1 + 2 * 2
    assert transaction.calls["dynamodb:TransactWriteItems"] == 1 and transaction.reported_units == 0  # moto


def test_reads_pay_per_four_kilobytes_half_when_eventually_consistent_and_a_filter_saves_nothing(table):
    client = boto3.client("dynamodb", region_name="us-east-1")
    for n in range(3):
        client.put_item(TableName=table, Item=item(f"i{n}", 3000))  # three items of about 3 KB: 9 KB read

    with metering() as eventual:
        client.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "i0"}})
    with metering() as strong:
        client.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "i0"}}, ConsistentRead=True,
                        ProjectionExpression="pk")
    with metering() as filtered:
        found = client.query(TableName=table, KeyConditionExpression="pk = :p", FilterExpression="sk = :s",
                             ExpressionAttributeValues={":p": {"S": "p"}, ":s": {"S": "i1"}})["Items"]

    assert (eventual.read_units, strong.read_units) == (0.5, 1.0)  # a projection reads the whole item
    assert len(found) == 1 and filtered.read_units == 0.5 * 3  # 9 KB read (before the filter): 3 blocks, halved
    assert filtered.calls == {"dynamodb:Query": 1}  # sizing reads are neither counted nor charged
