"""Services and staff members: created and changed by admins, read by every staff role and the public."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound, ValidationFailed
from chalicelib.i18n import languages
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.user import User
from chalicelib.services import audit, hot_cache
from chalicelib.services.booking.timeline import GRANULE_SECONDS, WEEKDAYS
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

GRANULE_MINUTES = GRANULE_SECONDS // 60
MAX_SPAN_MINUTES = 240  # duration + buffers: at most 48 locks, so a reschedule fits one transaction
SERVICE_FIELDS = ("name", "duration_minutes", "buffer_before_minutes", "buffer_after_minutes",
                  "min_notice_minutes", "max_advance_days", "slot_step_minutes", "active", "names")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # reorder what is shown
STAFF_FIELDS = ("display_name", "timezone", "service_ids", "weekly_hours", "exceptions", "time_off",
                "user_id", "active")  # `version` is the store's, never the caller's


# --- services ---------------------------------------------------------------------------------------

def create_service(principal: Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_MANAGE)
    now = clock.now()
    service = Service(principal.org_id, uuid.uuid4().hex, created_at=now, updated_at=now)
    _apply(service, fields, SERVICE_FIELDS)
    _check_service(service)
    service.save(condition=Service.service_id.does_not_exist())
    hot_cache.forget_org(principal.org_id)
    _audit(principal, "service.created", service_id=service.service_id)
    return service_view(service)


def update_service(principal: Principal, service_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_MANAGE)
    service = get_service(principal.org_id, service_id)
    _apply(service, fields, SERVICE_FIELDS)
    _check_service(service)
    service.updated_at = clock.now()
    service.save()
    hot_cache.forget_org(principal.org_id)
    _audit(principal, "service.updated", service_id=service_id)
    return service_view(service)


def list_services(org_id: str, active_only: bool = False) -> list[Service]:
    """By name, as people look for them."""
    return sorted((s for s in Service.query(org_id) if s.active or not active_only), key=lambda s: s.name)


def get_service(org_id: str, service_id: str) -> Service:
    try:
        return Service.get(org_id, service_id)
    except Service.DoesNotExist as error:
        raise NotFound("No such service.") from error


def service_view(service: Service) -> dict[str, Any]:
    view = {"id": service.service_id, **{name: getattr(service, name) for name in SERVICE_FIELDS}}
    view["names"] = dict(service.names or {})
    return view


def service_name(service: Service, language: str) -> str:
    """The service's name in `language` where the clinic gave one, else its own (default-language) name."""
    return str((service.names or {}).get(language) or service.name)


# --- staff ------------------------------------------------------------------------------------------

def create_staff(principal: Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_MANAGE)
    now = clock.now()
    member = StaffMember(principal.org_id, uuid.uuid4().hex, created_at=now, updated_at=now)
    _apply(member, fields, STAFF_FIELDS)
    _check_staff(member)
    _check_user_link(member)
    member.save(condition=StaffMember.staff_id.does_not_exist())
    hot_cache.forget_org(principal.org_id)
    _audit(principal, "staff.created", staff_id=member.staff_id)
    return staff_view(member)


def update_staff(principal: Principal, staff_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_MANAGE)
    member = get_staff(principal.org_id, staff_id)
    _apply(member, fields, STAFF_FIELDS)
    _check_staff(member)
    if "user_id" in fields:  # a link made earlier stays valid for edits of other fields
        _check_user_link(member)
    member.updated_at = clock.now()
    try:
        member.save()  # conditional on the version read: two admins' edits never overwrite each other
        hot_cache.forget_org(principal.org_id)
    except PutError as error:
        raise Conflict("The staff member changed meanwhile; reload and try again.") from error
    _audit(principal, "staff.updated", staff_id=staff_id)
    return staff_view(member)


def list_staff(org_id: str, active_only: bool = False) -> list[StaffMember]:
    """By display name."""
    return sorted((m for m in StaffMember.query(org_id) if m.active or not active_only),
                  key=lambda m: m.display_name)


def get_staff(org_id: str, staff_id: str) -> StaffMember:
    try:
        return StaffMember.get(org_id, staff_id)
    except StaffMember.DoesNotExist as error:
        raise NotFound("No such staff member.") from error


def staff_view(member: StaffMember) -> dict[str, Any]:
    return {"id": member.staff_id, **{name: getattr(member, name) for name in STAFF_FIELDS}}


# --- the hot path's reads (ADR 0020): served from the in-process cache, at most TTL_SECONDS old ---------
# A booking checks the staff member's version in its transaction, so stale hours cost a retry, never a
# wrong booking; a service changed in another Lambda is seen within TTL_SECONDS. Admin reads and writes
# above never use these.

def cached_service(org_id: str, service_id: str) -> Service:
    found = hot_cache.cached_row(org_id, "services", Service, lambda: list(Service.query(org_id)),
                                 ("service_id", service_id))
    return found if found is not None else get_service(org_id, service_id)  # made a moment ago elsewhere


def cached_staff(org_id: str, active_only: bool = False) -> list[StaffMember]:
    """As `list_staff`, from the cache."""
    rows = hot_cache.cached_rows(org_id, "staff", StaffMember, lambda: _all_staff(org_id))
    return sorted((m for m in rows if m.active or not active_only), key=lambda m: m.display_name)


def cached_staff_member(org_id: str, staff_id: str) -> StaffMember:
    found = hot_cache.cached_row(org_id, "staff", StaffMember, lambda: _all_staff(org_id), ("staff_id", staff_id))
    return found if found is not None else get_staff(org_id, staff_id)


def _all_staff(org_id: str) -> list[StaffMember]:
    return list(StaffMember.query(org_id))


def staff_ids_of_user(org_id: str, user_id: str) -> set[str]:
    """The staff members a staff-role user works as (they see and change only those bookings)."""
    return {m.staff_id for m in StaffMember.query(org_id) if m.user_id == user_id}


# --- checks -----------------------------------------------------------------------------------------

def _check_service(service: Service) -> None:
    service.name = _display_text(service.name, "name")
    for code in dict(service.names or {}):
        if code not in languages():
            raise ValidationFailed(f"Choose languages among: {', '.join(languages())}.", field=f"names.{code}")
    service.names = {code: _display_text(name, f"names.{code}") for code, name in (service.names or {}).items()
                     if name} or None
    for name in ("duration_minutes", "buffer_before_minutes", "buffer_after_minutes", "slot_step_minutes"):
        if int(getattr(service, name)) % GRANULE_MINUTES:
            raise ValidationFailed(f"Field '{name}' must be a multiple of {GRANULE_MINUTES}.", field=name)
    span = service.duration_minutes + service.buffer_before_minutes + service.buffer_after_minutes
    if span > MAX_SPAN_MINUTES:
        raise ValidationFailed(f"Duration and buffers may total at most {MAX_SPAN_MINUTES} minutes.",
                               field="duration_minutes")


def _check_staff(member: StaffMember) -> None:
    member.display_name = _display_text(member.display_name, "display_name")
    clock.zone(member.timezone, "timezone")
    for day, intervals in (member.weekly_hours or {}).items():
        if day not in WEEKDAYS:
            raise ValidationFailed(f"Unknown weekday '{day}'.", field="weekly_hours")
        _check_intervals(intervals, "weekly_hours")
    for entry in member.exceptions or []:
        _parse(date.fromisoformat, entry["date"], "exceptions")
        _check_intervals(entry["intervals"], "exceptions")
    for entry in member.time_off or []:
        start, end = (clock.parse_instant(entry[key], "time_off") for key in ("start", "end"))
        if start >= end:
            raise ValidationFailed("Time off must end after it starts.", field="time_off")
    known = {s.service_id for s in Service.query(member.org_id)}
    if set(member.service_ids or []) - known:
        raise ValidationFailed("Unknown service id.", field="service_ids")


def _display_text(value: str | None, field: str) -> str:
    """A name people read (pages, e-mails, calendars): trimmed, not blank, no control characters."""
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"Field '{field}' must not be blank.", field=field)
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS for char in text):
        raise ValidationFailed(f"Field '{field}' must not hold control characters or line breaks.", field=field)
    return text


def _check_user_link(member: StaffMember) -> None:
    """A staff member works as a user of their own org, or as nobody."""
    if member.user_id is None:
        return
    unknown = ValidationFailed("No user with this id in your organization.", field="user_id")
    if not member.user_id:
        raise unknown  # DynamoDB refuses an empty key: never look it up
    try:
        User.get(member.org_id, member.user_id)
    except User.DoesNotExist as error:
        raise unknown from error


def _check_intervals(intervals: list[dict[str, str]], field: str) -> None:
    previous_end = "00:00"
    for interval in sorted(intervals, key=lambda i: i["start"]):
        start, end = interval["start"], interval["end"]
        for value in (start, end):
            if value != "24:00":
                minute = _parse(time.fromisoformat, value, field).minute
                if minute % GRANULE_MINUTES:
                    raise ValidationFailed(f"Hours must be on {GRANULE_MINUTES}-minute marks.", field=field)
        if not start < end or start < previous_end:
            raise ValidationFailed("Intervals must run forward and not overlap.", field=field)
        previous_end = end


def _parse(parse: Any, value: str, field: str) -> Any:
    try:
        return parse(value)
    except (TypeError, ValueError) as error:
        raise ValidationFailed(f"Field '{field}' holds an invalid date or time.", field=field) from error


def _apply(item: Any, fields: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for name in allowed:
        if name in fields:
            setattr(item, name, fields[name])


def _audit(principal: Principal, action: str, **subjects: str) -> None:
    audit.record(principal.org_id, principal.user_id, action, subjects=subjects, origin=principal.origin)
