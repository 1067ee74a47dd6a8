"""How to speak to one patient about one booking: their language, their clock and zone, the clinic's zone.

The booking stores the zone the page detected and the locale it ran in; staff bookings (no page) fall
back to the clinic's zone and default language. The clinic's side of the time is said in the clinic's own
zone (the org's), never the staff member's: a doctor set up in London does not move a New York clinic.
E-mails, text messages and calendar files all start from one `Appointment`, so they say the same time
in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.i18n import Gettext, formatting_locale, gettext_for, negotiate
from chalicelib.i18n.dates import TimeWording
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.organization import Organization
from chalicelib.services.booking.catalog import service_name
from chalicelib.services.booking.profile import ClinicProfile, profile_of


@dataclass(frozen=True)
class Wording:
    language: str
    gettext: Gettext
    time: TimeWording


@dataclass(frozen=True)
class Appointment:
    """A booking with everything a patient is told about it."""

    booking: Booking
    service: Service
    staff: StaffMember
    org: Organization
    profile: ClinicProfile
    wording: Wording

    @property
    def service_name(self) -> str:
        """The service as the clinic names it in the patient's language (else in its default one)."""
        return service_name(self.service, self.wording.language)

    def summary(self) -> str:
        """'Consultation with Dr Ana Ruiz (Demo Clinic)', in the patient's language."""
        return self.wording.gettext("%(service)s with %(staff)s (%(clinic)s)") % {
            "service": self.service_name, "staff": self.staff.display_name, "clinic": self.org.name}


def appointment_of(booking: Booking, service: Service, staff: StaffMember, org: Organization) -> Appointment:
    profile = profile_of(org)
    wording = wording_for(booking, org, profile)
    return Appointment(booking, service, staff, org, profile.in_language(wording.language), wording)


def wording_for(booking: Booking, org: Organization, profile: ClinicProfile) -> Wording:
    language = negotiate(booking.locale, None, profile.default_language)
    time = TimeWording(language=language, locale=formatting_locale(booking.locale, language),
                       patient_zone=booking.patient_timezone or org.timezone, clinic_zone=org.timezone)
    return Wording(language, gettext_for(language), time)


def wording_for_patient(bookings: Sequence[Booking], org: Organization, profile: ClinicProfile) -> Wording:
    """How to speak to a patient about some of their bookings: in the language and zone of the one they
    booked last on the page (staff bookings keep no locale), else as `wording_for` falls back."""
    said = [b for b in bookings if b.locale] or list(bookings)
    return wording_for(max(said, key=lambda b: b.created_at), org, profile)
