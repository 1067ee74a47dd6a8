"""An org's transparency settings: how far ahead policy changes are announced, and whether a patient's
access report names the staff who read their record or only their role."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from chalicelib.errors import ValidationFailed
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

NOTICE_DAYS_RANGE = (1, 365)


@dataclass(frozen=True)
class TransparencySettings:
    policy_notice_days: int = 30  # a new policy version takes effect at least this many days after it is published
    access_report_names_staff: bool = False  # False: the report says "staff (front desk)", not the person


def settings_of(org: Organization) -> TransparencySettings:
    stored = org.transparency.as_dict() if org.transparency else {}
    return TransparencySettings(**{k: v for k, v in stored.items() if k in TransparencySettings.__dataclass_fields__})


def read_settings(principal: Principal) -> dict[str, Any]:
    require(principal.role, Permission.PRIVACY_POLICY_MANAGE)
    return asdict(settings_of(Organization.get(principal.org_id)))


def change_settings(principal: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    """Change some settings (the schema bounds each value); audited with the names of what changed."""
    require(principal.role, Permission.PRIVACY_POLICY_MANAGE)
    org = Organization.get(principal.org_id)
    low, high = NOTICE_DAYS_RANGE
    if not low <= changes.get("policy_notice_days", low) <= high:
        raise ValidationFailed(f"policy_notice_days must be {low} to {high}.", field="policy_notice_days")
    updated = replace(settings_of(org), **changes)
    org.update(actions=[Organization.transparency.set(asdict(updated))])
    audit.record(principal.org_id, principal.user_id, "org.transparency_changed", origin=principal.origin,
                 subjects={"fields": ",".join(sorted(changes))})
    return asdict(updated)
