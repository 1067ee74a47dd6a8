"""Bookings and what keeps them honest: slot locks, manage grants and idempotency records."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.crypto import shred_keys
from chalicelib.models.base import SealedModel, table_meta


class BookingsByStart(GlobalSecondaryIndex["Booking"]):
    """An org's bookings in time order (staff calendars, reminders)."""

    class Meta:
        index_name = "by-start"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


class BookingsBusyByStart(GlobalSecondaryIndex["Booking"]):
    """An org's bookings in time order holding only what blocks time: the slots of any range and any
    number of staff in one Query of small items (ADR 0019). Its keys are on every booking: DynamoDB
    fills it from the existing rows when it is created."""

    class Meta:
        index_name = "busy-by-start"
        projection = IncludeProjection(["staff_id", "granules", "status", "hold_expires_at"])

    org_id = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


class BookingsByCustomer(GlobalSecondaryIndex["Booking"]):
    """One customer's bookings in time order ("my bookings", retention)."""

    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer_key = UnicodeAttribute(hash_key=True)
    starts_at = UTCDateTimeAttribute(range_key=True)


class Booking(SealedModel):
    """One appointment. Notes and a cancellation reason are sealed; times are UTC instants.

    A pending hold (status "pending") belongs to no customer yet: the details typed with it and its
    verification secrets are sealed on the booking until the mailbox is proven."""

    TABLE = "bookings"
    SEALED_FIELDS = frozenset({"notes", "cancel_reason", "contact", "verification", "sms_to"})  # sms_to: texts go there
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute(range_key=True)
    service_id = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()  # "<org_id>/<customer_id>"
    starts_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    granules: ListAttribute[int] = ListAttribute()  # the slot-lock granules this booking holds
    status = UnicodeAttribute()  # "pending", "confirmed" or "cancelled"
    hold_expires_at = UTCDateTimeAttribute(null=True)  # a pending hold frees its time after this
    code_attempts = NumberAttribute(null=True)  # verification codes tried against a pending hold
    sequence = NumberAttribute(default=0)  # iCalendar SEQUENCE: moves on every change
    last_write = UnicodeAttribute(null=True)  # ClientRequestToken of the last change: read back when its answer is lost
    policy_version = NumberAttribute(null=True)  # the privacy-policy version in force when the customer booked
    patient_timezone = UnicodeAttribute(null=True)  # the zone the page showed times in (e-mails use it)
    locale = UnicodeAttribute(null=True)  # the page's locale: language and clock of e-mails and texts
    sms_opt_in = BooleanAttribute(null=True)  # the patient asked for texts too (to the sealed sms_to)
    visit_status = UnicodeAttribute(null=True)  # "arrived", "no_show" or "completed" (front desk, staff); none: booked
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    by_start = BookingsByStart()
    by_customer = BookingsByCustomer()
    busy_by_start = BookingsBusyByStart()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.booking_id}"

    def shred_subject(self) -> str:
        """The customer's key; a pending hold (no customer yet) is the org's until it is confirmed and
        sealed again under its customer (pending holds are short-lived, and erasure deletes them)."""
        if not self.customer_id:
            return shred_keys.ORG
        return shred_keys.customer_subject(self.customer_id)


class HeldSlot(MapAttribute[str, object]):
    """One taken 5-minute slot of a staff-hour lock: the booking holding it and, while that booking is a
    pending hold, until when (epoch seconds; free for anyone after that)."""

    b = UnicodeAttribute()  # the booking id (short names: an hour item stays one write unit)
    h = NumberAttribute(null=True)  # hold_until


class SlotLock(Model):
    """One hour of one staff member's time, its twelve 5-minute slots each held by at most one booking
    (decision 4, ADR 0002): slot `mNN` starts NN minutes past the hour. A booking takes its slots of the
    hour with one conditional update of this item, however many they are."""

    Meta = table_meta("slot_locks")

    staff_key = UnicodeAttribute(hash_key=True)  # "<org_id>/<staff_id>"
    # epoch seconds / 3600. The key attribute keeps the name it had when items were per 5-minute granule,
    # so the deployed table's key schema stands; an hour (~500,000) never equals a granule (~5,900,000).
    hour = NumberAttribute(range_key=True, attr_name="granule")
    ttl = NumberAttribute()  # a week after the hour: past time is never booked again
    m00 = HeldSlot(null=True)
    m05 = HeldSlot(null=True)
    m10 = HeldSlot(null=True)
    m15 = HeldSlot(null=True)
    m20 = HeldSlot(null=True)
    m25 = HeldSlot(null=True)
    m30 = HeldSlot(null=True)
    m35 = HeldSlot(null=True)
    m40 = HeldSlot(null=True)
    m45 = HeldSlot(null=True)
    m50 = HeldSlot(null=True)
    m55 = HeldSlot(null=True)


class AccessGrant(Model):
    """A customer's secret link, stored as the SHA-256 of its token: one booking or all of theirs."""

    Meta = table_meta("access_grants")

    token_hash = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    booking_id = UnicodeAttribute(null=True)  # None: every booking of that customer
    expires_at = UTCDateTimeAttribute()
    ttl = NumberAttribute()


class IdempotencyRecord(SealedModel):
    """The first answer to a request with an Idempotency-Key, sealed (it holds a manage link)."""

    TABLE = "idempotency"
    SEALED_FIELDS = frozenset({"response"})
    Meta = table_meta(TABLE)

    key = UnicodeAttribute(hash_key=True)  # "<org_id>/<scope>/<sha256 of the key>"
    org_id = UnicodeAttribute()
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    ttl = NumberAttribute()
    customer_id = UnicodeAttribute(null=True)  # whose answer it is, when known: sealed under their key

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return self.key

    def shred_subject(self) -> str:
        return shred_keys.customer_subject(self.customer_id) if self.customer_id else shred_keys.ORG
