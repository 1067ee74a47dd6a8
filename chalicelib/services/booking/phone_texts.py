"""Texts to a patient who has a phone but no e-mail (added by the front desk): the only way they hear of
their booking, so the clinic's opt-in setting for the booking page does not apply; a number that replied
STOP still gets nothing and the daily limit per number holds (`texts.send_booking_text`'s rules).
"""

from __future__ import annotations

from chalicelib.logs import logger
from chalicelib.services.booking import texts
from chalicelib.services.booking.wording import Appointment


def text_without_email(kind: str, appointment: Appointment, phone: str | None) -> bool:
    """Text the booking's news to a patient without e-mail; False when there is no number or it is refused."""
    if not phone:
        logger.info("booking news not sent: the patient has no contact", extra={
            "booking_id": appointment.booking.booking_id})
        return False
    return texts.send_booking_text(kind, _with_texts_on(appointment), phone, in_email=False)


def _with_texts_on(appointment: Appointment) -> Appointment:
    from dataclasses import replace

    return replace(appointment, profile=replace(appointment.profile, sms_enabled=True))
