"""Privacy policies as versions with effective dates (GDPR Art. 13/14 as the model for notice).

An org publishes a version (Markdown or plain text, rendered to sanitized HTML) that takes effect at
least `policy_notice_days` later, so that its staff and customers can be told first
(jobs/policy_notices.py); the first version may take effect at once, there being nothing to change.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.models.organization import Organization
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.services import audit
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.subprocessors import subprocessor_document
from chalicelib.services.transparency_settings import settings_of

FORMATS = ("markdown", "text")


@dataclass(frozen=True)
class NewPolicy:
    text: str
    summary: str
    source_format: str = "markdown"
    effective_at: datetime | None = None  # None: at once (first version only)


@dataclass(frozen=True)
class PolicyState:
    """What the pages show: the version in force, and the next one if it is announced but not yet in force."""

    current: PolicyVersion | None
    upcoming: PolicyVersion | None


def render(text: str, source_format: str) -> str:
    """Safe HTML: raw HTML in the source is escaped, link schemes like javascript: are refused."""
    if source_format == "text":
        return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p.strip())
    from markdown_it import MarkdownIt  # only publishing renders: not every cold start

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).render(text)


def publish(principal: Principal, new: NewPolicy) -> dict[str, Any]:
    """Publish the next version; it takes effect no sooner than the org's notice period allows."""
    require(principal.role, Permission.PRIVACY_POLICY_MANAGE)
    if new.source_format not in FORMATS:
        raise ValidationFailed("format must be markdown or text.", field="format")
    latest = _latest(principal.org_id)
    effective_at = _checked_effective_at(principal.org_id, latest, new.effective_at)
    version = PolicyVersion(principal.org_id, (int(latest.version) if latest else 0) + 1,
                            source_format=new.source_format, source=new.text, html=render(new.text, new.source_format),
                            summary=new.summary, effective_at=effective_at, published_at=clock.now(),
                            published_by=principal.user_id)
    try:
        version.save(condition=PolicyVersion.version.does_not_exist())
    except PutError as error:
        raise Conflict("Another version was published at the same time; reload and retry.") from error
    from chalicelib.services import hot_cache

    hot_cache.forget_org(principal.org_id)
    audit.record(principal.org_id, principal.user_id, "privacy_policy.published", origin=principal.origin,
                 subjects={"version": str(version.version), "effective_at": clock.isoformat(effective_at)})
    return describe(version)


def list_versions(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.PRIVACY_POLICY_MANAGE)
    return [describe(v) for v in PolicyVersion.query(principal.org_id, scan_index_forward=False)]


def state(org_id: str, at: datetime | None = None) -> PolicyState:
    """The version in force at `at` (default now) and the announced one after it, if any."""
    now, current, upcoming = at or clock.now(), None, None
    for version in PolicyVersion.query(org_id, scan_index_forward=False):
        if version.effective_at > now:
            upcoming = version  # the earliest of those still to come (newest first, so the last seen)
        else:
            current = version
            break
    return PolicyState(current, upcoming)


def version_in_force(org_id: str) -> int | None:
    """The version a booking made now agrees to. From the hot-path cache (ADR 0020): the versions' dates,
    at most TTL_SECONDS old, compared with the time now (a version announced for later takes effect on
    time); a first version published in another Lambda is seen within TTL_SECONDS."""
    from chalicelib.services import hot_cache

    dated = hot_cache.cached(org_id, "privacy_policy_dates", lambda: [
        (int(v.version), clock.isoformat(v.effective_at))
        for v in PolicyVersion.query(org_id, scan_index_forward=False)])
    now = clock.isoformat(clock.now())
    return next((version for version, effective_at in dated if effective_at <= now), None)


def scheduled_versions(org_id: str, now: datetime) -> list[PolicyVersion]:
    """Versions announced and not yet in force (those whose notices are due)."""
    return [v for v in PolicyVersion.query(org_id, scan_index_forward=False) if v.effective_at > now]


def public_view(org: Organization) -> dict[str, Any]:
    """What customers see: the policy in force, the notice of the next one, and the sub-processors."""
    found = state(org.org_id)
    return {"org": {"slug": org.slug, "name": org.name},
            "current": _public_version(found.current, with_text=True),
            "upcoming": _public_version(found.upcoming, with_text=True),
            "subprocessors": subprocessor_document()}


def describe(version: PolicyVersion) -> dict[str, Any]:
    return {"version": int(version.version), "format": version.source_format, "text": version.source,
            "html": version.html, "summary": version.summary, "effective_at": clock.isoformat(version.effective_at),
            "published_at": clock.isoformat(version.published_at), "published_by": version.published_by}


def _public_version(version: PolicyVersion | None, with_text: bool) -> dict[str, Any] | None:
    if version is None:
        return None
    shown = {"version": int(version.version), "effective_at": clock.isoformat(version.effective_at),
             "summary": version.summary}
    return {**shown, "html": version.html} if with_text else shown


def _latest(org_id: str) -> PolicyVersion | None:
    return next(iter(PolicyVersion.query(org_id, scan_index_forward=False, limit=1, consistent_read=True)), None)


def _checked_effective_at(org_id: str, latest: PolicyVersion | None, wanted: datetime | None) -> datetime:
    now = clock.now()
    if latest is None and (wanted is None or wanted <= now):
        return now  # the first version: nobody has been told anything else yet
    days = settings_of(_org(org_id)).policy_notice_days
    if wanted is None or wanted < now + timedelta(days=days):
        raise ValidationFailed(f"A new version takes effect at least {days} days from now.", field="effective_at")
    if latest is not None and wanted <= latest.effective_at:
        raise ValidationFailed("A new version takes effect after the latest one.", field="effective_at")
    return wanted


def _org(org_id: str) -> Organization:
    try:
        return Organization.get(org_id)
    except Organization.DoesNotExist as error:
        raise NotFound("No such organization.") from error
