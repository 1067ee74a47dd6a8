"""The local AWS's DynamoDB item answers written as JSON at once, not through moto's generic serializer.

moto 5.2 writes every answer by walking the operation's botocore output shape: each attribute value of each
item is an `AttributeValue` structure whose ten members are each looked up under several spellings. In a
100-caller burst that was 43% of the local AWS's CPU (py-spy), about 8 ms per answer of a few items. An item
operation's result is already DynamoDB's wire shape (`dynamo_to_dict`: `{"S": ...}` values, binary as bytes),
so `json.dumps` with binary base64-encoded writes the same document. Anything else (errors, table
descriptions, timestamps) still goes through moto's serializer;
tests/functional/test_local_aws.py checks that both write the same answers.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

ITEM_ACTIONS = frozenset({"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                          "TransactWriteItems", "TransactGetItems", "BatchWriteItem"})
CONTENT_TYPE = "application/x-amz-json-1.0"  # DynamoDB's JSON protocol version


class _NotPlain(TypeError):
    """A value this path does not write (a timestamp, a model object): moto's serializer writes it."""


def _binary(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise _NotPlain(type(value).__name__)


@functools.cache
def _output_members(action: str) -> frozenset[str]:
    from moto.core.responses import get_service_model

    shape = get_service_model("dynamodb").operation_model(action).output_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def plain_json(result: object, action: str) -> str | None:
    """The answer's body, or None when moto's serializer must write it."""
    if action not in ITEM_ACTIONS or not isinstance(result, dict):
        return None
    members = _output_members(action)  # what the serializer writes: the output shape's members, if set
    shown = {k: v for k, v in result.items() if v is not None and k in members}
    try:
        return json.dumps(shown, default=_binary, separators=(",", ":"))
    except _NotPlain:
        return None


def plain_json_answers(serialized: Callable[..., Any]) -> Callable[..., Any]:
    """`BaseResponse.serialized` for DynamoDB's handler: item answers written by `plain_json`."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoResult

    def answer(handler: Any, action_result: Any) -> Any:
        if type(action_result) in (ActionResult, DynamoResult):
            body = plain_json(action_result.result, handler._get_action())
            if body is not None:
                return 200, {"Content-Type": CONTENT_TYPE, **handler.response_headers}, body
        return serialized(handler, action_result)

    return answer


def answer_patches() -> list[tuple[object, str, Any]]:
    """(owner, attribute name, replacement): apply with setattr (the server) or monkeypatch (tests)."""
    from moto.dynamodb.responses import DynamoHandler

    return [(DynamoHandler, "serialized", plain_json_answers(DynamoHandler.serialized))]
