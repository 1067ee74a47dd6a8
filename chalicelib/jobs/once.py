"""Claims that make a job's side effect happen once, however often or concurrently the job runs:
a conditional write of a marker item, released again if the side effect failed."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.models.counter import Counter


def claim(key: str, keep_for: timedelta) -> bool:
    """True for the one caller that writes the marker `key`; False if it exists already."""
    marker = Counter(f"once/{key}", hits=1, ttl=int((clock.now() + keep_for).timestamp()))
    try:
        marker.save(condition=Counter.key.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release(key: str) -> None:
    """Forget a claim whose side effect failed, so that the next run tries again."""
    Counter(f"once/{key}").delete()
