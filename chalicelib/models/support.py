"""Vendor support access to one org: the clinic's grant, and the short sessions it allows."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class GrantsByOrg(GlobalSecondaryIndex["SupportGrant"]):
    """One org's grants, newest first (what the clinic reviews)."""

    class Meta:
        index_name = "by-org"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    requested_at = UTCDateTimeAttribute(range_key=True)


class SupportGrant(Model):
    """A vendor support person's read-only access to one org, for a reason and a bounded time.

    `status` moves requested -> active | refused, or (break-glass) awaiting_second -> active; an active
    grant ends by expiry (`expires_at`) or revocation (`ended`)."""

    Meta = table_meta("support_grants")

    grant_id = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()  # the vendor user who asked, and the only one who may use it
    kind = UnicodeAttribute()  # "request" (clinic approves) or "break_glass" (two vendor people)
    reason = UnicodeAttribute()
    hours = NumberAttribute()
    notes = BooleanAttribute(null=True)  # True: the support person may also read what patients and clinicians wrote
    status = UnicodeAttribute()
    requested_at = UTCDateTimeAttribute()
    decided_by = UnicodeAttribute(null=True)  # the clinic user who approved or refused; or the second agent
    decided_at = UTCDateTimeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    ended_by = UnicodeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)  # break-glass: the clinic's after-the-fact review
    reviewed_at = UTCDateTimeAttribute(null=True)
    by_org = GrantsByOrg()


class SupportSession(Model):
    """A support person's token for one grant, stored as its SHA-256; lives no longer than the grant."""

    Meta = table_meta("support_sessions")

    token_hash = UnicodeAttribute(hash_key=True)
    grant_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    ttl = NumberAttribute()
    # The support person as they were when the session opened: every request checks they still are
    # (a session without these, from before they were kept, is refused).
    agent_org_id = UnicodeAttribute(null=True)
    agent_access_version = NumberAttribute(null=True)
