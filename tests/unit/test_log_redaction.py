"""No password, token, code, personal value or ciphertext reaches a log line."""

from __future__ import annotations

import json
import logging

from chalicelib.logs import RedactingFormatter

SECRETS = {
    "password": "correct horse battery staple",
    "token": "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "totp_code": "123456",
    "email": "alice@example.org",
    "phone": "+15551234567",
    "sealed": "AYADeJ2xk3lQ0vB8r7mN5pL4kJ9hG2fD1sA0zX",
}


def formatted(message: str, **extra: object) -> str:
    record = logging.LogRecord("safeslot", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return RedactingFormatter().format(record)


def test_sensitive_keys_are_redacted_whatever_their_values():
    line = formatted("login", **SECRETS, nested={"Authorization": "Bearer abc", "user_name": "Alice"})

    for value in [*SECRETS.values(), "Bearer abc", "Alice"]:
        assert value not in line
    assert json.loads(line)["password"] == "[redacted]"


def test_secrets_inside_free_text_are_redacted():
    line = formatted("failed for alice@example.org with Bearer tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0")

    assert "alice@example.org" not in line
    assert "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0" not in line


def test_operational_fields_survive():
    line = json.loads(formatted("request", route="/v1/health", status_code=200, error_code="not_found"))

    assert (line["route"], line["status_code"], line["error_code"]) == ("/v1/health", 200, "not_found")


def test_newlines_cannot_forge_log_lines():
    line = formatted("user agent: x\n{\"level\": \"INFO\", \"message\": \"forged\"}")

    assert "\n" not in line
