"""Intake forms: a service's questions (no personal data) and a booking's answers (sealed like notes)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.crypto import shred_keys
from chalicelib.models.base import SealedModel, table_meta


class IntakeForm(Model):
    """The questions a service asks before the visit: [{id, kind, label, required, options}]."""

    Meta = table_meta("intake_forms")

    org_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute(range_key=True)
    questions = JSONAttribute(default=list)
    updated_at = UTCDateTimeAttribute()


class AnswersByCustomer(GlobalSecondaryIndex["IntakeAnswers"]):
    """One customer's answers (their export, their erasure)."""

    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)


class IntakeAnswers(SealedModel):
    """A booking's answers: every answer, with its question as asked, sealed under the customer's key
    (health information: erasing the customer destroys the key and deletes the row)."""

    TABLE = "intake_answers"
    SEALED_FIELDS = frozenset({"answers"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()  # "<org_id>/<customer_id>"
    service_id = UnicodeAttribute()
    answered_at = UTCDateTimeAttribute()
    by_customer = AnswersByCustomer()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.booking_id}"

    def shred_subject(self) -> str:
        return shred_keys.customer_subject(self.customer_id)
