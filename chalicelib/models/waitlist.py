"""Patients waiting for an earlier time: one entry per request, with the offer it holds when a time frees."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class WaitlistEntry(Model):
    """A patient's wish to move `booking_id` earlier (within [earliest, latest)). Entry ids sort by the time
    they were made: the first to ask is the first offered. An offer's secret is stored as its SHA-256."""

    Meta = table_meta("waitlist")

    org_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # "<ns since epoch, 20 digits>-<uuid hex>"
    booking_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    staff_id = UnicodeAttribute(null=True)  # None: any staff member giving the service
    earliest = UTCDateTimeAttribute()
    latest = UTCDateTimeAttribute()  # the booking's own start: only earlier times are offered
    status = UnicodeAttribute()  # "waiting", "offered", "moved" or "withdrawn"
    offer_hash = UnicodeAttribute(null=True)
    offer_start = UTCDateTimeAttribute(null=True)
    offer_staff_id = UnicodeAttribute(null=True)
    offer_expires_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    ttl = NumberAttribute()  # gone a day after the booking's own time
