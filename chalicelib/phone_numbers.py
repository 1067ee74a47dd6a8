"""Phone numbers checked against real numbering plans (phonenumbers), stored in E.164 form.

moto accepts any string as a phone number, so our own code decides what is one.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from chalicelib.errors import ValidationFailed

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def e164(raw: str, field: str) -> str:
    """A number written in international form ("+1 415 555 0123") as E.164, or a 422 naming `field`."""
    return phonenumbers.format_number(_parse(raw, field), PhoneNumberFormat.E164)


def mobile_e164(raw: str, field: str) -> str:
    """Like `e164`, for numbers that must take text messages (a landline cannot)."""
    number = _parse(raw, field)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValidationFailed("This number cannot receive text messages; give a mobile number.",
                               field=field)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(number: str) -> str:
    """An E.164 number as people write it internationally: '+1 415-555-0123'."""
    return phonenumbers.format_number(phonenumbers.parse(number), PhoneNumberFormat.INTERNATIONAL)


def _parse(raw: str, field: str) -> phonenumbers.PhoneNumber:
    message = "Give the number in international form, starting with + and the country code."
    if not isinstance(raw, str) or not raw.strip().startswith("+") or len(raw) > 32:
        raise ValidationFailed(message, field=field)
    try:
        number = phonenumbers.parse(raw.strip())
    except NumberParseException as error:
        raise ValidationFailed(message, field=field) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("This is not a valid phone number.", field=field)
    return number
