"""Owners' webhook endpoints (the signing secret sealed) and each delivery of a booking event to one."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import SealedModel, table_meta


class WebhookEndpoint(SealedModel):
    """An HTTPS endpoint the org's booking events are posted to. Its HMAC secret is sealed (the org's key)."""

    TABLE = "webhook_endpoints"
    SEALED_FIELDS = frozenset({"secret"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    endpoint_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()  # the owner's own system: no personal data, checked against private addresses
    events = ListAttribute(of=UnicodeAttribute, default=list)
    include_names = BooleanAttribute(default=False)  # opt-in: service and staff names beside the ids
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.endpoint_id}"


class WebhookDelivery(Model):
    """One event for one endpoint: its payload (ids and times, names only on the owner's opt-in), its
    attempts and their outcome. The range key names the endpoint and the event, so an event is queued once."""

    Meta = table_meta("webhook_deliveries")

    org_id = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(range_key=True)  # "<endpoint_id>/<event id>"
    endpoint_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    payload = UnicodeAttribute()  # the exact JSON body that is signed and posted
    status = UnicodeAttribute()  # "pending", "delivered", "failed" or "dropped" (endpoint deleted)
    attempts = NumberAttribute(default=0)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)  # a kind of failure ("timeout", "http_500"), never a body
    created_at = UTCDateTimeAttribute()
    next_attempt_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    ttl = NumberAttribute()  # deliveries are kept 30 days
