"""SafeSlot's tables as the backup jobs see them: raw DynamoDB items (still sealed), portable as JSON."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.models import Model

from chalicelib import aws, outages
from chalicelib.config import settings


def owned_tables() -> dict[str, type[Model]]:
    """logical name ("bookings") -> model, for every table SafeSlot owns and backs up."""
    from chalicelib.models import ALL_MODELS, UNBACKED_MODELS

    prefix = settings().table_prefix
    return {model.Meta.table_name.removeprefix(prefix): model for model in ALL_MODELS
            if model not in UNBACKED_MODELS}


SCAN_PAGE_TRIES = 4  # each try is itself a client call with its own retries (the jobs': aws.job_settings)
SCAN_RETRY_PAUSE_SECONDS = 2.0


def scan(table: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
    """Every raw item of `table`, read consistently, once each. Resumable: a page that still fails after
    the client's retries is asked for again from where the scan stood, not from the start."""
    start: dict[str, Any] | None = None
    while True:
        page = _scan_page(table, start, page_size)
        yield from page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _scan_page(table: str, start: dict[str, Any] | None, page_size: int | None) -> dict[str, Any]:
    options = {**({"ExclusiveStartKey": start} if start else {}), **({"Limit": page_size} if page_size else {})}
    for attempt in range(1, SCAN_PAGE_TRIES + 1):
        try:
            page: dict[str, Any] = aws.client("dynamodb").scan(TableName=table, ConsistentRead=True, **options)
            return page
        except Exception as error:
            if attempt == SCAN_PAGE_TRIES or not outages.is_transient(error):
                raise
            time.sleep(SCAN_RETRY_PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")


def create_like(model: type[Model], table: str) -> None:
    """A new, empty table named `table` with `model`'s keys and indexes and the stack's protections
    (infra/stack.py): encrypted with the customer key, deletion protection, PITR and TTL; waits until
    it is active."""
    schema = model._get_schema()
    definitions = {d["AttributeName"]: d for d in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"]:
        definitions.update({d["AttributeName"]: d for d in index["attribute_definitions"]})
    options: dict[str, Any] = {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                               "AttributeDefinitions": list(definitions.values()), "KeySchema": schema["key_schema"],
                               "DeletionProtectionEnabled": True, **_customer_key_encryption()}
    if schema["global_secondary_indexes"]:
        options["GlobalSecondaryIndexes"] = [
            {"IndexName": i["index_name"], "KeySchema": i["key_schema"], "Projection": i["projection"]}
            for i in schema["global_secondary_indexes"]]
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(**options)
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    _recoverable_and_expiring(table, model)


def protect(table: str, model: type[Model]) -> None:
    """What a restored table needs besides its key: deletion protection, PITR, TTL, and the indexes its
    model declares (a backup taken before an index existed restores without it)."""
    aws.client("dynamodb").update_table(TableName=table, DeletionProtectionEnabled=True)
    add_missing_indexes(table, model)
    _recoverable_and_expiring(table, model)


INDEX_WAIT_SECONDS, INDEX_POLL_SECONDS = 1800.0, 10.0


def add_missing_indexes(table: str, model: type[Model]) -> list[str]:
    """Create each index `model` declares that `table` lacks, one at a time as DynamoDB requires, and wait
    until DynamoDB has filled it from the table's rows; returns the names created."""
    dynamodb = aws.client("dynamodb")
    present = {i["IndexName"] for i in dynamodb.describe_table(TableName=table)["Table"].get(
        "GlobalSecondaryIndexes", [])}
    created = []
    for index in model._get_schema()["global_secondary_indexes"]:
        if index["index_name"] in present:
            continue
        dynamodb.update_table(TableName=table, AttributeDefinitions=index["attribute_definitions"],
                              GlobalSecondaryIndexUpdates=[{"Create": {
                                  "IndexName": index["index_name"], "KeySchema": index["key_schema"],
                                  "Projection": index["projection"]}}])
        _wait_until_active(table, index["index_name"])
        created.append(index["index_name"])
    return created


def _wait_until_active(table: str, index_name: str) -> None:
    deadline = time.monotonic() + INDEX_WAIT_SECONDS
    while True:
        found = aws.client("dynamodb").describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == index_name and i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in found):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"index {index_name} of {table} is still being filled")
        time.sleep(INDEX_POLL_SECONDS)


def _recoverable_and_expiring(table: str, model: type[Model]) -> None:
    from chalicelib.models import TTL_ATTRIBUTE, TTL_MODELS

    dynamodb = aws.client("dynamodb")
    dynamodb.update_continuous_backups(TableName=table, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    if model in TTL_MODELS:
        dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": TTL_ATTRIBUTE})


def drop(table: str) -> None:
    """Delete a table this code made (a drill's scratch table): lift its deletion protection first."""
    dynamodb = aws.client("dynamodb")
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=table)


def _customer_key_encryption() -> dict[str, Any]:
    """SSE with the customer-managed key (the local stack makes its tables before it has the key)."""
    key = settings().key_arn
    return {"SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}} if key else {}


def write_all(table: str, items: list[dict[str, Any]]) -> None:
    """Put every item into `table`, 25 a batch, retrying what DynamoDB leaves unprocessed."""
    dynamodb = aws.client("dynamodb")
    for start in range(0, len(items), 25):
        pending = {table: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def to_json(item: dict[str, Any]) -> dict[str, Any]:
    """A raw item with its binary values in base64, so that it fits in JSON."""
    return {name: _map_binary(value, _b64) for name, value in item.items()}


def from_json(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _map_binary(value, base64.b64decode) for name, value in item.items()}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _map_binary(value: dict[str, Any], convert: Any) -> dict[str, Any]:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": convert(inner)}
    if kind == "BS":
        return {"BS": [convert(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _map_binary(v, convert) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_map_binary(v, convert) for v in inner]}
    return value
