"""Every documented route with a path parameter answers a CORS preflight as `/v1/health` does, and a request
whose path parameter is empty (`POST /v1/bookings//cancel`) is a 404 with the standard error body: no 500.

An empty id at the end of a path (`GET /v1/users/`) is another matter: API Gateway drops a trailing slash (and
`chalice local` copies it), so that request is the collection's (`GET /v1/users`) and is answered as such.
Each test walks every route in one client (one moto stack), and names every route that failed.
"""

from __future__ import annotations

import json
import re

from chalicelib.api import spec
from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import token_for

ORIGIN = "https://clinic.example"  # on the test stage's allowlist
PARAMETER = re.compile(r"\{[^}]+\}")
METHODS = {"get", "put", "post", "patch", "delete"}
NOT_FOUND = {"error": {"code": "not_found", "message": "No such resource."}}


def documented_routes_with_parameters() -> list[tuple[str, list[str]]]:
    """(path template, its documented methods) of every documented path that has a path parameter."""
    return [(path, sorted(m.upper() for m in operations if m in METHODS))
            for path, operations in spec.document()["paths"].items() if PARAMETER.search(path)]


ROUTES = documented_routes_with_parameters()
EMPTY_ID_CASES = [(method, path) for path, methods in ROUTES for method in methods]


def send(client, method: str, path: str, **headers: str):
    return client.http.request(method, path, headers={"Content-Type": "application/json", **headers},
                               body=b"{}" if method in {"POST", "PUT", "PATCH"} else b"")


def test_the_document_has_routes_with_path_parameters_to_check():
    assert len(ROUTES) >= 40  # the coverage phase found 47 such routes: a filter bug must not empty these tests
    assert any(not path.endswith("}") for _, path in EMPTY_ID_CASES)


def test_preflight_from_an_allowed_site_on_every_route_with_a_path_parameter_is_granted(client):
    failures = {}
    for path, methods in ROUTES:
        response = client.http.request("OPTIONS", PARAMETER.sub("abc123", path), headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": methods[0],
            "Access-Control-Request-Headers": "authorization, content-type"})
        headers = response.headers
        if not (response.status_code == 204 and headers.get("Access-Control-Allow-Origin") == ORIGIN
                and set(methods) <= set(headers.get("Access-Control-Allow-Methods", "").split(", "))
                and "Authorization" in headers.get("Access-Control-Allow-Headers", "")):
            failures[path] = (response.status_code, response.body[:120])

    assert failures == {}


def test_preflight_from_another_site_on_a_route_with_a_path_parameter_gets_no_grant(client):
    response = client.http.request("OPTIONS", "/v1/bookings/abc123/cancel", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})

    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_empty_path_id_is_a_404_with_the_standard_error_body(client):
    failures = {}
    for method, path in EMPTY_ID_CASES:
        if path.endswith("}"):
            continue
        response = send(client, method, PARAMETER.sub("", path))
        if response.status_code != 404 or json.loads(response.body) != NOT_FOUND:
            failures[f"{method} {path}"] = (response.status_code, response.body[:120])

    assert failures == {}


def test_an_empty_path_id_is_a_404_for_a_signed_in_caller_too(client):
    owner = token_for(client, make_clinic().accounts["owner"])

    response = send(client, "POST", "/v1/bookings//cancel", Authorization=f"Bearer {owner}")

    assert response.status_code == 404
    assert json.loads(response.body) == NOT_FOUND


def test_an_empty_id_at_the_end_of_a_path_is_answered_as_the_collection_never_a_500(client):
    failures = {}
    for method, path in EMPTY_ID_CASES:
        if not path.endswith("}"):
            continue
        emptied = PARAMETER.sub("", path)
        response, collection = send(client, method, emptied), send(client, method, emptied.rstrip("/"))
        standard = response.status_code < 400 or set(json.loads(response.body)["error"]) == {"code", "message"}
        if response.status_code >= 500 or response.status_code != collection.status_code or not standard:
            failures[f"{method} {path}"] = (response.status_code, response.body[:120])

    assert failures == {}


def test_a_preflight_on_an_unknown_path_is_a_404_not_a_grant(client):
    response = client.http.request("OPTIONS", "/v1/nothing/here", headers={"Origin": ORIGIN})

    assert response.status_code == 404
    assert json.loads(response.body) == NOT_FOUND
