"""Organizations (tenants) and the claim that makes each slug unique."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class Organization(Model):
    """A tenant. Holds no personal data: name and time zone are shown on the public booking page."""

    Meta = table_meta("orgs")

    org_id = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    created_at = UTCDateTimeAttribute()
    security_policy: MapAttribute = MapAttribute(null=True)  # settings that differ from the defaults
    vendor = BooleanAttribute(null=True)  # SafeSlot's own support org (manage.py create-org --vendor)
    transparency: MapAttribute = MapAttribute(null=True)  # policy notice days, access-report naming
    profile = JSONAttribute(null=True)  # the clinic's public details: services/booking/profile.py
    # Ending an account (services/org_lifecycle): an operator's suspension, the owner's deletion request.
    suspended_at = UTCDateTimeAttribute(null=True)
    suspension_reason = UnicodeAttribute(null=True)  # the operator's words, shown to operators only
    deletion_requested_at = UTCDateTimeAttribute(null=True)
    deletion_requested_by = UnicodeAttribute(null=True)  # the owner's user id
    deletion_due_at = UTCDateTimeAttribute(null=True)  # the grace ends: the deletion job deletes everything
    calendar_feed_initials = BooleanAttribute(null=True)  # staff calendar feeds show patients' initials (issue 29)


class OrgSlug(Model):
    """slug -> org id; written in the same transaction as the org so that slugs stay unique."""

    Meta = table_meta("org_slugs")

    slug = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
