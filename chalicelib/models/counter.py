"""Short-lived counters for lockouts and rate limits, updated atomically, removed by TTL."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class Counter(Model):
    Meta = table_meta("counters")

    key = UnicodeAttribute(hash_key=True)  # e.g. "lockout/<org>/<email index>", "ip/<ip>/<window>"
    hits = NumberAttribute(default=0)
    locked_until = NumberAttribute(null=True)  # epoch seconds
    ttl = NumberAttribute()
