"""Tell an AWS outage from a bug: throttling, 5xx, timeouts and unreachable endpoints are transient
(answer 503 with Retry-After, the caller may retry), anything else stays an internal error.

AWS errors reach us raw (botocore) or wrapped by PynamoDB (`PynamoDBException.cause`); both are walked,
along the explicit cause chain only (`raise ... from`). An exception raised *while handling* an outage
(its `__context__`) is a bug of that handling, not the outage: it is a logged 500, never a 503 a caller
would retry.
"""

from __future__ import annotations

from collections.abc import Iterator

import botocore.exceptions
from pynamodb.exceptions import PynamoDBException

from chalicelib.aws import RequestDeadlineExceeded
from chalicelib.errors import StorageUnavailable, Unavailable

# Error codes AWS uses for "not now" (throttled, overloaded, failing): the same request may succeed later.
TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
    "TooManyRequestsException", "LimitExceededException", "InternalServerError", "InternalFailure",
    "ServiceUnavailable", "ServiceUnavailableException", "TransactionInProgressException", "SlowDown",
    "RequestTimeout", "KMSInternalException", "DependencyTimeoutException",
})


def causes(error: BaseException) -> Iterator[BaseException]:
    """`error` and everything it was explicitly raised from (`__cause__`, PynamoDB's `cause`); not what it
    was raised while handling (`__context__`): an AttributeError in an `except` block is not a timeout."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = current.cause if isinstance(current, PynamoDBException) else None
        current = wrapped or current.__cause__


def error_code(error: BaseException) -> str | None:
    """The AWS error code somewhere in `error`'s chain (e.g. `TransactionCanceledException`), if any."""
    for cause in causes(error):
        if isinstance(cause, botocore.exceptions.ClientError):
            return str(cause.response.get("Error", {}).get("Code", ""))
    return None


# botocore's own errors that mean "could not reach AWS in time" (not bad parameters or missing credentials).
_NETWORK_ERRORS = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError,
                   RequestDeadlineExceeded)


def is_transient(error: BaseException) -> bool:
    """True when `error` comes from AWS being throttled, failing, slow or unreachable."""
    for cause in causes(error):
        if isinstance(cause, _NETWORK_ERRORS):
            return True
        if isinstance(cause, botocore.exceptions.ClientError):
            status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            return cause.response.get("Error", {}).get("Code") in TRANSIENT_CODES or status >= 500
    return False


def as_unavailable(error: BaseException) -> Unavailable | None:
    """The 503 to answer for a transient AWS failure (storage when it came through PynamoDB), else None."""
    if not is_transient(error):
        return None
    through_storage = any(isinstance(cause, PynamoDBException) for cause in causes(error))
    return StorageUnavailable() if through_storage else Unavailable()
