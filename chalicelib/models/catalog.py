"""What an org offers: services (public) and the staff who give them, with their hours (public)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class Service(Model):
    """A bookable service. Times are minutes; every one is a multiple of the lock granule (5)."""

    Meta = table_meta("services")

    org_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    duration_minutes = NumberAttribute()
    buffer_before_minutes = NumberAttribute(default=0)
    buffer_after_minutes = NumberAttribute(default=0)
    min_notice_minutes = NumberAttribute(default=120)
    max_advance_days = NumberAttribute(default=60)
    slot_step_minutes = NumberAttribute(default=15)
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    names = JSONAttribute(null=True)  # {"es": "Consulta"}: the name in other languages the clinic offers


class StaffMember(Model):
    """Someone customers book. Hours are wall-clock times in the member's own IANA zone."""

    Meta = table_meta("staff")

    org_id = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)
    display_name = UnicodeAttribute()
    timezone = UnicodeAttribute()
    service_ids = ListAttribute(of=UnicodeAttribute, default=list)
    # {"mon": [{"start": "09:00", "end": "12:00"}, ...], ...}
    weekly_hours = JSONAttribute(default=dict)
    # [{"date": "2026-12-24", "intervals": [...]}]: that day's hours instead of the weekly ones
    exceptions = JSONAttribute(default=list)
    # [{"start": "<UTC ISO>", "end": "<UTC ISO>"}]: not bookable then
    time_off = JSONAttribute(default=list)
    user_id = UnicodeAttribute(null=True)  # the staff user who works as this member, if any
    active = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Moves on every change; a booking commits only if the schedule it was checked against is still current.
    version = VersionAttribute()
