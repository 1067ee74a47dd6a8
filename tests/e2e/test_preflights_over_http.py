"""Over HTTP against `chalice local` (the stack `make run` starts): a browser's CORS preflight from the
allowed embedding site to every documented route with a path parameter is granted as `/v1/health`'s is
(it was a 500 on 47 routes), and an empty path id (`POST /v1/bookings//cancel`) is a 404."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from chalicelib.api import spec

pytestmark = pytest.mark.e2e
ALLOWED_SITE = "http://localhost:8000"  # on the local stage's allowlist (.chalice/config.json)
PARAMETER = re.compile(r"\{[^}]+\}")
METHODS = {"get", "put", "post", "patch", "delete"}
ROUTES = {path: sorted(m.upper() for m in operations if m in METHODS)
          for path, operations in spec.document()["paths"].items() if PARAMETER.search(path)}


def send(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one raw HTTP request: the path goes out exactly as written."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method=method), timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_preflight_from_the_allowed_site_to_every_route_with_a_path_parameter_is_granted(stack):
    credentials, _ = stack
    assert len(ROUTES) >= 40
    refused = {}
    for path, methods in ROUTES.items():
        status, headers, _ = send("OPTIONS", credentials["api"] + PARAMETER.sub("abc123", path), {
            "Origin": ALLOWED_SITE, "Access-Control-Request-Method": methods[0],
            "Access-Control-Request-Headers": "authorization, content-type"})
        granted = (status == 204 and headers.get("Access-Control-Allow-Origin") == ALLOWED_SITE
                   and set(methods) <= set(headers.get("Access-Control-Allow-Methods", "").split(", ")))
        if not granted:
            refused[path] = status

    assert refused == {}


def test_an_empty_path_id_is_a_404_with_the_standard_error_body(stack):
    credentials, _ = stack
    inner = [(method, path) for path, methods in ROUTES.items() for method in methods if not path.endswith("}")]
    wrong = {}
    for method, path in inner:
        status, _, body = send(method, credentials["api"] + PARAMETER.sub("", path),
                               {"Content-Type": "application/json"}, b"{}" if method != "GET" else None)
        if status != 404 or json.loads(body) != {"error": {"code": "not_found", "message": "No such resource."}}:
            wrong[f"{method} {path}"] = (status, body[:100])

    assert "/v1/bookings/{booking_id}/cancel" in {path for _, path in inner}
    assert wrong == {}
