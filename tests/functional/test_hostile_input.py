"""Inputs an attacker or a fuzzer sends: each gets a 4xx with a stable code, never a 5xx (issue 12)."""

from __future__ import annotations

import json

import pytest

from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import body, call, token_for

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic()


@pytest.mark.parametrize("raw", [
    b'{"email": "\\ud800@example.org"}',  # a lone surrogate: valid JSON, not encodable text
    b'{"email": "a@example.org", "x": NaN}',
    b'{"email": Infinity}',
    b'{"email": ' + b"9" * 5000 + b"}",  # beyond Python's integer digit limit
    b"[" * 5000 + b"]" * 5000,  # deeper than the parser's recursion
])
def test_hostile_json_is_a_400_invalid_json(client, clinic, raw):
    response = client.http.post("/v1/public/orgs/clinic/my-bookings", headers=JSON, body=raw)

    assert (response.status_code, body(response)["error"]["code"]) == (400, "invalid_json")


@pytest.mark.parametrize("first,last", [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01")])
def test_dates_at_the_ends_of_the_calendar_are_a_422(client, clinic, first, last):
    response = client.http.get(f"/v1/public/orgs/clinic/slots?service_id={clinic.service['id']}"
                               f"&from={first}&to={last}")

    assert (response.status_code, body(response)["error"]["code"]) == (422, "validation_failed")


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00",
                                   "0001-01-01T00:00:00+14:00"])
def test_instants_at_the_ends_of_the_calendar_are_a_422(client, clinic, start):
    booking = {"service_id": clinic.service["id"], "start": start,
               "customer": {"name": "Y", "email": "y@example.org"}}
    response = client.http.post("/v1/public/orgs/clinic/bookings", headers=JSON, body=json.dumps(booking))

    assert (response.status_code, body(response)["error"]["field"]) == (422, "start")


@pytest.mark.parametrize("token", ["", ".", "..", "a..", ".b.c", "x" * 5000, "org.user", "\u00e9.\u00e9.\u00e9"])
def test_malformed_setup_tokens_are_a_401(client, clinic, token):
    response = client.http.post("/v1/auth/setup", headers=JSON,
                                body=json.dumps({"token": token, "password": "a long enough passphrase"}))

    assert response.status_code in (401, 422) and body(response)["error"]["code"] in (
        "invalid_token", "validation_failed")


@pytest.mark.parametrize("path", ["/v1/bookings//cancel", "/v1/public/bookings//cancel", "//v1/health"])
def test_empty_path_segments_are_a_4xx(client, clinic, path):
    response = client.http.post(path, headers=JSON, body=b"{}")

    assert 400 <= response.status_code < 500 and "code" in body(response)["error"]


@pytest.mark.parametrize("query", ["limit=%C2%B2", "limit=%D9%A3", "from=9999-12-31T23:59:59Z",
                                   "to=0001-01-01T00:00:00Z"])
def test_odd_digits_and_far_dates_in_staff_queries_are_a_422(client, clinic, query):
    owner = token_for(client, clinic.accounts["owner"])

    for path in ("/v1/audit-events", "/v1/login-attempts"):
        response = call(client, "GET", f"{path}?{query}", owner)
        assert (response.status_code, body(response)["error"]["code"]) == (422, "validation_failed"), path
