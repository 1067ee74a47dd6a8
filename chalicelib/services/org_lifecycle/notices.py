"""Who is told that an org's account ends: its staff, and patients with upcoming appointments.

Each person gets one e-mail per event, sent to the address stored on their record. Bodies name the
clinic and dates only: no health data, no text a patient typed. Patients get a letter from the clinic
(booking/letters.py) in the language and zone of their booking; staff get English, the console's
language being kept in the browser only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.i18n import Gettext
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import notify
from chalicelib.services.booking.letters import Paragraph, clinic_letter
from chalicelib.services.booking.profile import ClinicProfile, profile_of
from chalicelib.services.booking.wording import Wording, wording_for_patient

# Named in the answer and the owner's e-mail: the clinic takes its data with it before the grace ends.
EXPORT_ROUTE = "POST /v1/org/exports"


def upcoming_bookings(org_id: str, booked_before: datetime | None = None,
                      booked_after: datetime | None = None) -> list[Booking]:
    """Confirmed appointments still to come, optionally only those booked before or after an instant."""
    now = clock.now()
    return [b for b in Booking.by_start.query(org_id, Booking.starts_at > now)
            if b.status == "confirmed" and (booked_before is None or b.created_at <= booked_before)
            and (booked_after is None or b.created_at > booked_after)]


def tell_staff(org_id: str, subject: str, text: str) -> int:
    """E-mail every enabled user of the org once; returns how many were told."""
    told = 0
    for user in User.query(org_id):
        if not user.disabled:
            notify.send_email(str(user.unseal()["email"]), subject, text)
            told += 1
    return told


def tell_patients(org: Organization, bookings: Iterable[Booking], kind: str) -> int:
    """One letter per patient from the clinic, in their language, listing their appointments among
    `bookings` in their zone; `kind` is CLOSING, KEPT or CANCELLED. Returns how many were told."""
    by_customer: dict[str, list[Booking]] = {}
    for booking in bookings:
        by_customer.setdefault(booking.customer_id, []).append(booking)
    profile, told = profile_of(org), 0
    for customer_id, theirs in by_customer.items():
        address = _address_of(org.org_id, customer_id)
        if address:
            wording = wording_for_patient(theirs, org, profile)
            notify.send_letter(address, _patient_letter(org, profile, wording, kind, sorted(
                theirs, key=lambda b: b.starts_at)))
            told += 1
    return told


def _patient_letter(org: Organization, profile: ClinicProfile, wording: Wording, kind: str,
                    theirs: list[Booking]) -> notify.Letter:
    _ = wording.gettext
    subject, opening = _PATIENT_WORDS[kind](_, org, wording)
    times: list[Paragraph] = [f"- {wording.time.long(b.starts_at)}" for b in theirs]
    return clinic_letter(org, profile.in_language(wording.language), _, wording.language, subject, [
        _("Hello,"), None, opening, None, _("Your appointments:"), *times, None,
        _("Please contact %(clinic)s directly to arrange your care.") % {"clinic": org.name}])


def _closing(_: Gettext, org: Organization, wording: Wording) -> tuple[str, str]:
    values = {"clinic": org.name, "date": wording.time.day(org.deletion_due_at) if org.deletion_due_at else ""}
    return (_("%(clinic)s closes its online booking") % values,
            _("%(clinic)s is closing its online booking with SafeSlot on %(date)s. Appointments before that day "
              "take place as booked; those after it are cancelled on that day, and the details SafeSlot holds "
              "for %(clinic)s about you are deleted.") % values)


def _kept(_: Gettext, org: Organization, wording: Wording) -> tuple[str, str]:
    values = {"clinic": org.name}
    return (_("%(clinic)s keeps its online booking") % values,
            _("%(clinic)s keeps its online booking with SafeSlot: your appointments stand.") % values)


def _cancelled(_: Gettext, org: Organization, wording: Wording) -> tuple[str, str]:
    values = {"clinic": org.name}
    return (_("Your appointment with %(clinic)s is cancelled") % values,
            _("%(clinic)s has closed its online booking with SafeSlot; the appointments below are cancelled.")
            % values)


CLOSING, KEPT, CANCELLED = "closing", "kept", "cancelled"
_PATIENT_WORDS: dict[str, Callable[[Gettext, Organization, Wording], tuple[str, str]]] = {
    CLOSING: _closing, KEPT: _kept, CANCELLED: _cancelled}


def day(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%d %B %Y")


def _address_of(org_id: str, customer_id: str) -> str | None:
    try:
        email = Customer.get(org_id, customer_id).unseal().get("email")
        return str(email) if email else None
    except Customer.DoesNotExist:
        return None  # erased: nobody to tell
