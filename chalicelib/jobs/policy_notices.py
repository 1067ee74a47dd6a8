"""Privacy-policy change notices, hourly: every staff user and every customer with an upcoming booking
is e-mailed once about each announced version, before it takes effect (a claim per version and person,
released if the e-mail failed so the next run tries again)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.jobs import once
from chalicelib.jobs.runner import JobReport
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.models.privacy_policy import PolicyVersion
from chalicelib.models.user import User
from chalicelib.services import customers, notify
from chalicelib.services.notice_claims import policy_notice_key
from chalicelib.services.privacy_policies import scheduled_versions

CLAIM_KEPT_FOR = timedelta(days=400)  # longer than any notice period
CONFIRMED = "confirmed"


def run_policy_notices(report: JobReport) -> None:
    now, sent = clock.now(), 0
    for org in Organization.scan():
        for version in scheduled_versions(org.org_id, now):
            sent += _notify_everyone(report, org, version, now)
    report.details["policy_notices_sent"] = sent


def _notify_everyone(report: JobReport, org: Organization, version: PolicyVersion, now: datetime) -> int:
    sent = 0
    for recipient, address_of in _recipients(org.org_id, now):
        key = policy_notice_key(org.org_id, int(version.version), recipient)
        if not once.claim(key, CLAIM_KEPT_FOR):
            continue
        try:
            address = address_of()
            if not address:  # a patient the front desk added without e-mail: nothing to send to
                continue
            notify.send_email(address, *_notice(org, version))
            sent += 1
        except Exception as error:  # one bad address never stops the others; the next run retries it
            once.release(key)
            report.fail(f"policy notice to {recipient} not sent ({type(error).__name__})")
    return sent


def _recipients(org_id: str, now: datetime) -> Iterator[tuple[str, Callable[[], str]]]:
    """(recipient key, a function giving their address): enabled staff, then customers booked from now on."""
    for user in User.query(org_id):
        if not user.disabled:
            yield f"user/{user.user_id}", functools.partial(_user_address, user)
    seen: set[str] = set()
    for booking in Booking.by_start.query(org_id, Booking.starts_at >= now):
        if booking.status == CONFIRMED and booking.customer_id not in seen:
            seen.add(booking.customer_id)
            yield f"customer/{booking.customer_id}", functools.partial(_customer_address, org_id, booking.customer_id)


def _user_address(user: User) -> str:
    return str(user.unseal()["email"])


def _customer_address(org_id: str, customer_id: str) -> str:
    return customers.contact_of(org_id, customer_id).email


def _notice(org: Organization, version: PolicyVersion) -> tuple[str, str]:
    date = version.effective_at.strftime("%d %B %Y")
    return (f"{org.name} is updating its privacy policy on {date}", "\n".join([
        "Hello,", "", f"{org.name} is updating its privacy policy. The new version takes effect on {date} (UTC).",
        "", "What changes:", version.summary, "",
        f"Read the new version and the list of services that handle your data: "
        f"{settings().public_url}/privacy/{org.slug}",
    ]))
