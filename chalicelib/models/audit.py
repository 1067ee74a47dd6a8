"""The audit chain: one append-only, hash-linked sequence of events per org (decision 8)."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta

HEAD_SEQ = 0  # the row at sequence 0 holds the chain's head: last sequence and hash


class AuditEvent(Model):
    """One event (seq >= 1), or the chain head (seq == 0). Holds ids and outcomes, never contents."""

    Meta = table_meta("audit_events")

    org_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    subjects: MapAttribute = MapAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)
    last_seq = NumberAttribute(null=True)
    # head only: events up to this sequence were removed by retention; the chain resumes from its hash
    pruned_through_seq = NumberAttribute(null=True)
    pruned_through_hash = UnicodeAttribute(null=True)
