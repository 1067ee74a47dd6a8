"""The customer's e-mails about a booking, each with an iCalendar (.ics) file (calendar.py).

Every text comes from the message catalogues in the patient's language; the time is said in the
patient's zone with the clinic's where it differs (wording.py), as on the page and in the .ics.
Each e-mail carries the clinic's profile: address, phone, directions, website and cancellation policy.

No text a customer typed goes into an e-mail, a subject or a calendar file: not the notes, not the
name (an attacker booking as "Visit evil.example to pay" would otherwise speak first, in the clinic's
voice, and mail clients turn such text into links). The only customer data is the validated address.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import phone_numbers
from chalicelib.i18n import Gettext, gettext_for, negotiate
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.organization import Organization
from chalicelib.services.booking.calendar import calendar_file
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.booking.wording import Appointment, appointment_of
from chalicelib.services.notify import Attachment, send_email


@dataclass(frozen=True)
class BookingMail:
    kind: str  # "confirmed", "rescheduled", "cancelled" or "reminder"
    booking: Booking
    service: Service
    staff: StaffMember
    org: Organization
    to: str
    link: str  # the manage link, or the booking page after a cancellation

    def appointment(self) -> Appointment:
        return appointment_of(self.booking, self.service, self.staff, self.org)


def send_booking_mail(mail: BookingMail) -> None:
    appointment = mail.appointment()
    send_email(mail.to, subject(mail.kind, appointment), body(mail, appointment), [_invite(mail, appointment)])


def subject(kind: str, appointment: Appointment) -> str:
    _ = appointment.wording.gettext
    subjects = {
        "confirmed": _("Your appointment with %(clinic)s is booked"),
        "rescheduled": _("Your appointment with %(clinic)s has moved"),
        "cancelled": _("Your appointment with %(clinic)s is cancelled"),
        "reminder": _("Reminder: your appointment with %(clinic)s"),
    }
    return subjects[kind] % {"clinic": appointment.org.name}


def body(mail: BookingMail, appointment: Appointment) -> str:
    _ = appointment.wording.gettext
    lines = [_("Hello,"), "", _headline(mail.kind, appointment), ""]
    if mail.kind == "cancelled":
        lines += [_("Book another time: %(link)s") % {"link": mail.link}]
    else:
        lines += [_("See, move or cancel it: %(link)s") % {"link": mail.link},
                  _("Keep this link to yourself: anyone who has it can change the appointment.")]
    return "\n".join([*lines, "", *clinic_block(appointment, _)])


def _headline(kind: str, appointment: Appointment) -> str:
    _ = appointment.wording.gettext
    headlines = {
        "confirmed": _("Your %(service)s with %(staff)s is booked for %(when)s."),
        "rescheduled": _("Your %(service)s with %(staff)s has moved to %(when)s."),
        "reminder": _("Your %(service)s with %(staff)s is coming up: %(when)s."),
        "cancelled": _("Your %(service)s with %(staff)s on %(when)s is cancelled."),
    }
    return headlines[kind] % {"service": appointment.service.name, "staff": appointment.staff.display_name,
                              "when": appointment.wording.time.long(appointment.booking.starts_at)}


def clinic_block(appointment: Appointment, _: Gettext) -> list[str]:
    """The clinic's name and what its profile says: where, how to call, the cancellation policy."""
    profile = appointment.profile
    lines = [appointment.org.name, *(line.strip() for line in (profile.address or "").splitlines() if line.strip())]
    if profile.phone:
        lines.append(_("Phone: %(phone)s") % {"phone": phone_numbers.display(profile.phone)})
    if profile.map_url:
        lines.append(_("Directions: %(url)s") % {"url": profile.map_url})
    if profile.website:
        lines.append(profile.website)
    if profile.cancellation_policy:
        lines += ["", _("Cancellation policy: %(policy)s") % {"policy": profile.cancellation_policy}]
    return lines


def _invite(mail: BookingMail, appointment: Appointment) -> Attachment:
    method = "CANCEL" if mail.kind == "cancelled" else "REQUEST"
    return Attachment("appointment.ics", f"text/calendar; method={method}",
                      calendar_file(appointment, method, attendee=mail.to))


def send_verification_mail(org: Organization, to: str, code: str, link: str, minutes: int,
                           locale: str | None = None) -> None:
    """The one e-mail a pending hold sends: the code and the link that confirm it, in the clinic's words only."""
    _ = gettext_for(negotiate(locale, None, profile_of(org).default_language))
    values = {"clinic": org.name, "code": code, "link": link, "minutes": minutes}
    send_email(to, _("Confirm your appointment with %(clinic)s") % values, "\n".join([
        _("Someone asked to book an appointment with %(clinic)s using this e-mail address.") % values, "",
        _("To confirm it, enter this code on the booking page: %(code)s") % values,
        _("or open this link: %(link)s") % values, "",
        _("Both work for %(minutes)s minutes; until then the time is only held. If it was not you, ignore this "
          "e-mail: nothing is booked and no one else learns anything.") % values,
        "", org.name]))
