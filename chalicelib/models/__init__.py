"""PynamoDB models, one module per aggregate. `ALL_MODELS` is the list of tables SafeSlot owns."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.models.audit import AuditEvent
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization, OrgSlug

ALL_MODELS: tuple[type[Model], ...] = (Organization, OrgSlug, Customer, AuditEvent)
