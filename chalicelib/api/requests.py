"""Reading what a request carries: its JSON body (parsed, size-checked, schema-validated) and origin."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import fastjsonschema
from chalice.app import Request

from chalicelib import clock
from chalicelib.api import spec
from chalicelib.errors import InvalidJson, PayloadTooLarge, ValidationFailed
from chalicelib.services.audit import Origin

MAX_BODY_BYTES = 64 * 1024


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, validated against its operation's schema in openapi.yaml."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    body = _parse(raw)
    validate = spec.body_validator(request.context["resourcePath"], request.method or "")
    if validate is not None:
        try:
            validate(body)
        except fastjsonschema.JsonSchemaValueException as error:
            raise ValidationFailed(_describe(error), field=_field_of(error)) from error
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    return body


def _parse(raw: str | bytes) -> Any:
    """JSON that every later step can handle: no NaN or Infinity, no lone surrogates, bounded nesting
    and integer size (Python's own limits raise RecursionError and ValueError: a 400, never a 500)."""
    try:
        body = json.loads(raw or b"null", parse_constant=_refuse_constant)
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # a lone surrogate cannot be encoded
    except (ValueError, RecursionError, UnicodeError) as error:  # JSONDecodeError is a ValueError
        raise InvalidJson() from error
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def query_param(request: Request, name: str) -> str | None:
    params = request.query_params
    return params.get(name) if params else None


def header(request: Request, name: str) -> str | None:
    return request.headers.get(name.lower()) or None


def parse_instant(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 instant with its UTC offset, or a 422 naming the field."""
    return None if value is None else clock.parse_instant(value, name)


def required_instant(value: str | None, name: str) -> datetime:
    """Like `parse_instant`, and the value must be there."""
    instant = parse_instant(value, name)
    if instant is None:
        raise ValidationFailed(f"Field '{name}' is required.", field=name)
    return instant


def origin_of(request: Request) -> Origin:
    """Source IP as API Gateway saw the connection (never X-Forwarded-For) and the user agent."""
    identity = request.context.get("identity") or {}
    return Origin(source_ip=identity.get("sourceIp"), user_agent=request.headers.get("user-agent"))


def _field_of(error: fastjsonschema.JsonSchemaValueException) -> str:
    path = [str(part) for part in (error.path or [])[1:]]  # the first part is "data"
    name_offender = _OFFENDING_FIELD.get(error.rule or "")
    if name_offender:
        path.append(name_offender(error))
    return ".".join(p for p in path if p) or "body"


def _missing_field(error: fastjsonschema.JsonSchemaValueException) -> str:
    present = error.value if isinstance(error.value, dict) else {}
    return next((f for f in error.rule_definition or [] if f not in present), "")


def _extra_field(error: fastjsonschema.JsonSchemaValueException) -> str:
    allowed = set((error.definition or {}).get("properties", {}))
    present = error.value if isinstance(error.value, dict) else {}
    return next((k for k in present if k not in allowed), "")


_OFFENDING_FIELD = {"required": _missing_field, "additionalProperties": _extra_field}


def _describe(error: fastjsonschema.JsonSchemaValueException) -> str:
    field = _field_of(error)
    if error.rule == "required":
        return f"Field '{field}' is required."
    if error.rule == "additionalProperties":
        return f"Field '{field}' is not allowed."
    return f"Field '{field}' is invalid ({error.rule})."
