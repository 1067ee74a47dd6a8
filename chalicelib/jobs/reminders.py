"""Appointment reminders, every 15 minutes: an e-mail at each of the org's offsets before a booking,
sent exactly once even when runs repeat or overlap (a claim per booking, version and offset)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.jobs import once
from chalicelib.jobs.runner import JobReport
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.services.booking.bookings import CONFIRMED, send_update
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.notice_claims import reminder_key


def run_reminders(report: JobReport) -> None:
    now, sent = clock.now(), 0
    for org in Organization.scan():
        offsets = sorted(policy_of(org).reminder_offsets_minutes)
        upcoming = Booking.by_start.query(org.org_id, Booking.starts_at.between(now, now + timedelta(
            minutes=max(offsets))))
        for booking in upcoming:
            offset = _offset_due(booking, offsets, now)
            if booking.status != CONFIRMED or offset is None:
                continue
            key = reminder_key(org.org_id, booking.booking_id, int(booking.sequence), offset)
            if not once.claim(key, timedelta(days=30)):
                continue
            if send_update("reminder", booking):
                sent += 1
            else:
                once.release(key)
                report.fail(f"reminder for booking {booking.booking_id} not sent")
    report.details["reminders_sent"] = sent


def _offset_due(booking: Booking, offsets: list[int], now: datetime) -> int | None:
    """The nearest offset whose time has come, if the booking was made before that time."""
    for offset in offsets:  # smallest first: a late run sends only the most recent reminder
        due = booking.starts_at - timedelta(minutes=offset)
        if due <= now:
            return offset if booking.created_at < due else None
    return None
