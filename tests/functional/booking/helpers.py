"""A clinic to book with: an org, a service, staff members with hours, and request helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalice.test import Client

from chalicelib.services.audit import SYSTEM
from chalicelib.services.booking import catalog
from chalicelib.services.identity.policy import change_policy
from chalicelib.services.identity.sessions import Principal
from tests.functional.identity.helpers import make_org

WEEKDAYS_9_TO_5 = {day: [{"start": "09:00", "end": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
ALICE = {"name": "Alice Zebrowski", "email": "alice.zebrowski@example.org", "phone": "+14155550123"}


@dataclass
class Clinic:
    slug: str
    org_id: str
    owner: Principal
    accounts: dict[str, Any]
    service: dict[str, Any]
    staff: list[dict[str, Any]] = field(default_factory=list)

    def add_staff(self, name: str, timezone: str = "UTC", **fields: Any) -> dict[str, Any]:
        fields.setdefault("weekly_hours", WEEKDAYS_9_TO_5)
        member = catalog.create_staff(self.owner, {"display_name": name, "timezone": timezone,
                                                   "service_ids": [self.service["id"]], **fields})
        self.staff.append(member)
        return member


def make_clinic(slug: str = "clinic", roles: tuple[str, ...] = (), staff_zone: str = "UTC",
                verify_email: bool = False, **service_fields: Any) -> Clinic:
    """A clinic; public bookings are made at once unless `verify_email` (the product's default) is asked for."""
    accounts = make_org(slug, roles)
    owner = accounts["owner"]
    principal = Principal(owner.org_id, owner.user_id, "owner", "seed", "full", SYSTEM)
    if not verify_email:
        change_policy(principal, {"require_email_verification": False})
    service = catalog.create_service(principal, {"name": "Consultation", "duration_minutes": 30,
                                                 "min_notice_minutes": 60, **service_fields})
    clinic = Clinic(slug, owner.org_id, principal, accounts, service)
    clinic.add_staff("Dr Ada", staff_zone)
    return clinic


def next_weekday(after: date | None = None, weekday: int = 1) -> date:
    """The first date after `after` (default: today + 2 days) that falls on `weekday` (0 = Monday)."""
    day = (after or datetime.now(UTC).date() + timedelta(days=2)) + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hhmm: str, zone: str = "UTC") -> str:
    """The ISO instant of `hhmm` on `day` in `zone`."""
    local = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), tzinfo=ZoneInfo(zone))
    return local.isoformat()


def book(client: Client, clinic: Clinic, start: str, key: str | None = None, **extra: Any):
    body = {"service_id": clinic.service["id"], "start": start, "customer": ALICE, **extra}
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return client.http.post(f"/v1/public/orgs/{clinic.slug}/bookings", headers=headers, body=json.dumps(body))


def manage(client: Client, method: str, path: str, token: str | None, body: Any = None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["X-Manage-Token"] = token
    return client.http.request(method, path, headers=headers,
                               body=json.dumps(body).encode() if body is not None else b"")


def token_of(manage_url: str) -> str:
    return manage_url.split("#", 1)[1]


def held_slots() -> dict[tuple[str, int], str]:
    """Every 5-minute slot the staff-hour lock items hold: (staff key, granule) -> booking id."""
    from chalicelib.models.booking import SlotLock
    from chalicelib.services.booking.slot_locks import held

    return {place: str(slot.b) for place, slot in held(SlotLock.scan()).items()}
