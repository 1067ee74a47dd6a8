"""PynamoDB models, one module per aggregate. `ALL_MODELS` is the list of tables SafeSlot owns."""

from __future__ import annotations

from pynamodb.models import Model

from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.booking import AccessGrant, Booking, IdempotencyRecord, SlotLock
from chalicelib.models.calendar_feed import CalendarFeed
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.counter import Counter
from chalicelib.models.customer import Customer
from chalicelib.models.erasure import ErasureRecord
from chalicelib.models.intake import IntakeAnswers, IntakeForm
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.models.mfa import DuoIntegration, MfaChallenge, MfaFactor
from chalicelib.models.organization import Organization, OrgSlug
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.models.self_service import EmailChange, ErasureRequest, SelfServiceToken
from chalicelib.models.series import BookingSeries
from chalicelib.models.session import Session
from chalicelib.models.shred_key import ShredKey
from chalicelib.models.support import SupportGrant, SupportSession
from chalicelib.models.user import User
from chalicelib.models.waitlist import WaitlistEntry
from chalicelib.models.webhook import WebhookDelivery, WebhookEndpoint

ALL_MODELS: tuple[type[Model], ...] = (
    Organization, OrgSlug, User, Session, LoginAttempt, Counter, MfaFactor, MfaChallenge, Customer, AuditEvent,
    AuditOutboxEntry, Service, StaffMember, Booking, SlotLock, AccessGrant, IdempotencyRecord,
    SupportGrant, SupportSession, PolicyVersion, DuoIntegration, ErasureRecord, ShredKey,
    SelfServiceToken, EmailChange, ErasureRequest,
    CalendarFeed, WebhookEndpoint, WebhookDelivery, IntakeForm, IntakeAnswers,  # issue 29
    WaitlistEntry, BookingSeries,
)
# Tables the backups leave out: a restore replays the erasure ledger, so it must not roll back with the data.
# Nor do they copy the shred keys: a restore must not bring back a destroyed key (the backup job writes
# the current key set beside the exports instead, jobs/shred_key_file.py).
UNBACKED_MODELS: tuple[type[Model], ...] = (ErasureRecord, ShredKey)
# Tables whose rows expire through DynamoDB TTL, on this attribute (epoch seconds).
TTL_ATTRIBUTE = "ttl"
TTL_MODELS: tuple[type[Model], ...] = (
    Session, LoginAttempt, Counter, MfaChallenge, SlotLock, AccessGrant, IdempotencyRecord,
    SupportSession, SelfServiceToken, EmailChange,
    WebhookDelivery, WaitlistEntry,  # issue 29
)
