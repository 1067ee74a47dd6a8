"""Who a privacy-policy version's notice goes to, and who has been told of it (issue 26).

The hourly job (jobs/policy_notices.py) e-mails every enabled staff user and every patient with a
confirmed booking still to come, once per version: a claim per version and person
(notice_claims.policy_notice_key), stamped with the time its mail went, released if the mail failed.
Owners and admins read those claims back: per version, how many staff and patients were told and how
many are still to be told, the staff by name; patients only as counts (minimum necessary, HIPAA
164.502(b) as the model: the owner needs to know the notice reached people, not who the patients are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib import clock
from chalicelib.errors import NotFound
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.models.user import User
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.notice_claims import NO_ADDRESS, Claim, claims_of, policy_notice_key

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Recipient:
    """One person a notice goes to: a staff user, or a patient with their bookings still to come."""

    key: str  # "user/<user id>" or "customer/<customer id>": the last part of the claim's key
    user: User | None = None
    bookings: tuple[Booking, ...] = ()  # a patient's confirmed bookings from now on (their language is in them)


def recipients(org_id: str, now: datetime) -> Iterator[Recipient]:
    """Enabled staff, then each patient with a confirmed booking from `now` on (once, with those bookings)."""
    for user in User.query(org_id):
        if not user.disabled:
            yield Recipient(f"user/{user.user_id}", user=user)
    yield from _patients(org_id, now)


def _patients(org_id: str, now: datetime) -> Iterator[Recipient]:
    upcoming: dict[str, list[Booking]] = {}
    for booking in Booking.by_start.query(org_id, Booking.starts_at >= now):
        if booking.status == CONFIRMED:
            upcoming.setdefault(booking.customer_id, []).append(booking)
    for customer_id, bookings in upcoming.items():
        yield Recipient(f"customer/{customer_id}", bookings=tuple(bookings))


def who_was_told(principal: Principal, version_in_path: str) -> dict[str, Any]:
    """Staff (by name) and patients (counts) told of a version, those still to be told while it is
    announced, and when the last notice went. Readable by whoever reads the versions."""
    require(principal.role, Permission.PRIVACY_POLICY_MANAGE)
    org_id, now = principal.org_id, clock.now()
    announced = _version(org_id, version_in_path)
    version = int(announced.version)
    due = announced.effective_at > now
    users = list(User.query(org_id))
    people = [f"user/{u.user_id}" for u in users] + [
        f"customer/{c.customer_id}" for c in Customer.query(org_id, attributes_to_get=["customer_id"])]
    claims = _claims(org_id, version, people)
    waiting = ({f"user/{u.user_id}" for u in users if not u.disabled} | {r.key for r in _patients(org_id, now)}
               ) - set(claims) if due else set()
    staff = [_member(u, claims.get(f"user/{u.user_id}")) for u in users
             if f"user/{u.user_id}" in claims or not u.disabled]
    patients = [c for who, c in claims.items() if who.startswith("customer/")]
    sent = [c.sent_at for c in claims.values() if c.sent_at is not None]
    return {"version": version, "effective_at": clock.isoformat(announced.effective_at), "notices_due": due,
            "last_sent_at": clock.isoformat(max(sent)) if sent else None,
            "staff": {"told": sum(1 for m in staff if m["told"]),
                      "to_tell": sum(1 for w in waiting if w.startswith("user/")), "members": staff},
            "patients": {"told": sum(1 for c in patients if c.outcome != NO_ADDRESS),
                         "to_tell": sum(1 for w in waiting if w.startswith("customer/")),
                         "without_email": sum(1 for c in patients if c.outcome == NO_ADDRESS)}}


def _claims(org_id: str, version: int, people: list[str]) -> dict[str, Claim]:
    """Each person's claim on the version's notice, by "user/<id>" or "customer/<id>"."""
    person_of = {policy_notice_key(org_id, version, who): who for who in people}
    return {person_of[key]: claim for key, claim in claims_of(list(person_of)).items()}


def _member(user: User, claim: Claim | None) -> dict[str, Any]:
    told = claim is not None and claim.outcome != NO_ADDRESS
    return {"user_id": user.user_id, "name": str(user.unseal()["name"]), "told": told,
            "told_at": clock.isoformat(claim.sent_at) if told and claim and claim.sent_at else None}


def _version(org_id: str, version: str) -> PolicyVersion:
    """The org's version numbered `version` (digits only, as the path gives it), else 404."""
    try:
        if not (version.isascii() and version.isdigit() and len(version) <= 9):  # "²".isdigit() is True
            raise PolicyVersion.DoesNotExist()
        return PolicyVersion.get(org_id, int(version))
    except PolicyVersion.DoesNotExist as error:
        raise NotFound("No such privacy-policy version.") from error
