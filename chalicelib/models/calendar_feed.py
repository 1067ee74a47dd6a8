"""Staff members' private calendar feeds: one per staff member, found by the SHA-256 of its secret."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class FeedsByToken(GlobalSecondaryIndex["CalendarFeed"]):
    """SHA-256 of a feed's secret -> its (org, staff member); the item itself decides if it is live."""

    class Meta:
        index_name = "by-token"
        projection = AllProjection()

    token_hash = UnicodeAttribute(hash_key=True)


class CalendarFeed(Model):
    """A staff member's subscribed-calendar URL. The secret is never stored, only its SHA-256; deleting
    the item (or replacing its hash) stops the old URL on the next read, which checks the item itself."""

    Meta = table_meta("calendar_feeds")

    org_id = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)
    token_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()  # the user id that made this URL
    reads = NumberAttribute(default=0)
    last_read_at = UTCDateTimeAttribute(null=True)
    by_token = FeedsByToken()
