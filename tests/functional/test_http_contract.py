"""What every HTTP caller can rely on: error shape, status codes, security and CORS headers."""

from __future__ import annotations

import json

import pytest

from chalicelib.api import spec

ORIGIN = "https://clinic.example"  # on the test stage's allowlist


def error_of(response) -> dict:
    return json.loads(response.body)["error"]


def test_health_reports_ok_and_version(client):
    response = client.http.get("/v1/health")

    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok", "version": "0.1.0"}


@pytest.mark.parametrize("path", ["/nothing", "/v1/nothing", "/v1/health/extra", "/a/b/c/d/e/f"])
def test_unknown_route_is_a_json_404(client, path):
    response = client.http.get(path)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_a_json_405_naming_allowed_methods(client):
    response = client.http.delete("/v1/health")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_failure_is_a_500_with_correlation_id_and_no_traceback(client, monkeypatch):
    def broken() -> dict:
        raise RuntimeError("secret internals at /srv/app.py line 3")

    monkeypatch.setattr(spec, "document", broken)
    response = client.http.get("/v1/openapi.json")

    error = error_of(response)
    assert response.status_code == 500
    assert error["code"] == "internal_error"
    assert error["correlation_id"] == response.headers["X-Correlation-Id"]
    assert b"Traceback" not in response.body and b"secret internals" not in response.body


@pytest.mark.parametrize("method,path", [("GET", "/v1/health"), ("GET", "/v1/openapi.json"),
                                         ("GET", "/v1/nothing"), ("DELETE", "/v1/health")])
def test_every_response_carries_the_security_headers(client, method, path):
    headers = client.http.request(method, path).headers

    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Correlation-Id"]


def test_errors_are_never_cached(client):
    assert client.http.get("/v1/nothing").headers["Cache-Control"] == "no-store"


def test_allowed_origin_is_echoed_never_a_wildcard(client):
    response = client.http.get("/v1/health", headers={"Origin": ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Vary"] == "Origin"


def test_other_origins_get_no_cors_grant(client):
    response = client.http.get("/v1/health", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_from_allowed_origin_lists_the_path_methods(client):
    response = client.http.request("OPTIONS", "/v1/health", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_from_other_origin_gets_no_grant(client):
    response = client.http.request("OPTIONS", "/v1/health", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers
