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

from chalicelib.i18n import gettext_for, negotiate
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.organization import Organization
from chalicelib.services.booking.calendar import calendar_file
from chalicelib.services.booking.letters import Link, Paragraph, clinic_letter, place_of
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.booking.wording import Appointment, appointment_of
from chalicelib.services.notify import Attachment, Letter, send_letter


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
    send_letter(mail.to, letter(mail, appointment), [_invite(mail, appointment)])


def letter(mail: BookingMail, appointment: Appointment) -> Letter:
    """The booking's letter from the clinic: what happened, where, the link, then the clinic's details."""
    wording = appointment.wording
    return clinic_letter(appointment.org, appointment.profile, wording.gettext, wording.language,
                         subject(mail.kind, appointment), body(mail, appointment))


def subject(kind: str, appointment: Appointment) -> str:
    _ = appointment.wording.gettext
    subjects = {
        "confirmed": _("Your appointment with %(clinic)s is booked"),
        "rescheduled": _("Your appointment with %(clinic)s has moved"),
        "cancelled": _("Your appointment with %(clinic)s is cancelled"),
        "reminder": _("Reminder: your appointment with %(clinic)s"),
    }
    return subjects[kind] % {"clinic": appointment.org.name}


def body(mail: BookingMail, appointment: Appointment) -> list[Paragraph]:
    _ = appointment.wording.gettext
    lines: list[Paragraph] = [_("Hello,"), None, _headline(mail.kind, appointment),
                              _("Where: %(place)s") % {"place": place_of(appointment.org, appointment.profile)},
                              None]
    if mail.kind == "cancelled":
        lines += [Link(_("Book another time: %(link)s") % {"link": mail.link}, mail.link)]
    else:
        lines += [Link(_("See, move or cancel it: %(link)s") % {"link": mail.link}, mail.link),
                  _("Keep this link to yourself: anyone who has it can change the appointment.")]
    return lines


def _headline(kind: str, appointment: Appointment) -> str:
    _ = appointment.wording.gettext
    headlines = {
        "confirmed": _("Your %(service)s with %(staff)s is booked for %(when)s."),
        "rescheduled": _("Your %(service)s with %(staff)s has moved to %(when)s."),
        "reminder": _("Your %(service)s with %(staff)s is coming up: %(when)s."),
        "cancelled": _("Your %(service)s with %(staff)s on %(when)s is cancelled."),
    }
    return headlines[kind] % {"service": appointment.service_name, "staff": appointment.staff.display_name,
                              "when": appointment.wording.time.long(appointment.booking.starts_at)}


def _invite(mail: BookingMail, appointment: Appointment) -> Attachment:
    method = "CANCEL" if mail.kind == "cancelled" else "REQUEST"
    return Attachment("appointment.ics", f"text/calendar; method={method}",
                      calendar_file(appointment, method, attendee=mail.to))


def send_verification_mail(org: Organization, to: str, code: str, link: str, minutes: int,
                           locale: str | None = None) -> None:
    """The one e-mail a pending hold sends: the code and the link that confirm it, in the clinic's words only."""
    profile = profile_of(org)
    language = negotiate(locale, None, profile.default_language)
    _ = gettext_for(language)
    values = {"clinic": org.name, "code": code, "link": link, "minutes": minutes}
    send_letter(to, clinic_letter(org, profile.in_language(language), _, language,
                                  _("Confirm your appointment with %(clinic)s") % values, [
        _("Someone asked to book an appointment with %(clinic)s using this e-mail address.") % values, None,
        _("To confirm it, enter this code on the booking page: %(code)s") % values,
        Link(_("or open this link: %(link)s") % values, link), None,
        _("Both work for %(minutes)s minutes; until then the time is only held. If it was not you, ignore this "
          "e-mail: nothing is booked and no one else learns anything.") % values]))
