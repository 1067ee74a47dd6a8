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


IDS = {"booking_id": "3f2a9c1e5b7d4e6f8a0b1c2d3e4f5a6b", "customer_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
       "staff_id": "9e8d7c6b5a4f30211203f4e5d6c7b8a9", "user_id": "1234567890abcdef1234567890abcdef",
       "org_id": "fedcba0987654321fedcba0987654321"}


def test_correlation_and_resource_ids_survive_so_an_incident_can_be_traced():
    request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"  # API Gateway's shape
    line = json.loads(formatted(f"unexpected error in request {request_id}", correlation_id=request_id,
                                **IDS, subjects=dict(IDS)))

    assert line["correlation_id"] == request_id and request_id in line["message"]
    assert {k: line[k] for k in IDS} == IDS and line["subjects"] == IDS


def test_personal_data_under_an_id_key_is_still_redacted():
    line = formatted("lookup", customer_id="alice@example.org", user_id="Alice Liddell",
                     booking_id="tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0xyz", correlation_id="Bearer abc.def")

    for leaked in ("alice@example.org", "Alice", "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0xyz", "Bearer abc"):
        assert leaked not in line


def test_hex_ids_in_free_text_stay_redacted_only_uuids_survive_there():
    line = formatted("token 1234567890abcdef1234567890abcdef1234567890abcdef for c6af9ac6-7b61-11e6-9a41-93e8deadbeef")

    assert "1234567890abcdef1234567890abcdef" not in line
    assert "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" in line
