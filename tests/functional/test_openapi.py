"""docs/openapi.yaml is valid and describes every route the app serves, and nothing else."""

from __future__ import annotations

import json

from openapi_spec_validator import validate

from app import app

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


def test_every_operation_documents_its_responses_and_request_body_schema(client):
    document = json.loads(client.http.get("/v1/openapi.json").body)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("responses"), (method, path)
            if method in ("post", "put", "patch"):
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                assert schema, (method, path)
