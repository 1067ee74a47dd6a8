"""The same model on another table: restores load backups into tables with other names, and the work
redone on them (erasures replayed, sessions emptied) uses the models' own code against those tables."""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.models import Model

M = TypeVar("M", bound=Model)


def on_table(model: type[M], table: str) -> type[M]:
    """A subclass of `model` whose items live in `table` (same keys, indexes, attributes and sealing)."""
    meta: dict[str, Any] = {name: value for name, value in vars(model.Meta).items() if not name.startswith("__")}
    meta["table_name"] = table
    return type(model.__name__, (model,), {"Meta": type("Meta", (), meta), "_connection": None,
                                           "__module__": model.__module__})
