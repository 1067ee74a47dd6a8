"""DynamoDB read and write units of what runs inside a block, with the AWS calls it made.

Every DynamoDB request made in the block asks for `ReturnConsumedCapacity=TOTAL` and the answers'
`ConsumedCapacity` are summed (`reported`): against DynamoDB that is the bill. moto answers with
constants (1.0 a write or a query, 0.5 a read, nothing for transactions), so the units are also
worked out from the items themselves by DynamoDB's published rules (`sized`):

- a read: the items read, rounded up to 4 KB (a GetItem per item, a Query or Scan per page of items
  evaluated, before any filter), one unit per 4 KB strongly consistent, half eventually consistent;
- a write: one unit per 1 KB of the larger of the item before and after (a refused conditional write
  still pays for the item); a transaction's items pay twice (condition checks too);
- each global secondary index whose item the write adds, changes or removes: one standard write per
  1 KB of the index item (two when its key moves: a delete and a put).

Sizes come from the items: before and after a write, and a query's items without its filter, are read
with the unmetered client method (not counted). Item sizes follow DynamoDB's rule (names plus values;
numbers about one byte per two digits; lists and maps three bytes plus one per element).
"""

from __future__ import annotations

import collections
import contextlib
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import botocore.client
import botocore.exceptions

READ_UNIT, WRITE_UNIT = 4096, 1024
REPORTS_CAPACITY = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                    "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}


@dataclass
class Usage:
    """What a block consumed: calls by "service:Operation", DynamoDB units, seconds inside AWS calls."""

    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    reported_units: float = 0.0  # the backend's own ConsumedCapacity (moto: placeholders)
    seconds: float = 0.0
    access: collections.Counter[str] = field(default_factory=collections.Counter)  # "Query bookings/by-start"
    write_units_by_table: collections.Counter[str] = field(default_factory=collections.Counter)  # logical names

    def per(self, operations: int) -> dict[str, Any]:
        dynamodb = sum(n for name, n in self.calls.items() if name.startswith("dynamodb:"))
        return {"dynamodb_calls": round(dynamodb / operations, 2),
                "read_units": round(self.read_units / operations, 2),
                "write_units": round(self.write_units / operations, 2),
                "backend_reported_units": round(self.reported_units / operations, 2),
                "calls": {name: round(n / operations, 2) for name, n in sorted(self.calls.items())},
                "access": {name: round(n / operations, 2) for name, n in sorted(self.access.items())}}


@contextlib.contextmanager
def metering() -> Iterator[Usage]:
    """Count every AWS call in the block and size the DynamoDB ones (see the module's docstring)."""
    usage = Usage()
    original = botocore.client.BaseClient._make_api_call
    tables: dict[str, dict[str, Any]] = {}

    def metered(client: Any, operation: str, params: Any) -> Any:
        start = time.perf_counter()
        try:
            return _metered(usage, original, tables, client, operation, params)
        finally:
            usage.seconds += time.perf_counter() - start  # the call and its sizing: neither is SafeSlot's code

    botocore.client.BaseClient._make_api_call = metered
    try:
        yield usage
    finally:
        botocore.client.BaseClient._make_api_call = original


def _metered(usage: Usage, original: Any, tables: dict[str, dict[str, Any]], client: Any, operation: str,
             params: Any) -> Any:
    service = client.meta.service_model.service_name
    usage.calls[f"{service}:{operation}"] += 1
    if service != "dynamodb" or operation not in REPORTS_CAPACITY:
        return original(client, operation, params)
    meter = _Meter(client, original, tables)
    usage.access.update(_accessed(operation, params))
    params = {**params, "ReturnConsumedCapacity": "TOTAL"}
    before = meter.images(operation, params)
    try:
        answer = original(client, operation, params)
    except botocore.exceptions.ClientError:
        _count_writes(usage, meter.write_units(operation, params, before, refused=True))
        raise
    usage.reported_units += sum(float(c.get("CapacityUnits", 0)) for c in _listed(answer.get("ConsumedCapacity")))
    usage.read_units += meter.read_units(operation, params, answer)
    _count_writes(usage, meter.write_units(operation, params, before, refused=False))
    return answer


def _count_writes(usage: Usage, by_table: dict[str, float]) -> None:
    usage.write_units += sum(by_table.values())
    usage.write_units_by_table.update({_logical(table): units for table, units in by_table.items()})


def _accessed(operation: str, params: dict[str, Any]) -> list[str]:
    """What a call reads or writes, as "Operation table[/index]" (the prefix of the stage left out)."""
    if "TableName" in params:
        index = f"/{params['IndexName']}" if "IndexName" in params else ""
        return [f"{operation} {_logical(params['TableName'])}{index}"]
    if "RequestItems" in params:
        return [f"{operation} {_logical(table)}" for table in params["RequestItems"]]
    return [f"{operation} {_logical(next(iter(entry.values()))['TableName'])}"
            for entry in params.get("TransactItems", [])]


def _logical(table: str) -> str:
    from chalicelib.config import settings

    return table.removeprefix(settings().table_prefix)


def _listed(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Meter:
    """Reads sizes through the unmetered client method, so that sizing is neither counted nor billed."""

    def __init__(self, client: Any, call: Any, tables: dict[str, dict[str, Any]]) -> None:
        self.client, self.call, self.tables = client, call, tables

    # --- reads ------------------------------------------------------------------------------------
    def read_units(self, operation: str, params: dict[str, Any], answer: dict[str, Any]) -> float:
        if operation == "GetItem":
            return _read_units([self._full(params["TableName"], params, answer.get("Item"))],
                               params.get("ConsistentRead", False), per_item=True)
        if operation == "BatchGetItem":
            units = 0.0
            for table, request in params["RequestItems"].items():
                found = {self._key_of(table, item): item for item in answer.get("Responses", {}).get(table, [])}
                for key in request["Keys"]:
                    item = found.get(self._key_of(table, key))
                    units += _read_units([self._full(table, request, item)], request.get("ConsistentRead", False),
                                         per_item=True)
            return units
        if operation in ("Query", "Scan"):
            items = answer.get("Items", [])
            if "FilterExpression" in params or ("ProjectionExpression" in params and "IndexName" not in params) \
                    or params.get("Select") == "COUNT":
                items = self._unfiltered(operation, params)
            return _read_units(items, params.get("ConsistentRead", False), per_item=False)
        if operation == "TransactGetItems":
            return 2 * sum(_read_units([self._full(g["Get"]["TableName"], g["Get"], None)], True, per_item=True)
                           for g in params["TransactItems"])
        return 0.0

    def _unfiltered(self, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The page's items as DynamoDB reads them: before the filter, every attribute (of the index)."""
        plain = {k: v for k, v in params.items() if k not in (
            "FilterExpression", "ProjectionExpression", "Select", "ReturnConsumedCapacity")}
        used = set(re.findall(r"[#:][A-Za-z0-9_]+", str(plain.get("KeyConditionExpression", ""))))
        names = {k: v for k, v in plain.get("ExpressionAttributeNames", {}).items() if k in used}
        values = {k: v for k, v in plain.get("ExpressionAttributeValues", {}).items() if k in used}
        plain.pop("ExpressionAttributeNames", None)
        plain.pop("ExpressionAttributeValues", None)
        if names:
            plain["ExpressionAttributeNames"] = names
        if values:
            plain["ExpressionAttributeValues"] = values
        items: list[dict[str, Any]] = self.call(self.client, operation, plain).get("Items", [])
        return items

    def _full(self, table: str, request: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any] | None:
        """The whole stored item (a projection does not make a read cheaper)."""
        if item is not None and "ProjectionExpression" not in request and "AttributesToGet" not in request:
            return item
        key = request.get("Key") or (self._key_item(table, item) if item else None)
        return self._get(table, key) if key else None

    # --- writes -----------------------------------------------------------------------------------
    def images(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any, bool]]:
        """(table, key, item before, transactional) of every item the write touches."""
        return [(table, key, self._get(table, key), tx) for table, key, tx in self._touched(operation, params)]

    def write_units(self, operation: str, params: dict[str, Any], before: list[Any],
                    refused: bool) -> dict[str, float]:
        """Write units by table name (a table's index writes counted with it)."""
        units: dict[str, float] = collections.defaultdict(float)
        for table, key, old, transactional in before:
            new = old if refused else self._get(table, key)
            size = max(_size(old), _size(new))
            units[table] += (2 if transactional else 1) * max(1, math.ceil(size / WRITE_UNIT))
            if not refused:
                units[table] += self._index_writes(table, old, new)
        return dict(units)

    def _touched(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
        if operation in ("PutItem",):
            return [(params["TableName"], self._key_item(params["TableName"], params["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(params["TableName"], params["Key"], False)]
        if operation == "BatchWriteItem":
            return [(table, request["DeleteRequest"]["Key"] if "DeleteRequest" in request
                     else self._key_item(table, request["PutRequest"]["Item"]), False)
                    for table, requests in params["RequestItems"].items() for request in requests]
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                [(kind, action)] = entry.items()
                key = action["Item"] if kind == "Put" else action["Key"]
                found.append((action["TableName"], self._key_item(action["TableName"], key), True))
            return found
        return []

    def _index_writes(self, table: str, old: Any, new: Any) -> float:
        units = 0.0
        for index in self._describe(table).get("GlobalSecondaryIndexes", []):
            table_keys = self._key_names(table)
            before, after = _index_item(index, table_keys, old), _index_item(index, table_keys, new)
            if before == after:
                continue
            keys = [k["AttributeName"] for k in index["KeySchema"]]
            moved = before is not None and after is not None and any(before[k] != after[k] for k in keys)
            for image in ((before, after) if moved else (max((before, after), key=_size),)):
                if image is not None:
                    units += max(1, math.ceil(_size(image) / WRITE_UNIT))
        return units

    # --- table descriptions ---------------------------------------------------------------------
    def _describe(self, table: str) -> dict[str, Any]:
        if table not in self.tables:
            self.tables[table] = self.call(self.client, "DescribeTable", {"TableName": table})["Table"]
        return self.tables[table]

    def _key_names(self, table: str) -> list[str]:
        return [k["AttributeName"] for k in self._describe(table)["KeySchema"]]

    def _key_item(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._key_names(table)}

    def _key_of(self, table: str, item: dict[str, Any]) -> str:
        return repr(sorted((name, repr(item.get(name))) for name in self._key_names(table)))

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.call(self.client, "GetItem", {
            "TableName": table, "Key": key, "ConsistentRead": True}).get("Item")
        return item


def _index_item(index: dict[str, Any], table_keys: list[str], item: dict[str, Any] | None) -> dict[str, Any] | None:
    """The item the index holds for `item` (None when the item lacks the index's keys)."""
    if item is None:
        return None
    keys = [k["AttributeName"] for k in index["KeySchema"]]
    if any(k not in item for k in keys):
        return None
    projection = index.get("Projection", {"ProjectionType": "ALL"})
    if projection["ProjectionType"] == "ALL":
        return item
    kept = {*keys, *table_keys, *projection.get("NonKeyAttributes", [])}
    return {name: value for name, value in item.items() if name in kept}


def _read_units(items: list[Any], consistent: bool, per_item: bool) -> float:
    """Units of a read: per item for GetItem and batches, per page (summed sizes) for Query and Scan."""
    sizes = [_size(item) for item in items]
    blocks = sum(max(1, math.ceil(s / READ_UNIT)) for s in sizes) if per_item else \
        max(1, math.ceil(sum(sizes) / READ_UNIT))
    return blocks * (1.0 if consistent else 0.5)


def _size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    [(kind, data)] = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return 1 + (len(digits) + 1) // 2
