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


def _raised_while_handling(outage: BaseException) -> BaseException:
    try:
        raise outage
    except type(outage):
        try:
            _ = outage.retry_after_seconds  # type: ignore[attr-defined]  # a bug in the handling of the outage
        except AttributeError as bug:
            return bug
    raise AssertionError("unreachable")


@pytest.mark.parametrize("outage", [
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://x"), client_error("ThrottlingException"),
    GetError("get failed", botocore.exceptions.ReadTimeoutError(endpoint_url="http://x")),
], ids=type)
def test_a_bug_raised_while_handling_an_outage_is_a_bug_not_an_outage(outage):
    bug = _raised_while_handling(outage)

    assert bug.__context__ is outage and bug.__cause__ is None
    assert not outages.is_transient(bug)
    assert outages.as_unavailable(bug) is None


def test_an_outage_raised_from_an_outage_explicitly_is_still_an_outage():
    timeout = botocore.exceptions.ReadTimeoutError(endpoint_url="http://x")
    try:
        raise RuntimeError("wrapped") from timeout
    except RuntimeError as wrapped:
        assert outages.is_transient(wrapped)


def test_a_write_that_failed_on_the_network_has_no_aws_code_and_asking_for_it_is_no_bug():
    import chalicelib.models.base  # noqa: F401  (mends PynamoDB's cause_response_code)

    failed = TransactWriteError("failed", botocore.exceptions.ConnectionClosedError(endpoint_url="http://x"))

    assert failed.cause_response_code is None and failed.cause_response_message is None
    assert outages.is_transient(failed)
