"""A series of weekly (or every-n-weeks) bookings: the rule and its occurrences' booking ids."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class BookingSeries(Model):
    """Every occurrence is a booking of its own (own locks, own changes); this row keeps the rule, in the
    staff member's wall-clock time, so that the series' calendar event (RRULE) follows daylight saving."""

    Meta = table_meta("booking_series")

    org_id = UnicodeAttribute(hash_key=True)
    series_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    timezone = UnicodeAttribute()  # the staff member's zone: the wall clock the series keeps
    first_local = UnicodeAttribute()  # "2026-03-02T10:00:00", in `timezone`
    every_weeks = NumberAttribute()
    occurrence_count = NumberAttribute()
    booking_ids: ListAttribute[str] = ListAttribute()  # in occurrence order
    sequence = NumberAttribute(default=0)  # iCalendar SEQUENCE of the series event
    created_at = UTCDateTimeAttribute()
