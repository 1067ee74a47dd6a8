"""Draft the missing examples of docs/openapi.yaml from its schemas: `python -m scripts.openapi_examples`.

For each operation without one, an example request body (before its `schema:` line) and an example answer
(in its first success response that has content) are written in place, one line each, nothing reordered:
branches adding operations merge cleanly. Values come from each schema's own `example`, enum, format,
bounds and the property's name; each draft is checked against its schema as the service checks bodies
(fastjsonschema), and a draft that does not pass is left out and named, for a person to write.
tests/functional/test_openapi_examples.py requires an example on every operation and checks each one.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch")
ID = "9b2f4e6a1c3d4b5e8f7a6b5c4d3e2f1a"
BY_NAME = {  # a property's name says more than its type
    "email": "ana.lima@example.org", "new_email": "ana.lima@example.org", "name": "Ana Lima",
    "phone": "+12125550143", "sms_to": "+12125550143", "timezone": "America/New_York", "tz": "America/New_York",
    "slug": "demo", "org": "demo", "password": "correct horse battery staple 42",
    "new_password": "a long new passphrase 7", "current_password": "correct horse battery staple 42",
    "code": "123456", "locale": "en", "language": "en", "role": "staff", "status": "confirmed",
    "currency": "USD", "country": "US", "reason": "The patient asked by phone.", "notes": "First visit.",
    "message": "Done.", "summary": "Opening hours changed.", "title": "Consultation", "method": "totp",
    "address": "12 Main Street, New York, NY 10001", "website": "https://clinic.example.org",
    "display_name": "Dr. Ana Lima", "api_host": "api-1a2b3c4d.duosecurity.com", "user_agent": "Mozilla/5.0",
}
FORMATS = {"date-time": "2027-03-03T14:00:00+00:00", "date": "2027-03-03", "email": "ana.lima@example.org",
           "uri": "http://127.0.0.1:8000/book/demo", "uuid": "0b6f2c1e-8a4d-4e5f-9c3b-2a1d0e9f8c7b",
           "time": "09:00", "ipv4": "192.0.2.10", "binary": "", "byte": "c2FmZXNsb3Q="}
TEXT_ANSWERS = {"text/html": "<!doctype html><html lang=\"en\"><title>SafeSlot</title>...</html>",
                "text/calendar": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n...\r\nEND:VCALENDAR\r\n",
                "text/csv": "id,start,end\r\n...", "text/plain": "...", "text/css": "...",
                "application/javascript": "...", "text/javascript": "..."}


_NONE = object()  # no value declared


def _declared(schema: dict[str, Any]) -> Any:
    """The value the schema itself gives (example, const, default, first of examples or enum), else _NONE."""
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    for key in ("examples", "enum"):
        if schema.get(key):
            return schema[key][0]
    return _NONE


class Drafter:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            target: Any = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    def sample(self, schema: Any, name: str = "", full: bool = True, depth: int = 0) -> Any:
        """A value of `schema`; `full`: every property of objects (answers), else the required ones (requests)."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 8:
            return None
        declared = _declared(schema)
        if declared is not _NONE:
            return declared
        branches = schema.get("oneOf") or schema.get("anyOf")
        if branches:
            return self.sample(branches[0], name, full, depth + 1)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.sample(part, name, full, depth + 1)
                merged.update(value if isinstance(value, dict) else {})
            return merged
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            return self.object(schema, full, depth)
        if kind == "array":
            item = self.sample(schema.get("items", {}), name.rstrip("s"), full, depth + 1)
            return [item] * max(1, int(schema.get("minItems", 1)))
        return self.scalar(schema, kind, name)

    def scalar(self, schema: dict[str, Any], kind: str, name: str) -> Any:
        if kind in ("integer", "number"):
            low, high = schema.get("minimum", 1), schema.get("maximum")
            value = max(low, 1) if high is None else min(max(low, 1), high)
            return int(value) if kind == "integer" else value
        if kind in ("boolean", "null"):
            return kind == "boolean" or None
        return self.text(schema, name)

    def object(self, schema: dict[str, Any], full: bool, depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        wanted = list(properties) if full else [p for p in properties if p in schema.get("required", [])]
        if len(wanted) < int(schema.get("minProperties", 0)):
            wanted += [p for p in properties if p not in wanted][: int(schema["minProperties"]) - len(wanted)]
        return {p: self.sample(properties[p], p, full, depth + 1) for p in wanted}

    def text(self, schema: dict[str, Any], name: str) -> str:
        candidates = [FORMATS.get(schema.get("format", "")), BY_NAME.get(name)]
        if name == "id" or name.endswith("_id"):
            candidates.append(ID)
        late = name.endswith(("end", "to", "until"))
        if name.endswith(("_at", "start", "end", "from", "to", "until")):
            candidates.append("2027-03-03T14:30:00+00:00" if late else FORMATS["date-time"])
        if name in ("date", "day") or name.endswith(("_date", "_day", "_on")):
            candidates.append(FORMATS["date"])
        if name.endswith(("url", "_link", "uri")):
            candidates += [FORMATS["uri"], "https://clinic.example.org/duo/callback"]
        if name.endswith(("color", "colour")):
            candidates.append("#1f6feb")
        candidates.append("17:00" if late else "09:00")  # a wall-clock time (opening hours)
        if name.endswith("token"):
            candidates.append("q4v7-Jd8m1XwYpZ0aLr3sTu6Vb9NcEe2")
        candidates += [name.replace("_", " ").capitalize() or "text", "a"]
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        for value in (c for c in candidates if c is not None):
            value = value.ljust(low, "x")
            if high is not None:
                value = value[: int(high)]
            if "pattern" not in schema or re.search(schema["pattern"], value):
                return value
        return "x" * max(low, 1)


def _compile(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    return fastjsonschema.compile({**schema, "components": document.get("components", {})})


def _valid(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    try:
        _compile(document, schema)(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def success_response(document: dict[str, Any], operation: dict[str, Any]) -> tuple[list[str], dict[str, Any]] | None:
    """(path in the document, response object) of the operation's first success answer with content."""
    drafter = Drafter(document)
    for status, response in operation.get("responses", {}).items():
        if not str(status).startswith(("2", "3")):
            continue
        where = response.get("$ref", "").lstrip("#/").split("/") if "$ref" in response else []
        response = drafter.resolve(response)
        if response.get("content"):
            return where, response
    return None


def _media_mark(node: yaml.Node, keys: list[str]) -> yaml.MappingNode | None:
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if k.value == key), None)  # type: ignore[assignment]
        if node is None:
            return None
    return node if isinstance(node, yaml.MappingNode) else None


def draft(text: str) -> tuple[str, list[str]]:
    """The document with drafted examples inserted, and the operations still lacking one."""
    document = yaml.safe_load(text)
    tree = yaml.compose(text)
    assert tree is not None, "an empty document"
    drafter = Drafter(document)
    inserts: dict[int, str] = {}  # line index -> line to insert before it
    lacking = []

    def add(keys: list[str], value: Any, schema: dict[str, Any] | None, label: str) -> None:
        media = _media_mark(tree, keys)
        if media is None or any(k.value in ("example", "examples") for k, _ in media.value):
            return
        if schema is not None and not _valid(document, schema, value):
            lacking.append(label)
            return
        first_key = media.value[0][0]
        line = " " * first_key.start_mark.column + "example: " + json.dumps(value, ensure_ascii=False) + "\n"
        inserts.setdefault(first_key.start_mark.line, line)

    for path, item in document["paths"].items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                _draft_operation(document, drafter, path, method, add)
    lines = text.splitlines(keepends=True)
    for index in sorted(inserts, reverse=True):
        lines.insert(index, inserts[index])
    return "".join(lines), lacking


def _draft_operation(document: dict[str, Any], drafter: Drafter, path: str, method: str, add: Any) -> None:
    """Draft the request and answer examples of one operation through `add(keys, value, schema, label)`."""
    operation = document["paths"][path][method]
    label = f"{method.upper()} {path}"
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media and "example" not in media:
        add(["paths", path, method, "requestBody", "content", "application/json"],
            drafter.sample(media.get("schema", {}), full=False), media.get("schema"), label + " (request)")
    answer = success_response(document, operation)
    if answer is None:
        return
    where, response = answer
    status = next(s for s, r in operation["responses"].items() if drafter.resolve(r) is response)
    base = where or ["paths", path, method, "responses", str(status)]
    for media_type, media in response["content"].items():
        if "example" in media or "examples" in media:
            continue
        if media_type == "application/json":
            add([*base, "content", media_type], drafter.sample(media.get("schema", {})), media.get("schema"),
                label + " (answer)")
        else:
            add([*base, "content", media_type], TEXT_ANSWERS.get(media_type, "..."), None, label)


def main() -> None:
    text, lacking = draft(DOCUMENT.read_text())
    DOCUMENT.write_text(text)
    for label in lacking:
        print(f"no draft passes its schema: {label}", file=sys.stderr)


if __name__ == "__main__":
    main()
