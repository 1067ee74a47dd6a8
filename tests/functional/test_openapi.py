"""docs/openapi.yaml is valid and describes every route the app serves, and nothing else."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from app import app
from chalicelib.errors import ERROR_TABLE

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def served_operations() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, methods in app.routes.items()
        for method, entry in methods.items()
        if method in HTTP_METHODS and not entry.view_name.startswith("not_found")
    }


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in HTTP_METHODS
    }


def test_served_document_is_valid_openapi(client):
    response = client.http.get("/v1/openapi.json")

    assert response.status_code == 200
    validate(json.loads(response.body))


def test_every_route_is_documented_and_every_documented_route_exists(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    assert served_operations() == documented_operations(document)


PUBLIC_OPERATIONS = {("/v1/health", "get"), ("/v1/openapi.json", "get"), ("/v1/auth/login", "post"),
                     ("/v1/auth/setup", "post"), ("/v1/auth/password/forgot", "post"),
                     ("/v1/auth/mfa/verify", "post"),
                     ("/v1/auth/mfa/sms/send", "post"), ("/v1/auth/mfa/webauthn/options", "post"),
                     ("/v1/auth/mfa/voice/call", "post"), ("/v1/auth/mfa/duo/start", "post"),
                     ("/v1/public/orgs/{slug}", "get"), ("/v1/public/orgs/{slug}/slots", "get"),
                     ("/v1/public/orgs/{slug}/bookings", "post"), ("/v1/public/orgs/{slug}/my-bookings", "post"),
                     ("/v1/public/orgs/{slug}/bookings/{booking_id}/confirm", "post"),
                     ("/v1/public/my-bookings", "get"), ("/v1/public/bookings/{booking_id}", "get"),
                     ("/v1/public/bookings/{booking_id}/reschedule", "post"),
                     ("/v1/public/bookings/{booking_id}/cancel", "post"),
                     ("/book/{slug}", "get"), ("/manage/{booking_id}", "get"), ("/my/bookings", "get"),
                     ("/static/{name}", "get")}
PUBLIC_OPERATIONS |= {("/v1/public/orgs/{slug}/privacy-policy", "get"), ("/v1/public/my-access-report", "get"),
                      ("/privacy/{slug}", "get")}  # transparency (issue 15)
PUBLIC_OPERATIONS |= {("/v1/public/bookings/{booking_id}/calendar.ics", "get")}
PUBLIC_OPERATIONS |= {(f"/v1/public/orgs/{{slug}}/self-service/{path}", method) for path, method in (  # issue 14
    ("link", "post"), ("session", "post"), ("session", "delete"), ("me", "get"), ("me", "patch"), ("email", "post"),
    ("email/confirm", "post"), ("export", "get"), ("erasure-request", "post"))} | {("/my/data/{slug}", "get")}
PUBLIC_OPERATIONS |= {("/console", "get"), ("/console/static/{name}", "get")}  # the staff console's page (issue 25)
PUBLIC_OPERATIONS |= {("/v1/calendar-feeds/{secret}", "get"), ("/v1/public/bookings/{booking_id}/intake", "get"),
                      ("/v1/public/bookings/{booking_id}/intake", "put"),
                      ("/v1/public/bookings/{booking_id}/waitlist", "post"),
                      ("/v1/public/orgs/{slug}/waitlist/{entry_id}/accept", "post")}  # issue 29


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() in HTTP_METHODS:
                yield path, method, operation


def resolve(document: dict, schema: dict) -> dict:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return document["components"]["schemas"][name]
    return schema


def test_every_operation_documents_its_responses(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, method, operation in operations(document):
        assert operation.get("responses"), (method, path)


def test_every_request_body_schema_rejects_unknown_fields(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, method, operation in operations(document):
        if "requestBody" in operation:
            schema = resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
            assert schema.get("additionalProperties") is False, (method, path)


def test_every_staff_operation_declares_the_bearer_scheme(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, method, operation in operations(document):
        if (path, method) not in PUBLIC_OPERATIONS:
            assert operation.get("security") == [{"bearer": []}], (method, path)


def test_every_operation_that_takes_a_body_documents_its_refusals(client):
    # a body that is not JSON answers 400, one its schema refuses 422 (every schema refuses unknown fields)
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, method, operation in operations(document):
        if "requestBody" in operation:
            assert {"400", "422"} <= set(operation["responses"]), (method, path)


SECRETS = {"password", "current_password", "code", "recovery_code", "token"}
# Secrets no one can guess, or that the caller was just shown: no guessing limit to document.
UNGUESSABLE = {("/v1/auth/setup", "post"),  # a 256-bit setup token
               ("/v1/auth/mfa/totp/confirm", "post")}  # the app's first code: the caller holds its secret


def test_every_operation_that_checks_a_secret_limits_guesses_and_documents_429(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, method, operation in operations(document):
        schema = resolve(document, operation.get("requestBody", {}).get("content", {})
                         .get("application/json", {}).get("schema", {}))
        if SECRETS & set(schema.get("properties", {})) and (path, method) not in UNGUESSABLE:
            assert "429" in operation["responses"], (method, path)


def test_the_documented_error_codes_are_exactly_the_ones_the_app_answers(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)
    error = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]

    assert sorted(error["enum"]) == sorted({code for _, code in ERROR_TABLE.values()})


def test_operations_opened_with_a_patients_token_declare_it_as_an_api_key_and_document_the_answer_without_it(
        client, aws_stack):
    """The patient's link or session token is a security scheme (tools then know the operation needs it and
    that it is a secret); called without it, each operation answers as its document says."""
    from chalicelib.api.public import MANAGE_TOKEN_HEADER
    from chalicelib.services.self_service.sessions import HEADER as SESSION_HEADER
    from tests.functional.identity.helpers import make_org

    make_org("tokens")
    document = json.loads(client.http.get("/v1/openapi.json").body)
    schemes = document["components"]["securitySchemes"]
    secured = [(path, method, operation) for path, method, operation in operations(document)
               if operation.get("security") not in ([], [{"bearer": []}], None)]

    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items() if name != "bearer"} == {
        "manageToken": ("apiKey", "header", MANAGE_TOKEN_HEADER),
        "selfServiceSession": ("apiKey", "header", SESSION_HEADER)}
    assert len(secured) == 16
    for path, method, operation in secured:
        [[scheme]] = [list(requirement) for requirement in operation["security"]]
        assert scheme in schemes and (path, method) in PUBLIC_OPERATIONS, (method, path)
        assert not [p for p in operation.get("parameters", []) if p.get("in") == "header"], (method, path)
        url = re.sub(r"\{\w+\}", "unknown", path.replace("{slug}", "tokens"))
        answer = client.http.request(method.upper(), url, headers={"Content-Type": "application/json"},
                                     body=b"{}" if "requestBody" in operation else b"")
        assert str(answer.status_code) in operation["responses"], (method, path, answer.status_code)
