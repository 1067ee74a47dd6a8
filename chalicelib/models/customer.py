"""Customers of an organization: everything personal is sealed; e-mail is found by blind index."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.crypto.shred_keys import NewSubjectKey, customer_subject
from chalicelib.models.base import SealedModel, table_meta


class CustomerByEmail(GlobalSecondaryIndex["Customer"]):
    """(org, blind index of the e-mail) -> customer; the index never sees the address itself."""

    class Meta:
        index_name = "by-email"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    email_index = UnicodeAttribute(range_key=True)


class Customer(SealedModel):
    TABLE = "customers"
    SEALED_FIELDS = frozenset({"name", "email", "phone", "notes", "date_of_birth"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    email_index = UnicodeAttribute(null=True)  # none for a patient without e-mail (not in the by-email index)
    # Blind indexes of each normalized name word, the E.164 phone, the date of birth and the e-mail, for
    # finding a patient as a person types them (services/patient_search.py, ADR 0021).
    search_index = UnicodeSetAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    # The end of the latest appointment retention has deleted: the customer's clock keeps running from it.
    last_visit_at = UTCDateTimeAttribute(null=True)
    by_email = CustomerByEmail()
    new_key: NewSubjectKey | None = None  # not stored here: a new record's shred key, written beside it

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.customer_id}"

    def shred_subject(self) -> str:
        return customer_subject(self.customer_id)
