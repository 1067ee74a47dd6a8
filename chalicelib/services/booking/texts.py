"""Text messages (SMS through SNS) about a booking, for patients who gave a mobile number and opted in.

A text says the clinic, the service, the doctor and the time (the same words as the e-mail) and
never the notes or the manage link: a phone's lock screen shows it to anyone nearby. A number that
replied STOP is on SNS's opt-out list and gets nothing; texts per number are limited per day.
"""

from __future__ import annotations

from chalicelib import phone_numbers
from chalicelib.crypto.blind_index import blind_index
from chalicelib.errors import TooManyAttempts, ValidationFailed
from chalicelib.logs import logger
from chalicelib.services import notify, rate_limits
from chalicelib.services.booking.profile import ClinicProfile
from chalicelib.services.booking.wording import Appointment

TEXTS_PER_NUMBER = rate_limits.Limit("sms-number", max_hits=8, window_seconds=86400)
SMS_NUMBER_INDEX = "sms-number"  # counters are keyed by an HMAC of the number, never the number


def send_booking_text(kind: str, appointment: Appointment, to: str, in_email: bool = True) -> bool:
    """Text the patient if the clinic offers texts, the number has not opted out and is under its limit."""
    if not appointment.profile.sms_enabled:
        return False
    if notify.sms_opted_out(to):
        logger.info("text not sent: number opted out", extra={"booking_id": appointment.booking.booking_id})
        return False
    subject = blind_index(appointment.org.org_id, SMS_NUMBER_INDEX, to)
    try:  # taken before the text with a conditional write: racing bookings cannot pass the limit
        rate_limits.take(TEXTS_PER_NUMBER, subject)
    except TooManyAttempts:
        logger.warning("text not sent: daily limit", extra={"booking_id": appointment.booking.booking_id})
        return False
    try:
        notify.send_sms(to, text(kind, appointment, in_email))
    except Exception:
        rate_limits.give_back(TEXTS_PER_NUMBER, subject)  # nothing went out: the number keeps its turn
        raise
    return True


def text(kind: str, appointment: Appointment, in_email: bool = True) -> str:
    _ = appointment.wording.gettext
    wording = {
        "confirmed": _("%(clinic)s: your %(service)s with %(staff)s is booked for %(when)s."),
        "rescheduled": _("%(clinic)s: your %(service)s with %(staff)s has moved to %(when)s."),
        "reminder": _("%(clinic)s: reminder, your %(service)s with %(staff)s is on %(when)s."),
        "cancelled": _("%(clinic)s: your %(service)s with %(staff)s on %(when)s is cancelled."),
    }
    said = wording[kind] % {"clinic": appointment.org.name, "service": appointment.service_name,
                            "staff": appointment.staff.display_name,
                            "when": appointment.wording.time.short(appointment.booking.starts_at)}
    # CLDR puts narrow no-break spaces in times ("12:45\u202fAM"): plain ones keep texts short
    closing = _("Details are in your e-mail. Reply STOP to stop these texts.") if in_email else _(
        "Call the clinic to change it. Reply STOP to stop these texts.")
    return " ".join([said, closing]).replace("\u202f", " ")


def opted_in_number(profile: ClinicProfile, phone: str | None) -> str:
    """The E.164 mobile number a patient opted in with, or a 422 saying what is missing."""
    if not profile.sms_enabled:
        raise ValidationFailed("This clinic does not send text messages.", field="sms_opt_in")
    if not phone:
        raise ValidationFailed("Give a mobile number to get text messages.", field="customer.phone")
    return phone_numbers.mobile_e164(phone, "customer.phone")
