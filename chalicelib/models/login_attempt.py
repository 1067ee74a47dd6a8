"""Every login attempt, kept 90 days (DynamoDB TTL)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class LoginAttempt(Model):
    Meta = table_meta("login_attempts")

    org_id = UnicodeAttribute(hash_key=True)
    attempt_key = UnicodeAttribute(range_key=True)  # "<UTC ISO time, microseconds>#<tie-breaker>"
    at = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    factor = UnicodeAttribute(default="password")
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    ttl = NumberAttribute()
