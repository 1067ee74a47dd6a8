"""Bad input gets a clear 4xx with a stable code; a broken KMS gets 503 and nothing is written."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest

from chalicelib import aws
from chalicelib.crypto import envelope
from tests.functional.identity.helpers import body, make_org, post_json, token_for

LOGIN = "/v1/auth/login"


def raw_post(client, path, payload: bytes, **headers):
    return client.http.post(path, headers={"Content-Type": "application/json", **headers}, body=payload)


def test_malformed_json_is_400_invalid_json(client):
    response = raw_post(client, LOGIN, b'{"org": "acme",')

    assert (response.status_code, body(response)["error"]["code"]) == (400, "invalid_json")


def test_body_over_64_kib_is_413(client):
    response = raw_post(client, LOGIN, json.dumps({"org": "a" * 70_000}).encode())

    assert (response.status_code, body(response)["error"]["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("payload,field", [
    ({"org": "acme", "email": "a@b.example"}, "password"),
    ({"org": "acme", "email": "a@b.example", "password": "x", "admin": True}, "admin"),
    ({"org": "acme", "email": "a@b.example", "password": 42}, "password"),
    ([], "body"),
])
def test_body_failing_its_schema_is_422_naming_the_field(client, payload, field):
    response = raw_post(client, LOGIN, json.dumps(payload).encode())

    error = body(response)["error"]
    assert (response.status_code, error["code"], error["field"]) == (422, "validation_failed", field)


def test_validation_errors_do_not_echo_the_values_sent(client):
    response = raw_post(client, LOGIN, json.dumps({"org": "acme", "email": "a@b.example",
                                                   "password": ["hunter2-secret"]}).encode())

    assert b"hunter2-secret" not in response.body


def test_other_content_types_are_415(client):
    response = client.http.post(LOGIN, headers={"Content-Type": "text/plain"}, body=b"hello")

    assert (response.status_code, body(response)["error"]["code"]) == (415, "unsupported_media_type")


def test_kms_refusing_makes_the_request_503_and_writes_nothing(client, aws_stack, monkeypatch):
    accounts = make_org("acme")
    owner = token_for(client, accounts["owner"])
    users_before = boto3.client("dynamodb").scan(TableName="safeslot-test-users")["Count"]
    original_session = aws.botocore_session

    def refusing_session():
        session = original_session()
        session.register("before-call.kms", lambda **_: (
            SimpleNamespace(status_code=400), {"Error": {"Code": "KMSInvalidStateException", "Message": "x"}}))
        return session

    monkeypatch.setattr(aws, "botocore_session", refusing_session)
    envelope.reset_sealers()  # a cold container: nothing cached

    response = post_json(client, "/v1/users", {"email": "n@acme.example", "name": "N", "role": "staff"}, owner)

    error = body(response)["error"]
    assert (response.status_code, error["code"]) == (503, "encryption_unavailable")
    assert error["correlation_id"] == response.headers["X-Correlation-Id"]
    assert boto3.client("dynamodb").scan(TableName="safeslot-test-users")["Count"] == users_before
