"""The audit trail: an outbox of entries written with each change, and one hash-linked chain per org
built from them (decision 8)."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta

HEAD_SEQ = 0  # the row at sequence 0 holds the chain's head: last sequence and hash, and the builder's lease


class AuditEvent(Model):
    """One chained event (seq >= 1), or the chain head (seq == 0). Holds ids and outcomes, never contents."""

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
    entry_id = UnicodeAttribute(null=True)  # the outbox entry this event was chained from
    prev_hash = UnicodeAttribute(null=True)
    hash = UnicodeAttribute(null=True)
    last_seq = NumberAttribute(null=True)
    # head only: events up to this sequence were removed by retention; the chain resumes from its hash
    pruned_through_seq = NumberAttribute(null=True)
    pruned_through_hash = UnicodeAttribute(null=True)
    # head only: the chain builder that holds the org's lease, and until when (epoch seconds)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)


class AuditOutboxEntry(Model):
    """An audit entry written in the same transaction as the change it records, waiting to be chained.

    `entry_id` begins with the commit's nanosecond time, so the builder chains entries in about the
    order they were written; the random rest makes ids unique without a conditional write."""

    Meta = table_meta("audit_outbox")

    org_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    subjects: MapAttribute = MapAttribute(null=True)
    outcome = UnicodeAttribute()
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
