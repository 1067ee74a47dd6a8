"""Messages to people: e-mail through SES, SMS through SNS. Bodies never carry secrets or health data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws, phone_numbers
from chalicelib.config import settings
from chalicelib.errors import SecondFactorUnavailable, ValidationFailed


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


def send_email(to: str, subject: str, text: str, attachments: Sequence[Attachment] = ()) -> None:
    if attachments:
        _send_raw(to, subject, text, attachments)
        return
    aws.client("ses").send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
    )


def _send_raw(to: str, subject: str, text: str, attachments: Sequence[Attachment]) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings().mail_from, to, subject
    message.set_content(text)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        subtype, _, params = subtype.partition(";")
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype.strip(),
                               filename=attachment.filename, params=extra)
    aws.client("ses").send_raw_email(Source=settings().mail_from, Destinations=[to],
                                     RawMessage={"Data": message.as_bytes()})


def send_sms(phone: str, text: str) -> None:
    """A transactional SMS; the number must be a real one in E.164 (moto accepts anything, so we check)."""
    check_phone(phone)
    aws.client("sns").publish(PhoneNumber=phone, Message=text, MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})


def place_voice_call(phone: str, ssml: str, voice: str) -> None:
    """A call that speaks `ssml`, through AWS End User Messaging (moto does not serve it: tests use a fake)."""
    check_phone(phone)
    if not settings().voice_origination:
        raise SecondFactorUnavailable("Phone calls are not set up on this service.")
    try:
        aws.client("pinpoint-sms-voice-v2").send_voice_message(
            DestinationPhoneNumber=phone, OriginationIdentity=settings().voice_origination, MessageBody=ssml,
            MessageBodyTextType="SSML", VoiceId=voice, TimeToLive=600)
    except (ClientError, BotoCoreError) as error:
        raise SecondFactorUnavailable("The call could not be placed; retry later or use another method.") from error


def check_phone(phone: str) -> str:
    """`phone` if it is a valid number written in E.164 form; a 422 naming `phone` otherwise."""
    if phone_numbers.e164(phone, "phone") != phone:
        raise ValidationFailed("Phone numbers must be in E.164 form, e.g. +14155550123.", field="phone")
    return phone


def sms_opted_out(phone: str) -> bool:
    """Whether the number replied STOP: SNS keeps that list, and we never opt a number back in."""
    answer = aws.client("sns").check_if_phone_number_is_opted_out(phoneNumber=phone)
    return bool(answer["isOptedOut"])
