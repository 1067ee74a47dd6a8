"""What a staff member's calendar feed holds: their bookings as iCalendar events, without patient data.

Each event names the service, the time (UTC), the clinic's address and a link into the console, where a
signed-in user sees the rest. Patients' names, contacts and notes never reach the feed (a subscribed
calendar is copied to phone vendors' clouds); a clinic may opt in to initials, and then the read names
every patient whose initials it showed on the audit chain, as the front desk's day view does.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import SealedDataErased
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.booking.calendar import new_calendar
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.calendar_feeds.feeds import FEED_READER, LiveFeed
from chalicelib.services.organizations import org_by_id

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)
SHOWN = ("confirmed",)  # held and cancelled times are left out: a subscribed calendar drops what disappears
BATCH = 100


def feed_calendar(feed: LiveFeed, origin: audit.Origin) -> bytes:
    """The VCALENDAR of the staff member's confirmed bookings from 30 days ago to 180 days ahead."""
    import icalendar

    org = org_by_id(feed.org_id)
    staff = catalog.get_staff(feed.org_id, feed.staff_id)
    services = {s.service_id: s.name for s in catalog.list_services(feed.org_id)}
    now = clock.now()
    rows = [b for b in Booking.by_start.query(feed.org_id, Booking.starts_at.between(now - PAST, now + AHEAD))
            if b.staff_id == feed.staff_id and b.status in SHOWN]
    initials = _initials(feed.org_id, {b.customer_id for b in rows}) if org.calendar_feed_initials else {}
    if initials:
        audit.record_shown(feed.org_id, FEED_READER, "calendar_feed.initials_shown", initials, origin=origin,
                           subjects={"staff_id": feed.staff_id, "count": str(len(initials))})
    location = _location(org.name, profile_of(org).address)
    calendar = new_calendar("PUBLISH")
    calendar.add("x-wr-calname", f"{org.name}: {staff.display_name}")
    for booking in rows:
        event = icalendar.Event()
        event.add("uid", f"staff-{booking.booking_id}@safeslot")
        event.add("sequence", int(booking.sequence))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", booking.starts_at.astimezone(UTC))
        event.add("dtend", booking.ends_at.astimezone(UTC))
        who = initials.get(booking.customer_id)
        service = services.get(booking.service_id, "Appointment")
        event.add("summary", f"{service} ({who})" if who else service)
        event.add("location", location)
        event.add("url", f"{settings().public_url}/console")
        event.add("description", f"Open the console for details: {settings().public_url}/console")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def initials_of(name: str) -> str:
    """`Alice Zebrowski` -> `A.Z.`: the first letter of each of the first and last words."""
    words = [word for word in name.split() if word[:1].isalpha()]
    if not words:
        return ""
    chosen = [words[0], words[-1]] if len(words) > 1 else words
    return "".join(f"{word[0].upper()}." for word in chosen)


def _initials(org_id: str, customer_ids: set[str]) -> dict[str, str]:
    ids = sorted(customer_ids)
    found: dict[str, str] = {}
    for first in range(0, len(ids), BATCH):
        for customer in Customer.batch_get([(org_id, i) for i in ids[first:first + BATCH]]):
            try:
                shown = initials_of(customer.unseal()["name"])
            except SealedDataErased:
                continue
            if shown:
                found[customer.customer_id] = shown
    return found


def _location(name: str, address: str | None) -> str:
    lines = ", ".join(line.strip() for line in (address or "").splitlines() if line.strip())
    return f"{name}, {lines}" if lines else name
