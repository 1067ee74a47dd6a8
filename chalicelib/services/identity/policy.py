"""Per-org security policy. Defaults follow NIST SP 800-63B and ASVS 5.0; vendor controls are opt-in."""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from chalicelib.errors import ValidationFailed
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.identity.mfa.factors import SECOND_FACTORS
from chalicelib.services.identity.roles import Permission, Role, require

if TYPE_CHECKING:
    from chalicelib.services.identity.sessions import Principal

# field -> (lowest, highest) accepted value
RANGES: dict[str, tuple[int, int]] = {
    "password_min_length": (8, 128),
    "password_max_age_days": (0, 730),
    "password_history": (0, 24),
    "lockout_threshold": (3, 100),
    "lockout_minutes": (1, 1440),
    "session_idle_minutes": (5, 480),
    "session_max_hours": (1, 24),
    "dormant_days": (0, 3650),
    "booking_retention_days": (0, 36500),
    "customer_retention_days": (0, 36500),
    "audit_retention_days": (2190, 36500),  # HIPAA 164.316(b)(2): six years at least
    "new_factor_wait_hours": (24, 720),  # a stolen session must not shorten these below the defaults
    "export_cooling_off_minutes": (60, 10080),
}
MAX_REMINDERS = 3
MAX_ALLOWLIST_ENTRIES = 50


@dataclass(frozen=True)
class SecurityPolicy:
    password_min_length: int = 12
    password_require_classes: bool = False
    password_max_age_days: int = 0
    password_history: int = 0
    lockout_threshold: int = 10
    lockout_minutes: int = 15
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    ip_allowlist: tuple[str, ...] = ()
    require_mfa: tuple[str, ...] = ()  # roles that must log in with a second factor
    mfa_methods: tuple[str, ...] = SECOND_FACTORS  # the second factors that count (the PSTN ones may be left out)
    dormant_days: int = 0  # disable accounts unused this long (0: never)
    booking_retention_days: int = 0  # delete bookings this long after they end (0: keep)
    customer_retention_days: int = 0  # delete customers this long after their last appointment (0: keep)
    audit_retention_days: int = 2190
    reminder_offsets_minutes: tuple[int, ...] = (1440,)  # appointment reminders this long before
    require_email_verification: bool = True  # public bookings wait as holds until the mailbox is proven
    new_factor_wait_hours: int = 24  # a factor this new is not the fresh factor of an export, deletion, support
    export_cooling_off_minutes: int = 60  # an export's archive is released this long after it was asked for

    def requires_mfa(self, role: str) -> bool:
        return role in self.require_mfa

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["ip_allowlist"] = list(self.ip_allowlist)
        values["require_mfa"] = list(self.require_mfa)
        values["mfa_methods"] = list(self.mfa_methods)
        values["reminder_offsets_minutes"] = list(self.reminder_offsets_minutes)
        return values

    def allows_ip(self, source_ip: str | None) -> bool:
        """True when there is no allowlist, or the IP is inside one of its networks."""
        if not self.ip_allowlist:
            return True
        if not source_ip:
            return False
        address = ipaddress.ip_address(source_ip)
        return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in self.ip_allowlist)


def read_policy(principal: Principal) -> SecurityPolicy:
    require(principal.role, Permission.POLICY_READ)
    return policy_of(Organization.get(principal.org_id))


def change_policy(principal: Principal, changes: dict[str, Any]) -> SecurityPolicy:
    """Apply `changes` (fields not named keep their value); audited with the names of what changed."""
    require(principal.role, Permission.POLICY_MANAGE)
    org = Organization.get(principal.org_id)
    current = policy_of(org)
    policy = updated_policy(current, changes, principal.origin.source_ip)
    org.update(actions=[Organization.security_policy.set(policy.as_dict())])
    changed = sorted(k for k, v in policy.as_dict().items() if current.as_dict()[k] != v)
    audit.record(principal.org_id, principal.user_id, "policy.updated", subjects={"fields": ",".join(changed)},
                 origin=principal.origin)
    return policy


def policy_of(org: Organization) -> SecurityPolicy:
    stored = org.security_policy.as_dict() if org.security_policy else {}
    return _build(SecurityPolicy(), stored)


def updated_policy(current: SecurityPolicy, changes: dict[str, Any], caller_ip: str | None) -> SecurityPolicy:
    """`current` with `changes` applied, after range checks; an allowlist must keep the caller in."""
    policy = _build(current, changes)
    for name, (low, high) in RANGES.items():
        value = getattr(policy, name)
        if not low <= value <= high:
            raise ValidationFailed(f"Field '{name}' must be between {low} and {high}.", field=name)
    if not policy.allows_ip(caller_ip):
        raise ValidationFailed("The allowlist must include the address you are calling from.",
                               field="ip_allowlist")
    return policy


def _build(base: SecurityPolicy, values: dict[str, Any]) -> SecurityPolicy:
    known = {f.name for f in fields(SecurityPolicy)}
    changes = {k: v for k, v in values.items() if k in known}
    if "ip_allowlist" in changes:
        changes["ip_allowlist"] = _networks(changes["ip_allowlist"])
    if "require_mfa" in changes:
        changes["require_mfa"] = _roles(changes["require_mfa"])
    if "mfa_methods" in changes:
        changes["mfa_methods"] = _second_factors(changes["mfa_methods"])
    if "reminder_offsets_minutes" in changes:
        changes["reminder_offsets_minutes"] = _offsets(changes["reminder_offsets_minutes"])
    for name in RANGES:
        if name in changes:
            changes[name] = int(changes[name])
    return replace(base, **changes)


def _roles(entries: Any) -> tuple[str, ...]:
    known = [role.value for role in Role]
    if any(entry not in known for entry in entries):
        raise ValidationFailed(f"Roles must be among {', '.join(known)}.", field="require_mfa")
    return tuple(role for role in known if role in entries)


def _second_factors(entries: Any) -> tuple[str, ...]:
    if not entries or any(entry not in SECOND_FACTORS for entry in entries):
        raise ValidationFailed(f"At least one of {', '.join(SECOND_FACTORS)}.", field="mfa_methods")
    return tuple(kind for kind in SECOND_FACTORS if kind in entries)


def _offsets(entries: Any) -> tuple[int, ...]:
    offsets = tuple(sorted({int(entry) for entry in entries}, reverse=True))
    if len(offsets) > MAX_REMINDERS or any(not 15 <= o <= 20160 or o % 15 for o in offsets):
        raise ValidationFailed(f"At most {MAX_REMINDERS} reminders, each 15 minutes to 14 days before, "
                               "in steps of 15 minutes.", field="reminder_offsets_minutes")
    return offsets


def _networks(entries: Any) -> tuple[str, ...]:
    if len(entries) > MAX_ALLOWLIST_ENTRIES:
        raise ValidationFailed(f"At most {MAX_ALLOWLIST_ENTRIES} networks.", field="ip_allowlist")
    try:
        return tuple(str(ipaddress.ip_network(entry, strict=False)) for entry in entries)
    except ValueError as error:
        raise ValidationFailed("Each entry must be an IP address or CIDR network.",
                               field="ip_allowlist") from error
