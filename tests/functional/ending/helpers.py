"""Operators' commands as manage.py runs them, and what every table holds."""

from __future__ import annotations

import json
from typing import Any

import boto3

import manage


def run(capsys, *argv: str) -> tuple[int, dict[str, Any]]:
    """Run manage.py with `argv`; its exit code and the report it printed."""
    code = manage.main(list(argv))
    printed = capsys.readouterr().out
    return code, json.loads(printed[printed.index("{\n"):])


def every_item(tables: list[str] | None = None) -> dict[str, list[str]]:
    """Every item of every table (or of `tables`), as JSON text: table name -> items."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    found: dict[str, list[str]] = {}
    for table in tables or dynamodb.list_tables()["TableNames"]:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        found[table] = [json.dumps(item, sort_keys=True, default=str) for page in pages for item in page["Items"]]
    return found


def mentioning(org_id: str, tables: list[str] | None = None) -> dict[str, list[str]]:
    """The items that name `org_id` anywhere (key, attribute, nested value), per table."""
    return {table: hits for table, items in every_item(tables).items()
            if (hits := [item for item in items if org_id in item])}
