"""Phone numbers checked against real numbering plans (phonenumbers), stored in E.164 form.

moto accepts any string as a phone number, so our own code decides what is one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.errors import ValidationFailed

if TYPE_CHECKING:  # `phonenumbers` (its metadata is large) loads on the first number, not every cold start
    import phonenumbers


def e164(raw: str, field: str) -> str:
    """A number written in international form ("+1 415 555 0123") as E.164, or a 422 naming `field`."""
    import phonenumbers

    return phonenumbers.format_number(_parse(raw, field), phonenumbers.PhoneNumberFormat.E164)


def mobile_e164(raw: str, field: str) -> str:
    """Like `e164`, for numbers that must take text messages (a landline cannot)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    number = _parse(raw, field)
    if phonenumbers.number_type(number) not in {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}:
        raise ValidationFailed("This number cannot receive text messages; give a mobile number.",
                               field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(number: str) -> str:
    """An E.164 number as people write it internationally: '+1 415-555-0123'."""
    import phonenumbers

    return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _parse(raw: str, field: str) -> phonenumbers.PhoneNumber:
    import phonenumbers

    message = "Give the number in international form, starting with + and the country code."
    if not isinstance(raw, str) or not raw.strip().startswith("+") or len(raw) > 32:
        raise ValidationFailed(message, field=field)
    try:
        number = phonenumbers.parse(raw.strip())
    except phonenumbers.NumberParseException as error:
        raise ValidationFailed(message, field=field) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("This is not a valid phone number.", field=field)
    return number
