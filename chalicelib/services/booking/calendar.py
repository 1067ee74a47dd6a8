"""The iCalendar (.ics) file of a booking, made by `icalendar`: e-mailed invitations and the page's download.

Times are UTC instants (no TZID to resolve, so no VTIMEZONE is needed and no reader can float them).
The UID is stable per booking and SEQUENCE moves on every change, so calendar apps update or remove
the one event. The file names the clinic's address as LOCATION and its phone in the description,
carries an alarm an hour before, and never the manage link's secret: calendars get shared.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from chalicelib import clock, phone_numbers
from chalicelib.config import settings
from chalicelib.services.booking.wording import Appointment

if TYPE_CHECKING:  # `icalendar` is imported when a file is made, not by every cold start
    import icalendar

ALARM_BEFORE = timedelta(hours=1)
CANCELLED = "cancelled"


def calendar_file(entry: Appointment, method: str, attendee: str | None = None) -> bytes:
    """METHOD REQUEST (invitation) or CANCEL by e-mail with the attendee; PUBLISH for a download."""
    calendar = new_calendar(method)
    calendar.add_component(booking_event(entry, attendee))
    return calendar.to_ical()


def new_calendar(method: str) -> icalendar.Calendar:
    """An empty VCALENDAR with SafeSlot's PRODID and `method`."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//SafeSlot//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def booking_event(entry: Appointment, attendee: str | None = None, alarm: bool = True) -> icalendar.Event:
    """The VEVENT of one booking (the same UID and SEQUENCE wherever it is sent)."""
    import icalendar

    booking, cancelled = entry.booking, entry.booking.status == CANCELLED
    event = icalendar.Event()
    event.add("uid", f"{booking.booking_id}@safeslot")
    event.add("sequence", int(booking.sequence))
    event.add("dtstamp", clock.now().astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", entry.summary())
    event.add("location", _location(entry))
    event.add("description", _description(entry))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", entry.profile.website or f"{settings().public_url}/book/{entry.org.slug}")
    if attendee:
        event.add("organizer", f"mailto:{settings().mail_from}", parameters={"CN": entry.org.name})
        event.add("attendee", f"mailto:{attendee}", parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"})
    if alarm and not cancelled:
        event.add_component(_alarm(entry))
    return event


def _location(entry: Appointment) -> str:
    address = ", ".join(line.strip() for line in (entry.profile.address or "").splitlines() if line.strip())
    return f"{entry.org.name}, {address}" if address else entry.org.name


def _description(entry: Appointment) -> str:
    _ = entry.wording.gettext
    lines = [entry.wording.time.long(entry.booking.starts_at)]
    if entry.profile.phone:
        lines.append(_("Clinic phone: %(phone)s") % {"phone": phone_numbers.display(entry.profile.phone)})
    if entry.profile.map_url:
        lines.append(_("Directions: %(url)s") % {"url": entry.profile.map_url})
    lines.append(_("To see, move or cancel it, use the link in your confirmation e-mail."))
    return "\n".join(lines)


def _alarm(entry: Appointment) -> icalendar.Alarm:
    import icalendar

    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", entry.summary())
    return alarm
