"""DynamoDB tables for CDK, derived from the PynamoDB models: the models are the one definition."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.models import Model

_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # STRING | NUMBER | BINARY


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition: Key
    sort: Key | None
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE, as the model's index declares
    non_key_attributes: tuple[str, ...] = ()  # projected besides the keys (INCLUDE)


@dataclass(frozen=True)
class TableSpec:
    logical_name: str  # without the stage prefix, e.g. "users"
    partition: Key
    sort: Key | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    pitr_days: int | None = None  # point-in-time recovery window when shorter than DynamoDB's 35 days


def _key(attribute: object | None) -> Key | None:
    if attribute is None:
        return None
    return Key(attribute.attr_name, _TYPES[attribute.attr_type])  # type: ignore[attr-defined]


def _index_spec(index: object) -> IndexSpec:
    attributes = index.Meta.attributes.values()  # type: ignore[attr-defined]
    partition = next(a for a in attributes if a.is_hash_key)
    sort = next((a for a in attributes if a.is_range_key), None)
    projection = index.Meta.projection  # type: ignore[attr-defined]
    return IndexSpec(index.Meta.index_name, _key(partition), _key(sort),  # type: ignore[arg-type,attr-defined]
                     projection.projection_type, tuple(projection.non_key_attributes or ()))


def table_spec(model: type[Model], prefix: str, ttl_attribute: str | None) -> TableSpec:
    partition = _key(model._hash_key_attribute())
    assert partition is not None
    indexes = tuple(_index_spec(index) for index in model._indexes.values())
    return TableSpec(model.Meta.table_name.removeprefix(prefix), partition, _key(model._range_key_attribute()),
                     indexes, ttl_attribute, getattr(model, "PITR_RECOVERY_DAYS", None))


def table_specs(prefix: str) -> tuple[TableSpec, ...]:
    from chalicelib.models import TTL_ATTRIBUTE, TTL_MODELS
    from infra.resources import tables

    return tuple(table_spec(m, prefix, TTL_ATTRIBUTE if m in TTL_MODELS else None) for m in tables())
