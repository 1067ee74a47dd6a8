"""Structured JSON logs with a correlation id, redacted before they are written (ASVS 16.2.5).

Redaction works on keys (any key naming a secret or personal field) and on text (bearer tokens,
e-mail addresses, long opaque strings), so a careless `logger.info(..., extra=...)` cannot leak.
Ids are not secrets and an incident needs them: a value under an id key (`booking_id`, ...) that has
an id's shape, and a UUID anywhere (request and correlation ids), survive; any other value under an
id key is redacted.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

REDACTED = "[redacted]"
SENSITIVE_KEY_PARTS = (
    "password", "token", "secret", "code", "otp", "authorization", "cookie", "sealed",
    "email", "phone", "notes", "name", "credential", "key",
)
# Keys the logger itself writes; they are not user data.
_SAFE_KEYS = {"error_code", "status_code", "level", "location", "message", "timestamp", "service",
              "correlation_id", "exception_name", "xray_trace_id", "sampling_rate", "exception",
              "stack_trace"}
# Keys whose values are our own random ids (uuid4 hex) or API Gateway's request ids, never personal data.
ID_KEYS = frozenset({"correlation_id", "request_id", "org_id", "user_id", "booking_id", "customer_id",
                     "staff_id", "service_id", "factor_id", "entry_id"})
_ID_SHAPE = re.compile(r"[0-9a-f]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SENSITIVE_TEXT = re.compile(
    r"(?i)bearer\s+\S+"  # Authorization header values
    r"|[^\s@\"']+@[^\s@\"']+\.[^\s@\"']+"  # e-mail addresses
    r"|[A-Za-z0-9_\-+=]{32,}"  # opaque tokens, keys, ciphertexts (not file paths: no "/")
)


def redact_text(text: str) -> str:
    return _SENSITIVE_TEXT.sub(lambda found: found[0] if _UUID.fullmatch(found[0]) else REDACTED, text)


def redact(value: Any, key: str = "") -> Any:
    """A copy of `value` with sensitive keys and sensitive-looking text replaced."""
    if key and key not in _SAFE_KEYS and any(part in key.lower() for part in SENSITIVE_KEY_PARTS):
        return REDACTED
    if key in ID_KEYS and isinstance(value, str):  # an id has an id's shape; anything else may be personal
        return value if _ID_SHAPE.fullmatch(value) else REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return super().serialize(redact(dict(log)))


# Not named "safeslot": Chalice sets its app logger of that name to ERROR when debug is off, which
# would silence every INFO and WARNING line (the lockout metric counts WARNING lines).
logger = Logger(service="safeslot-api", logger_formatter=RedactingFormatter())
