"""The OpenAPI document (docs/openapi.yaml) as the one statement of what each route accepts.

Request bodies are validated against the operation's own schema, so the document describes exactly
what the code accepts. The document is read once, on the first request that needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema

from chalicelib.built_once import built_once

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@built_once
def document() -> dict[str, Any]:
    """The parsed OpenAPI document (libyaml's safe loader where PyYAML has it: 0.2 s instead of 1.1 s of a
    cold start's CPU, the same document)."""
    import yaml  # read once, by the first request that validates a body

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(SPEC_PATH.read_text(), Loader=loader)  # noqa: S506 (a safe loader)
    return loaded


@built_once
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
