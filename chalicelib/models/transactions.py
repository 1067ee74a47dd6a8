"""Write transactions whose outcome is always known: applied, or refused with nothing written.

A TransactWriteItems can be applied while its answer is lost (timeout, reset, 5xx); botocore then
retries it. Every transaction carries a ClientRequestToken, so DynamoDB applies a retry at most once,
and any failure is resolved by reading back (`applied`) before answering: a refusal then really means
nothing was written, and a write that landed is never reported as failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import StorageUnavailable
from chalicelib.models.base import transaction

CONDITION_FAILED = "ConditionalCheckFailed"


def new_request_token() -> str:
    """A fresh ClientRequestToken (at most 36 characters)."""
    return uuid.uuid4().hex


def commit(write: Callable[[TransactWrite], None], token: str, applied: Callable[[], bool]) -> bool:
    """Run `write` as one transaction. True: applied (now, or by an attempt whose answer was lost).
    False: refused by a condition, nothing written. Raises StorageUnavailable when DynamoDB failed and
    the read-back shows nothing applied (the caller may retry)."""
    try:
        with transaction(token) as tx:
            write(tx)
    except TransactWriteError as error:
        if applied():
            return True
        if refused_by_own_conditions(error):
            return False
        raise StorageUnavailable() from error
    return True


def refused_by_own_conditions(error: TransactWriteError) -> bool:
    """A refusal by the transaction's own conditions (nothing written), not a failure of DynamoDB."""
    if error.cause_response_code != "TransactionCanceledException":
        return False
    codes = [reason.code for reason in error.cancellation_reasons or [] if reason is not None]
    causes = [code for code in codes if code != "None"]  # DynamoDB names the items not at fault "None"
    return bool(causes) and all(code == CONDITION_FAILED for code in causes)
