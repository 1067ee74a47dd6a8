"""Which AWS failures are outages (503, retry later) and which are bugs (500)."""

from __future__ import annotations

import botocore.exceptions
import pytest
from pynamodb.exceptions import GetError, TransactWriteError

from chalicelib import outages
from chalicelib.aws import RequestDeadlineExceeded
from chalicelib.errors import StorageUnavailable, Unavailable


def client_error(code: str, status: int = 400) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetItem")


@pytest.mark.parametrize("error", [
    client_error("ProvisionedThroughputExceededException"), client_error("ThrottlingException"),
    client_error("InternalServerError", 500), client_error("Whatever", 503),
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"),
    botocore.exceptions.ConnectionClosedError(endpoint_url="http://x"),
    botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"),
    RequestDeadlineExceeded(),
], ids=type)
def test_throttling_5xx_and_network_failures_are_outages(error):
    assert outages.is_transient(error)
    assert isinstance(outages.as_unavailable(GetError("get failed", error)), StorageUnavailable)
    assert type(outages.as_unavailable(error)) is Unavailable


@pytest.mark.parametrize("error", [
    client_error("ValidationException"), client_error("ConditionalCheckFailedException"),
    client_error("AccessDeniedException"), client_error("ResourceNotFoundException"),
    botocore.exceptions.ParamValidationError(report="bad"), botocore.exceptions.NoCredentialsError(),
    KeyError("x"),
], ids=type)
def test_bad_requests_and_bugs_are_not_outages(error):
    assert not outages.is_transient(error)
    assert outages.as_unavailable(TransactWriteError("failed", error)) is None
