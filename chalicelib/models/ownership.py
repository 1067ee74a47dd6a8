"""How the items of each table belong to an org: what deleting an org (and replaying that deletion on
restored tables) must remove. Every model in ALL_MODELS has an entry; a test fails for one without.

Selectors read raw DynamoDB items by table *name*, so the same selector finds an org's items in the
live tables and in tables a restore made under other names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from chalicelib import aws
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

RawItem = dict[str, Any]


@dataclass(frozen=True)
class OrgHashKey:
    """The org id is the item's partition key: one Query finds them all."""

    attribute: str


@dataclass(frozen=True)
class OrgAttribute:
    """An attribute holds the org id (a table keyed by something else: a token hash, a grant id)."""

    attribute: str


@dataclass(frozen=True)
class OrgInKey:
    """The key embeds the org id between slashes: "<org>/<staff>", "lockout/<org>/<index>"."""

    attribute: str


@dataclass(frozen=True)
class ViaParent:
    """The item names a parent item (`attribute` = the parent's `parent_key`) that belongs to the org."""

    attribute: str
    parent: type[Model]
    parent_key: str


@dataclass(frozen=True)
class NotOrgData:
    """Kept when an org is deleted, and why (ids only: the record that the deletion happened)."""

    reason: str


Selector = OrgHashKey | OrgAttribute | OrgInKey | ViaParent | NotOrgData

SELECTORS: dict[type[Model], Selector] = {
    Organization: OrgHashKey("org_id"),
    OrgSlug: OrgAttribute("org_id"),
    User: OrgHashKey("org_id"),
    Session: OrgAttribute("org_id"),
    LoginAttempt: OrgHashKey("org_id"),
    Counter: OrgInKey("key"),
    MfaFactor: OrgHashKey("org_id"),
    MfaChallenge: OrgAttribute("org_id"),
    Customer: OrgHashKey("org_id"),
    AuditEvent: OrgHashKey("org_id"),
    AuditOutboxEntry: OrgHashKey("org_id"),
    Service: OrgHashKey("org_id"),
    StaffMember: OrgHashKey("org_id"),
    Booking: OrgHashKey("org_id"),
    SlotLock: OrgInKey("staff_key"),
    AccessGrant: OrgAttribute("org_id"),
    IdempotencyRecord: OrgAttribute("org_id"),
    SupportGrant: OrgAttribute("org_id"),
    SupportSession: ViaParent("grant_id", SupportGrant, "grant_id"),
    PolicyVersion: OrgHashKey("org_id"),
    DuoIntegration: OrgHashKey("org_id"),
    SelfServiceToken: OrgAttribute("org_id"),
    EmailChange: OrgHashKey("org_id"),
    ErasureRequest: OrgHashKey("org_id"),
    ErasureRecord: NotOrgData("the erasure ledger: every restore replays the deletion from it"),
    # shred_keys.destroy_org leaves tombstones (ids only, no key material): no key is made for them again
    ShredKey: NotOrgData("the tombstones of the org's destroyed keys"),
    CalendarFeed: OrgHashKey("org_id"),  # issue 29
    WebhookEndpoint: OrgHashKey("org_id"),
    WebhookDelivery: OrgHashKey("org_id"),
    IntakeForm: OrgHashKey("org_id"),
    IntakeAnswers: OrgHashKey("org_id"),
    WaitlistEntry: OrgHashKey("org_id"),
    BookingSeries: OrgHashKey("org_id"),
}


def selector_of(model: type[Model]) -> Selector:
    """The model's selector; KeyError for a model nobody declared (tests/unit: every model has one)."""
    return SELECTORS[model]


def key_names(model: type[Model]) -> list[str]:
    names = [model._hash_key_attribute().attr_name]
    if model._range_key_attribute() is not None:
        names.append(model._range_key_attribute().attr_name)
    return names


def org_item_keys(model: type[Model], table: str, org_id: str,
                  parents: Mapping[type[Model], set[str]] | None = None) -> Iterator[RawItem]:
    """The keys of every item of `org_id` in `table` (a table shaped like `model`, under any name).
    `parents` gives, for a ViaParent selector, the parent key values already found for the org."""
    selector = selector_of(model)
    keys = key_names(model)
    if isinstance(selector, NotOrgData):
        return
    if isinstance(selector, OrgHashKey):
        yield from _query(table, selector.attribute, org_id, keys)
        return
    for item in _scan(table, [*keys, _attribute_of(selector)]):
        if _belongs(selector, item, org_id, parents or {}):
            yield {name: item[name] for name in keys}


def _attribute_of(selector: Selector) -> str:
    return selector.attribute  # type: ignore[union-attr]


def _belongs(selector: Selector, item: RawItem, org_id: str, parents: Mapping[type[Model], set[str]]) -> bool:
    value = item.get(_attribute_of(selector), {}).get("S")
    if value is None:
        return False
    if isinstance(selector, OrgAttribute):
        return bool(value == org_id)
    if isinstance(selector, OrgInKey):
        return f"/{org_id}/" in f"/{value}"
    if isinstance(selector, ViaParent):
        return value in parents.get(selector.parent, set())
    return False


def _query(table: str, attribute: str, org_id: str, keys: list[str]) -> Iterator[RawItem]:
    pages = aws.client("dynamodb").get_paginator("query").paginate(
        TableName=table, KeyConditionExpression="#org = :org", ConsistentRead=True,
        ExpressionAttributeNames={"#org": attribute, **{f"#k{i}": k for i, k in enumerate(keys)}},
        ExpressionAttributeValues={":org": {"S": org_id}},
        ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))))
    for page in pages:
        yield from page["Items"]


def _scan(table: str, attributes: list[str]) -> Iterator[RawItem]:
    names = list(dict.fromkeys(attributes))
    pages = aws.client("dynamodb").get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True, ExpressionAttributeNames={f"#a{i}": a for i, a in enumerate(names)},
        ProjectionExpression=", ".join(f"#a{i}" for i in range(len(names))))
    for page in pages:
        yield from page["Items"]
