"""Write transactions whose outcome is always known: applied, or refused with nothing written.

A TransactWriteItems can be applied while its answer is lost (timeout, reset, 5xx); botocore then
retries it. Every transaction carries a ClientRequestToken, so DynamoDB applies a retry at most once,
and any failure is resolved by reading back (`applied`) before answering: a refusal then really means
nothing was written, and a write that landed is never reported as failed.

A transaction cancelled only because another one was writing one of its items at that instant
(TransactionConflict: two bookings of different slots of one staff-hour lock item) was refused by nothing
of its own: it is tried again, a few times with jitter, before DynamoDB is called unavailable.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import StorageUnavailable
from chalicelib.models.base import transaction

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"
CONFLICT_TRIES = 4  # attempts in all when only concurrent transactions got in the way
CONFLICT_PAUSE_SECONDS = 0.02  # the jittered wait before a retry is up to this, doubled each time


def new_request_token() -> str:
    """A fresh ClientRequestToken (at most 36 characters)."""
    return uuid.uuid4().hex


def commit(write: Callable[[TransactWrite], None], token: str, applied: Callable[[], bool]) -> bool:
    """Run `write` as one transaction. True: applied (now, or by an attempt whose answer was lost).
    False: refused by a condition, nothing written. Raises StorageUnavailable when DynamoDB failed and
    the read-back shows nothing applied (the caller may retry)."""
    for attempt in range(CONFLICT_TRIES):
        try:
            with transaction(token if attempt == 0 else new_request_token()) as tx:
                write(tx)
        except TransactWriteError as error:
            if applied():
                return True
            if refused_by_own_conditions(error):
                return False
            if not (_conflicted(error) and attempt + 1 < CONFLICT_TRIES):
                raise StorageUnavailable() from error
            time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * 2 ** attempt))  # noqa: S311 (jitter, not a secret)
            continue
        return True
    raise AssertionError("unreachable: the last attempt returns or raises")


def refused_by_own_conditions(error: TransactWriteError) -> bool:
    """A refusal by the transaction's own conditions (nothing written), not a failure of DynamoDB."""
    if error.cause_response_code != "TransactionCanceledException":
        return False
    codes = [reason.code for reason in error.cancellation_reasons or [] if reason is not None]
    causes = [code for code in codes if code != "None"]  # DynamoDB names the items not at fault "None"
    return bool(causes) and all(code == CONDITION_FAILED for code in causes)


def _conflicted(error: TransactWriteError) -> bool:
    """Cancelled (nothing written) because a concurrent transaction held one of its items, and for nothing else
    than that or its own conditions: worth another try, which tells a refusal from a passing conflict (a retry
    carries a new ClientRequestToken: this attempt is known to be cancelled)."""
    if error.cause_response_code != "TransactionCanceledException":
        return False
    codes = [reason.code for reason in error.cancellation_reasons or [] if reason is not None]
    causes = {code for code in codes if code != "None"}
    return CONFLICT in causes and causes <= {CONFLICT, CONDITION_FAILED}
