"""The erasure ledger: what was erased, when and by whom, kept outside the backed-up tables so that a
restore of an older backup can replay every erasure made since (ids only, never contents)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class ErasureRecord(Model):
    """One erasure: a customer ("customer", subject = customer id) or a whole org ("org", subject = org id)."""

    Meta = table_meta("erasures", home=True)  # the same ledger whichever tables the application serves

    org_id = UnicodeAttribute(hash_key=True)
    erasure_id = UnicodeAttribute(range_key=True)  # "<ISO instant>-<random hex>": in the order they were made
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    erased_at = UTCDateTimeAttribute()
