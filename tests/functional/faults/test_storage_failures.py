"""DynamoDB throttled, failing, hanging or unreachable: 503 with Retry-After (not a 500), inside API
Gateway's 29 s, and nothing half-written."""

from __future__ import annotations

import time

import pytest

from chalicelib import aws
from chalicelib.models.booking import Booking, SlotLock
from tests.functional.booking.helpers import at, book
from tests.functional.identity.helpers import body
from tests.harness.fault_proxy import Fault

STORAGE_OUTAGES = [
    Fault("dynamodb", code="ProvisionedThroughputExceededException"),
    Fault("dynamodb", code="ThrottlingException"),
    Fault("dynamodb", code="InternalServerError", status=500),
    Fault("dynamodb", code="ServiceUnavailable", status=503),
    Fault("dynamodb", kind="reset"),
]


@pytest.mark.parametrize("fault", STORAGE_OUTAGES, ids=lambda f: f.code if f.kind == "error" else f.kind)
def test_a_storage_outage_is_503_with_retry_after_not_an_internal_error(client, clinic, day, proxy, fault):
    proxy.inject(fault)

    response = book(client, clinic, at(day, "10:00"))

    assert response.status_code == 503
    assert body(response)["error"]["code"] == "storage_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    proxy.clear()
    assert Booking.count() == 0 and SlotLock.count() == 0


def test_a_throttled_transaction_is_503_and_leaves_no_booking_or_lock(client, clinic, day, proxy):
    proxy.inject(Fault("dynamodb", "TransactWriteItems", code="ThrottlingException"))

    response = book(client, clinic, at(day, "10:00"))

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    proxy.clear()
    assert Booking.count() == 0 and SlotLock.count() == 0


def test_a_hanging_storage_answers_503_well_inside_api_gateways_29_seconds(client, clinic, day, proxy):
    proxy.inject(Fault("dynamodb", kind="hang", seconds=60))
    before = len(proxy.calls_to("dynamodb"))

    started = time.monotonic()
    response = book(client, clinic, at(day, "10:00"))
    took = time.monotonic() - started

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert took < 25
    assert len(proxy.calls_to("dynamodb")) - before == aws.TOTAL_ATTEMPTS  # one call, retried once, then given up


def test_no_aws_call_starts_once_the_request_budget_is_spent(client, clinic, day, proxy, monkeypatch):
    monkeypatch.setattr(aws, "REQUEST_BUDGET_SECONDS", aws.ATTEMPT_SECONDS - 0.5)
    before = len(request_calls(proxy))

    response = book(client, clinic, at(day, "10:00"))

    assert response.status_code == 503
    assert len(request_calls(proxy)) == before


def request_calls(proxy) -> list:
    """The calls a request made: the test client's drain of the mail queue afterwards is not the request's."""
    return [call for call in proxy.calls if "sqs" not in call.service]
