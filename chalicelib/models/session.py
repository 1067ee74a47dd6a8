"""Staff sessions, keyed by the SHA-256 of their opaque token (the token itself is never stored)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class SessionsByUser(GlobalSecondaryIndex["Session"]):
    class Meta:
        index_name = "by-user"
        projection = AllProjection()

    user_key = UnicodeAttribute(hash_key=True)


class Session(Model):
    Meta = table_meta("sessions")

    token_hash = UnicodeAttribute(hash_key=True)
    session_id = UnicodeAttribute()
    user_key = UnicodeAttribute()  # "<org_id>/<user_id>": the index key for "all of a user's sessions"
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    kind = UnicodeAttribute()  # "full"; "password_change" or "mfa_enroll" are good for that step only
    assurance = NumberAttribute(default=1)  # 1: password; 2: password and a second factor (AAL2)
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    idle_minutes = NumberAttribute()
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    ttl = NumberAttribute()  # DynamoDB TTL removes expired rows
    stepped_up_until = UTCDateTimeAttribute(null=True)  # password and an existing factor proven: good until
    step_up_factor = UnicodeAttribute(null=True)  # the kind of factor proven then (none: the user had none)
    step_up_factor_since = UTCDateTimeAttribute(null=True)  # when that factor was added to the account
    by_user = SessionsByUser()
