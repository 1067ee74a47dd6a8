"""Roles and the one permission table that decides every staff route (docs/security.md shows it)."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.errors import Forbidden


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"
    FRONTDESK = "frontdesk"
    AUDITOR = "auditor"


class Permission(StrEnum):
    OWN_ACCOUNT = "own_account"  # own sessions, own password, logout
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    POLICY_READ = "policy.read"
    POLICY_MANAGE = "policy.manage"
    LOGIN_ATTEMPTS_READ = "login_attempts.read"
    AUDIT_READ = "audit.read"
    CATALOG_READ = "catalog.read"  # services and staff
    CATALOG_MANAGE = "catalog.manage"
    BOOKINGS_READ = "bookings.read"  # the staff role: only bookings with themselves
    BOOKINGS_MANAGE = "bookings.manage"
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_MANAGE = "customers.manage"
    SUPPORT_READ = "support.read"  # the vendor's support grants to this org and what they read
    SUPPORT_MANAGE = "support.manage"  # approve, refuse, revoke, review them
    PRIVACY_POLICY_MANAGE = "privacy_policy.manage"
    CUSTOMER_NOTES = "customers.notes"  # a customer's clinical notes: read and write
    CUSTOMERS_ERASE = "customers.erase"  # erase a customer (fresh second factor); decide patients' erasure requests
    ORG_EXPORT = "org.export"  # all of the org's data, decrypted, in one archive (with a fresh second factor)
    ORG_DELETION = "org.deletion"  # ask for the org's deletion, or cancel it


_EVERYONE = frozenset(Role)
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})
_FRONT_OF_HOUSE = _ADMINS | {Role.STAFF, Role.FRONTDESK}

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.OWN_ACCOUNT: _EVERYONE,
    Permission.USERS_READ: _ADMINS,
    Permission.USERS_MANAGE: _ADMINS,
    Permission.POLICY_READ: _ADMINS,
    Permission.POLICY_MANAGE: _ADMINS,
    Permission.LOGIN_ATTEMPTS_READ: _ADMINS | {Role.AUDITOR},
    Permission.AUDIT_READ: _ADMINS | {Role.AUDITOR},
    Permission.CATALOG_READ: _EVERYONE,
    Permission.CATALOG_MANAGE: _ADMINS,
    Permission.BOOKINGS_READ: _FRONT_OF_HOUSE,
    Permission.BOOKINGS_MANAGE: _FRONT_OF_HOUSE,
    Permission.CUSTOMERS_READ: _FRONT_OF_HOUSE,
    Permission.CUSTOMERS_MANAGE: _ADMINS | {Role.FRONTDESK},
    Permission.SUPPORT_READ: _ADMINS | {Role.AUDITOR},
    Permission.SUPPORT_MANAGE: _ADMINS,
    Permission.PRIVACY_POLICY_MANAGE: _ADMINS,
    Permission.CUSTOMER_NOTES: frozenset({Role.OWNER, Role.STAFF}),  # the clinicians, not the office
    Permission.CUSTOMERS_ERASE: _ADMINS,
    Permission.ORG_EXPORT: frozenset({Role.OWNER}),
    Permission.ORG_DELETION: frozenset({Role.OWNER}),
}


def may(role: str, permission: Permission) -> bool:
    return Role(role) in PERMISSIONS[permission]


def require(role: str, permission: Permission) -> None:
    """Raise Forbidden unless `role` holds `permission`."""
    if not may(role, permission):
        raise Forbidden()


def may_assign(actor_role: str, target_role: str) -> bool:
    """Only owners make or unmake owners; admins manage every other role."""
    return actor_role == Role.OWNER or Role.OWNER not in (actor_role, target_role)
