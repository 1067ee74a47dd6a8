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


class OrgSlug(Model):
    """slug -> org id; written in the same transaction as the org so that slugs stay unique."""

    Meta = table_meta("org_slugs")

    slug = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
