"""The OpenAPI document (docs/openapi.yaml) as the one statement of what each route accepts.

Request bodies are validated against the operation's own schema, so the document describes exactly
what the code accepts. The document is read once, on the first request that needs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@functools.cache
def document() -> dict[str, Any]:
    """The parsed OpenAPI document."""
    import yaml  # read once, by the first request that validates a body

    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@functools.cache
def body_validator(path: str, method: str) -> Callable[[Any], Any] | None:
    """A compiled validator for the JSON body of `method path`, or None if it takes no body."""
    operation = document()["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    # Resolve #/components/... references against the whole document.
    root = {**schema, "components": document().get("components", {})}
    validate: Callable[[Any], Any] = fastjsonschema.compile(root)
    return validate
