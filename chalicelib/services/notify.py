"""Messages to people: e-mail through SES, SMS through SNS. Bodies never carry secrets or health data."""

from __future__ import annotations

import re

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.errors import ValidationFailed

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def send_email(to: str, subject: str, text: str) -> None:
    aws.client("ses").send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
    )


def send_sms(phone: str, text: str) -> None:
    """A transactional SMS; the number must be E.164 (moto accepts anything, so we check)."""
    check_phone(phone)
    aws.client("sns").publish(PhoneNumber=phone, Message=text, MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})


def check_phone(phone: str) -> str:
    if not E164.match(phone):
        raise ValidationFailed("Phone numbers must be in E.164 form, e.g. +14155550123.", field="phone")
    return phone
