"""Creating and finding organizations (tenants)."""

from __future__ import annotations

import re
import uuid

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.organization import Organization, OrgSlug
from chalicelib.services import audit
from chalicelib.services.org_lifecycle.status import refuse_if_suspended

SLUG_SCOPE = "-slugs"  # the hot cache's scope of slug -> org id (no org id starts with a dash)
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def create_org(slug: str, name: str, timezone: str = "UTC", actor: str = "operator") -> Organization:
    """Create an org with a unique slug (slug claim and org in one transaction) and audit it."""
    if not SLUG_PATTERN.match(slug):
        raise ValidationFailed("Slug must be 1-40 lowercase letters, digits or dashes.", field="slug")
    clock.zone(timezone, "timezone")
    org = Organization(uuid.uuid4().hex, slug=slug, name=name, timezone=timezone,
                       created_at=clock.now())
    try:
        with audit.audited_transaction(audit.entry(org.org_id, actor, "org.created",
                                                   subjects={"org_id": org.org_id})) as tx:
            tx.save(OrgSlug(slug, org_id=org.org_id), condition=OrgSlug.slug.does_not_exist())
            tx.save(org, condition=Organization.org_id.does_not_exist())
    except TransactWriteError as error:
        raise Conflict("That slug is taken.", field="slug") from error
    return org


def org_by_slug(slug: str, even_suspended: bool = False) -> Organization:
    """The org whose public slug is `slug`; NotFound otherwise, and 423 org_suspended for an org an
    operator suspended (sign-in, public routes and pages all find orgs here) unless `even_suspended`."""
    try:
        org = Organization.get(org_id_of_slug(slug))
    except Organization.DoesNotExist as error:
        raise NotFound("No such organization.") from error
    return org if even_suspended else refuse_if_suspended(org)


def org_id_of_slug(slug: str) -> str:
    """The org id a slug names, from the hot-path cache (a slug never moves to another org while its org
    lives; an org deleted meanwhile is not found by its id). NotFound when no org has it."""
    from chalicelib.services import hot_cache

    def claim() -> str:
        try:
            return str(OrgSlug.get(slug).org_id)
        except OrgSlug.DoesNotExist as error:
            raise NotFound("No such organization.") from error

    return str(hot_cache.cached(SLUG_SCOPE, slug, claim))


def org_by_id(org_id: str) -> Organization:
    try:
        return Organization.get(org_id)
    except Organization.DoesNotExist as error:
        raise NotFound("No such organization.") from error
