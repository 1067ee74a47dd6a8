"""Deleting every item of an org from a set of tables: the live ones, or tables a restore made.

The keys of every table are found first (a ViaParent selector needs its parents' keys), then deleted
25 at a time. Which items belong to an org is declared per model in models/ownership.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from pynamodb.models import Model

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.models.ownership import RawItem, ViaParent, key_names, org_item_keys, selector_of


def live_tables() -> dict[type[Model], str]:
    """Every table SafeSlot owns, by model, under its live name."""
    from chalicelib.models import ALL_MODELS

    return {model: model.Meta.table_name for model in ALL_MODELS}


def tables_named(names: Mapping[str, str]) -> dict[type[Model], str]:
    """Restored tables (logical name -> table name) by model; names of no model are left out."""
    from chalicelib.models import ALL_MODELS

    by_logical = {logical_name(model): model for model in ALL_MODELS}
    return {by_logical[logical]: table for logical, table in names.items() if logical in by_logical}


def org_keys(org_id: str, tables: Mapping[type[Model], str]) -> dict[type[Model], list[RawItem]]:
    """The keys of every item of `org_id` in `tables`, parents before the items that name them and the
    org's own row last (deleted last, a deletion cut short is found and finished by the next run)."""
    from chalicelib.models.organization import Organization

    ordered = sorted(tables, key=lambda model: (model is Organization, isinstance(selector_of(model), ViaParent)))
    found: dict[type[Model], list[RawItem]] = {}
    parents: dict[type[Model], set[str]] = {}
    for model in ordered:
        found[model] = list(org_item_keys(model, tables[model], org_id, parents))
        hash_key = key_names(model)[0]
        parents[model] = {key[hash_key]["S"] for key in found[model] if "S" in key[hash_key]}
    return found


def delete_org_items(org_id: str, tables: Mapping[type[Model], str]) -> dict[str, int]:
    """Delete every item of `org_id` in `tables`; returns how many went, per logical table name."""
    counts: dict[str, int] = {}
    for model, keys in org_keys(org_id, tables).items():
        _delete_keys(tables[model], keys)
        counts[logical_name(model)] = len(keys)
    return counts


def logical_name(model: type[Model]) -> str:
    return str(model.Meta.table_name).removeprefix(settings().table_prefix)


def _delete_keys(table: str, keys: list[RawItem]) -> None:
    dynamodb = aws.client("dynamodb")
    for start in range(0, len(keys), 25):
        pending = {table: [{"DeleteRequest": {"Key": key}} for key in keys[start:start + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
