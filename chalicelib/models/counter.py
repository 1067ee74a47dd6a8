"""Short-lived counters for lockouts and rate limits, updated atomically, removed by TTL."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class Counter(Model):
    Meta = table_meta("counters")

    key = UnicodeAttribute(hash_key=True)  # e.g. "lockout/<org>/<email index>", "ip/<ip>/<window>"
    hits = NumberAttribute(default=0)
    locked_until = NumberAttribute(null=True)  # epoch seconds
    refusal_noticed = NumberAttribute(null=True)  # the lock (locked_until) or window whose refusal was audited
    holder = UnicodeAttribute(null=True)  # a claim's holder: the customer id a first booking made (customers.py)
    # A notice's claim (services/notice_claims.py): when its mail went, or that there was no address to send to
    sent_at = UTCDateTimeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    ttl = NumberAttribute()


def update_if(counter: Counter, actions: list[Action], condition: Condition | Any) -> bool:
    """Apply `actions` in one conditional write; False (nothing changed) when `condition` does not hold."""
    try:
        counter.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
