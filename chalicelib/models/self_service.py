"""Patients' self-service: the e-mailed single-use link, the short session it opens, a new address
waiting for its proof, and the erasure requests patients make (ids and states; texts sealed)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.crypto.shred_keys import customer_subject
from chalicelib.models.base import SealedModel, table_meta


class SelfServiceToken(Model):
    """A link ("link": exchanged once) or the session it opened ("session"), stored as SHA-256 only."""

    Meta = table_meta("self_service_tokens")

    token_hash = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "link" or "session"
    org_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)  # a link: when it was exchanged; a session: when it was ended
    ttl = NumberAttribute()


class EmailChange(SealedModel):
    """A new address waiting for the code sent to it: one per customer, bound to the session that asked."""

    TABLE = "email_changes"
    SEALED_FIELDS = frozenset({"new_email", "code_hash"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    session_hash = UnicodeAttribute()  # the session that asked: another session cannot finish it
    new_email_index = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    attempts = NumberAttribute(default=0)
    ttl = NumberAttribute()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.customer_id}"

    def shred_subject(self) -> str:
        """The customer's key: the new address is theirs, and goes with them from every backup (ADR 0010)."""
        return customer_subject(self.customer_id)


class ErasureRequest(SealedModel):
    """A patient's request to be erased: one row per customer, "pending" until the clinic erases
    ("erased") or refuses ("refused", with a sealed reason the patient is told). Sealed under the org's
    key: the clinic still lists the request after the erasure, which drops the reason."""

    TABLE = "erasure_requests"
    SEALED_FIELDS = frozenset({"refusal_reason"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    request_id = UnicodeAttribute()  # new for each request: a refused request asked again is a new one
    status = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    decided_at = UTCDateTimeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.customer_id}"
