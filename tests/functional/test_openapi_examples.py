"""docs/openapi.yaml is a document tools can trust (issue 27, item 4): every operation shows an example
request and answer, each example passes its own schema as the service checks bodies (fastjsonschema over
the document's components), and no schema holds a key made of half a description (an unquoted comma in a
YAML flow mapping splits it). Redocly lints the same document in `make lint`."""

from __future__ import annotations

from typing import Any

import fastjsonschema
import pytest
import yaml

from chalicelib.api.spec import SPEC_PATH
from scripts.openapi_examples import METHODS, success_response

DOCUMENT: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())


def operations() -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", item[method]) for path, item in DOCUMENT["paths"].items()
            for method in METHODS if isinstance(item.get(method), dict)]


def examples(operation: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(what, schema, example) of the operation's JSON request and first success answer."""
    found = []
    request = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if request and "example" in request:
        found.append(("request", request.get("schema", {}), request["example"]))
    answer = success_response(DOCUMENT, operation)
    if answer:
        for media_type, media in answer[1]["content"].items():
            if "example" in media and media_type == "application/json":
                found.append(("answer", media.get("schema", {}), media["example"]))
    return found


def lacking(operation: dict[str, Any]) -> list[str]:
    """Which examples the operation lacks: "request" (it takes a JSON body) and/or "answer" (it answers content)."""
    missing = []
    request = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if request is not None and "example" not in request and "examples" not in request:
        missing.append("request")
    answer = success_response(DOCUMENT, operation)
    if answer and not any("example" in media or "examples" in media for media in answer[1]["content"].values()):
        missing.append("answer")
    return missing


def test_every_operation_has_an_example_request_and_answer():
    missing = {name: lacking(operation) for name, operation in operations() if lacking(operation)}

    assert missing == {}, "operations without an example (draft them: python -m scripts.openapi_examples):\n" + \
        "\n".join(f"  {name}: {', '.join(what)}" for name, what in sorted(missing.items()))


@pytest.mark.parametrize(("name", "operation"), operations(), ids=[name for name, _ in operations()])
def test_each_example_passes_its_own_schema(name, operation):
    for what, schema, example in examples(operation):
        validate = fastjsonschema.compile({**schema, "components": DOCUMENT.get("components", {})})
        try:
            validate(example)
        except fastjsonschema.JsonSchemaException as error:
            pytest.fail(f"{name}: the example {what} fails its schema: {error.message}")


def test_no_schema_holds_a_key_split_from_a_description():
    split = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and " " in key and value is None and not where.endswith("/paths"):
                    split.append(f"{where}: {key!r}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(DOCUMENT, "")

    assert split == []
