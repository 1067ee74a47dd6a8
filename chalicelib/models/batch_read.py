"""Reading rows of several tables in one BatchGetItem: a request that needs an org, a user and a session
pays one round trip for the rows it already knows the keys of, not one per table (issue 24)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pynamodb.models import Model

from chalicelib.errors import StorageUnavailable
from chalicelib.models.base import shared_connection

M = TypeVar("M", bound=Model)
MAX_ROUNDS = 5  # UnprocessedKeys (throttling) are asked again, then the read fails: never half an answer


def read_many(wanted: Sequence[tuple[type[Model], Any, Any]]) -> list[Model | None]:
    """The rows named by (model, hash key, range key or None), read consistently in one BatchGetItem
    (tables may differ); None where a row does not exist. At most 100 keys."""
    requests: dict[str, dict[str, Any]] = {}
    keys = []
    for model, hash_key, range_key in wanted:
        key = _serialized_key(model, hash_key, range_key)
        keys.append((model.Meta.table_name, key))
        requests.setdefault(model.Meta.table_name, {"Keys": [], "ConsistentRead": True})["Keys"].append(key)
    found = _fetch(requests)
    rows: list[Model | None] = []
    for (model, _, _), (table, key) in zip(wanted, keys, strict=True):
        raw = next((item for item in found.get(table, []) if all(item.get(k) == v for k, v in key.items())), None)
        rows.append(model.from_raw_data(raw) if raw is not None else None)
    return rows


def _fetch(requests: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    client = shared_connection().client
    found: dict[str, list[dict[str, Any]]] = {}
    for _ in range(MAX_ROUNDS):
        try:
            answer = client.batch_get_item(RequestItems=requests)
        except Exception as error:
            # The raw client, not PynamoDB: a timeout or throttle here is DynamoDB's, so it answers
            # storage_unavailable (nothing changed, retry) like every other read, not a generic 503.
            from chalicelib.outages import is_transient

            if is_transient(error):
                raise StorageUnavailable() from error
            raise
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        requests = answer.get("UnprocessedKeys") or {}
        if not requests:
            return found
    raise StorageUnavailable()  # throttled throughout: 503, the caller may retry


def _serialized_key(model: type[Model], hash_key: Any, range_key: Any) -> dict[str, Any]:
    hash_attribute = model._hash_key_attribute()
    key = {hash_attribute.attr_name: {hash_attribute.attr_type: hash_attribute.serialize(hash_key)}}
    if range_key is not None:
        range_attribute = model._range_key_attribute()
        key[range_attribute.attr_name] = {range_attribute.attr_type: range_attribute.serialize(range_key)}
    return key
