"""The customer's e-mails about a booking, each with an iCalendar (.ics) file made by `icalendar`.

The UID is stable per booking and SEQUENCE moves on every change, so calendar apps update or remove
the one event. Times in the file are UTC; the text shows them in the staff member's zone.

No text a customer typed goes into an e-mail, a subject or a calendar file: not the notes, not the
name (an attacker booking as "Visit evil.example to pay" would otherwise speak first, in the clinic's
voice, and mail clients turn such text into links). The only customer data is the validated address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.organization import Organization
from chalicelib.services.notify import Attachment, send_email

SUBJECTS = {
    "confirmed": "Your appointment with {org} is booked",
    "rescheduled": "Your appointment with {org} has moved",
    "cancelled": "Your appointment with {org} is cancelled",
    "reminder": "Reminder: your appointment with {org}",
}
VERBS = {"confirmed": "is booked", "rescheduled": "now takes place", "reminder": "is coming up"}


@dataclass(frozen=True)
class BookingMail:
    kind: str  # "confirmed", "rescheduled", "cancelled" or "reminder"
    booking: Booking
    service: Service
    staff: StaffMember
    org: Organization
    to: str
    link: str  # the manage link, or the booking page after a cancellation


def send_booking_mail(mail: BookingMail) -> None:
    subject = SUBJECTS[mail.kind].format(org=mail.org.name)
    send_email(mail.to, subject, _text(mail), [_invite(mail)])


def calendar_event(mail: BookingMail) -> bytes:
    """The iCalendar object: METHOD REQUEST for a booking or a move, CANCEL for a cancellation."""
    cancelled = mail.kind == "cancelled"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//SafeSlot//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{mail.booking.booking_id}@safeslot")
    event.add("sequence", int(mail.booking.sequence))
    event.add("dtstamp", clock.now())
    event.add("dtstart", mail.booking.starts_at)
    event.add("dtend", mail.booking.ends_at)
    event.add("summary", f"{mail.service.name} with {mail.staff.display_name} ({mail.org.name})")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", f"mailto:{settings().mail_from}")
    event.add("attendee", f"mailto:{mail.to}")
    event.add("url", mail.link)
    calendar.add_component(event)
    return calendar.to_ical()


def _invite(mail: BookingMail) -> Attachment:
    method = "CANCEL" if mail.kind == "cancelled" else "REQUEST"
    return Attachment("appointment.ics", f"text/calendar; method={method}", calendar_event(mail))


def _text(mail: BookingMail) -> str:
    when = _local(mail.booking.starts_at, mail.staff.timezone)
    lines = ["Hello,", ""]
    if mail.kind == "cancelled":
        lines += [f"Your {mail.service.name} with {mail.staff.display_name} on {when} is cancelled.", "",
                  f"Book another time: {mail.link}"]
    else:
        lines += [f"Your {mail.service.name} with {mail.staff.display_name} {VERBS[mail.kind]} on {when}.", "",
                  f"See, move or cancel it: {mail.link}",
                  "Keep this link to yourself: anyone who has it can change the appointment."]
    return "\n".join([*lines, "", mail.org.name])


def send_verification_mail(org: Organization, to: str, code: str, link: str, minutes: int) -> None:
    """The one e-mail a pending hold sends: the code and the link that confirm it, in the clinic's words only."""
    send_email(to, f"Confirm your appointment with {org.name}", "\n".join([
        f"Someone asked to book an appointment with {org.name} using this e-mail address.", "",
        f"To confirm it, enter this code on the booking page: {code}", f"or open this link: {link}", "",
        f"Both work for {minutes} minutes; until then the time is only held. "
        "If it was not you, ignore this e-mail: nothing is booked and no one else learns anything.",
        "", org.name]))


def _local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y at %H:%M (%Z, UTC%z)")
