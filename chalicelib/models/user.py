"""Staff users of an organization: e-mail and name sealed, found by e-mail through a blind index."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.models.base import SealedModel, table_meta


class UserByEmail(GlobalSecondaryIndex["User"]):
    class Meta:
        index_name = "by-email"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    email_index = UnicodeAttribute(range_key=True)


class User(SealedModel):
    """A staff account. The password is an argon2id hash; setup tokens are stored as SHA-256 only."""

    TABLE = "users"
    SEALED_FIELDS = frozenset({"email", "name"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    email_index = UnicodeAttribute()
    role = UnicodeAttribute()
    disabled = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute(null=True)
    password_changed_at = UTCDateTimeAttribute(null=True)
    password_history: ListAttribute[str] = ListAttribute(null=True)  # older argon2 hashes, newest first
    setup_token_hash = UnicodeAttribute(null=True)
    setup_token_expires_at = UTCDateTimeAttribute(null=True)
    last_login_at = UTCDateTimeAttribute(null=True)
    # Moves whenever access is cut (disabled, role changed, reset, new password, sessions ended):
    # a pending MFA challenge made under an older value is dead.
    access_version = NumberAttribute(default=0)
    # SafeSlot's vendor org only: since when an operator put this person on the break-glass confirmer list
    break_glass_confirmer_since = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    by_email = UserByEmail()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.user_id}"
