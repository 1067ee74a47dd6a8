"""The series as one calendar event, and the patient's e-mail that carries it.

The event's DTSTART is the first occurrence in the staff member's zone (with its VTIMEZONE), so calendar
apps repeat it at the same wall-clock time across daylight-saving changes: RRULE FREQ=WEEKLY with the
series' INTERVAL and COUNT. An occurrence cancelled or moved is an EXDATE of the rule; a moved one is also
an event of its own at its new time. SEQUENCE moves with every change, so apps replace what they hold.
Like a single booking's file, it names the service and the clinic, never the patient, and holds no secret.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.models.booking import Booking
from chalicelib.models.series import BookingSeries
from chalicelib.services import customers, notify
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.booking import catalog
from chalicelib.services.booking.calendar import new_calendar
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.organizations import org_by_id
from chalicelib.services.series.booking import occurrences_of
from chalicelib.services.series.occurrences import planned


def series_calendar(series: BookingSeries, method: str = "PUBLISH") -> bytes:
    """The VCALENDAR of the series: one recurring event, its exceptions, and each moved occurrence."""
    import icalendar

    zone = clock.zone(series.timezone, "timezone")
    org = org_by_id(series.org_id)
    service = catalog.get_service(series.org_id, series.service_id)
    address = ", ".join(line.strip() for line in (profile_of(org).address or "").splitlines() if line.strip())
    location = f"{org.name}, {address}" if address else org.name
    plan = planned(datetime.fromisoformat(series.first_local), zone, int(series.every_weeks),
                   int(series.occurrence_count))
    bookings = {b.booking_id: b for b in occurrences_of(series)}
    exceptions: list[datetime] = []
    moved: list[Booking] = []
    for occurrence, booking_id in zip(plan, series.booking_ids, strict=False):
        booking = bookings.get(booking_id)
        if booking is None or booking.status != calendar.CONFIRMED:
            exceptions.append(occurrence.local.replace(tzinfo=zone))
        elif booking.starts_at != occurrence.start:
            exceptions.append(occurrence.local.replace(tzinfo=zone))
            moved.append(booking)
    cal = new_calendar(method)
    event = icalendar.Event()
    event.add("uid", f"series-{series.series_id}@safeslot")
    event.add("sequence", int(series.sequence))
    event.add("dtstamp", clock.now().astimezone(UTC))
    first = plan[0].local.replace(tzinfo=zone)
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(minutes=int(service.duration_minutes)))
    event.add("rrule", {"freq": "weekly", "interval": int(series.every_weeks), "count": int(series.occurrence_count)})
    for excluded in exceptions:
        event.add("exdate", excluded)
    event.add("summary", f"{service.name} ({org.name})")
    event.add("location", location)
    event.add("url", f"{settings().public_url}/book/{org.slug}")
    cal.add_component(event)
    for booking in moved:
        single = icalendar.Event()
        single.add("uid", f"{booking.booking_id}@safeslot")
        single.add("sequence", int(booking.sequence))
        single.add("dtstamp", clock.now().astimezone(UTC))
        single.add("dtstart", booking.starts_at.astimezone(zone))
        single.add("dtend", booking.ends_at.astimezone(zone))
        single.add("summary", f"{service.name} ({org.name})")
        single.add("location", location)
        cal.add_component(single)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def mail_series(series: BookingSeries, changed: bool = False) -> None:
    """E-mail the patient the series (an invitation their calendar app adds or updates in one go)."""
    org = org_by_id(series.org_id)
    contact = customers.contact_of(series.org_id, series.customer_id)
    plan = planned(datetime.fromisoformat(series.first_local), clock.zone(series.timezone, "timezone"),
                   int(series.every_weeks), int(series.occurrence_count))
    lines = "\n".join(f"- {p.local.strftime('%A %d %B %Y, %H:%M')}" for p in plan)
    verb = "has changed" if changed else "is booked"
    text = (f"Your series of {int(series.occurrence_count)} appointments at {org.name} {verb} "
            f"({series.timezone} time):\n{lines}\n\nThe attached calendar file holds the whole series. To see "
            "or change your appointments, ask for a link on the clinic's booking page.")
    attachment = notify.Attachment("series.ics", "text/calendar; method=REQUEST", series_calendar(series, "REQUEST"))
    notify.send_email(contact.email, f"{org.name}: your appointments", text, [attachment])
