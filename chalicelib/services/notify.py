"""Messages to people: e-mail through SES, SMS through SNS. Bodies never carry secrets or health data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
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


@dataclass(frozen=True)
class Sender:
    """Who a patient's mail comes from: the clinic's name shown on our sending address, replies to the clinic."""

    name: str
    reply_to: str | None = None


@dataclass(frozen=True)
class Letter:
    """A mail in the clinic's name: the plain text, the same as HTML, and who it is from."""

    subject: str
    text: str
    html: str
    sender: Sender


def send_email(to: str, subject: str, text: str, attachments: Sequence[Attachment] = ()) -> None:
    if attachments:
        _send_raw(to, subject, text, attachments)
        return
    aws.client("ses").send_email(
        Source=settings().mail_from,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}},
    )


def send_letter(to: str, letter: Letter, attachments: Sequence[Attachment] = ()) -> None:
    """A multipart/alternative mail (plain text and HTML) from the clinic's name, replies going to the clinic.

    The display name and subject are encoded by the email package (RFC 2047 words inside RFC 5322 headers);
    a name with a line break cannot reach a header (Address refuses it)."""
    _send_raw(to, letter.subject, letter.text, attachments, letter)


def _send_raw(to: str, subject: str, text: str, attachments: Sequence[Attachment],
              letter: Letter | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings().mail_from, to, " ".join(subject.split())
    if letter:
        user, _, domain = settings().mail_from.rpartition("<")[2].rstrip(">").partition("@")
        del message["From"]
        message["From"] = Address(_one_line(letter.sender.name), user, domain)
        if letter.sender.reply_to:
            message["Reply-To"] = letter.sender.reply_to
    message.set_content(text)
    if letter:
        message.add_alternative(letter.html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        subtype, _, params = subtype.partition(";")
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype.strip(),
                               filename=attachment.filename, params=extra)
    aws.client("ses").send_raw_email(Source=settings().mail_from, Destinations=[to],
                                     RawMessage={"Data": message.as_bytes()})


def _one_line(name: str) -> str:
    return " ".join(name.split())[:120] or "SafeSlot"


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
