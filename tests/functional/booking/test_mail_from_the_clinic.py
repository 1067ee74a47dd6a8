"""A patient's mail comes from their clinic: its name, its Reply-To, both parts, its place and its zone.

The case that went wrong: a New York clinic whose doctor's calendar is set up in London told a patient
in Los Angeles the visit was "in London at the clinic". Each message is read back with email.parser.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from datetime import UTC, datetime

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.models.organization import Organization
from chalicelib.services.booking import catalog
from chalicelib.services.booking import profile as clinic_profile
from chalicelib.services.organizations import org_by_id
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, token_of
from tests.functional.identity.helpers import body

NEW_YORK, LONDON, LOS_ANGELES = "America/New_York", "Europe/London", "America/Los_Angeles"
CLINIC_NAME = "Clínica Ñandú & Co"  # non-ASCII and a comma-free special: the display name must be encoded
PROFILE = {"address": "350 Fifth Avenue, Suite 4100\nNew York, NY 10118", "phone": "+1 212 555 0142",
           "email": "front.desk@clinic.example", "cancellation_policy": "Cancel up to 24 hours before.",
           "translations": {"es": {"cancellation_policy": "Cancele hasta 24 horas antes."}}}


@pytest.fixture
def new_york_clinic(aws_stack, fake_clock):
    fake_clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    clinic = make_clinic(staff_zone=LONDON)
    org_by_id(clinic.org_id).update(actions=[Organization.timezone.set(NEW_YORK),
                                             Organization.name.set(CLINIC_NAME)])
    catalog.update_service(clinic.owner, clinic.service["id"], {"names": {"es": "Consulta"}})
    clinic_profile.change_profile(clinic.owner, PROFILE)
    return clinic


def sent() -> list[email.message.EmailMessage]:
    parser = email.parser.Parser(policy=email.policy.default)
    return [parser.parsestr(m.raw_data) for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
            if hasattr(m, "raw_data")]


def plain_and_html(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    markup = message.get_body(preferencelist=("html",))
    assert text is not None and markup is not None, "both a plain-text and an HTML part"
    return (text.get_content().replace("\u202f", " "), markup.get_content().replace("\u202f", " "))


def book_from_los_angeles(client, clinic, locale: str = "en-US"):
    start = at(datetime(2026, 12, 4).date(), "10:00", LONDON)  # 10:00 London = 05:00 New York = 02:00 LA
    return book(client, clinic, start, customer=ALICE, timezone=LOS_ANGELES, locale=locale)


def test_the_booking_mail_comes_from_the_clinic_and_names_its_place_and_zone(client, new_york_clinic):
    answer = body(book_from_los_angeles(client, new_york_clinic))
    [message] = sent()

    raw = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages[0].raw_data
    raw_from = re.search(r"^From:(.*(?:\n[ \t].*)*)", raw, re.MULTILINE).group(1)
    assert "=?utf-8?" in raw_from.lower()  # RFC 2047 encoded words, not raw 8-bit in the header
    assert message["From"].addresses[0].display_name == CLINIC_NAME
    assert message["From"].addresses[0].addr_spec == "no-reply@safeslot.example"
    assert message["Reply-To"].addresses[0].addr_spec == "front.desk@clinic.example"
    assert message.get_content_type() == "multipart/mixed"  # the alternative and the .ics

    text, html = plain_and_html(message)
    for part in (text, html):
        assert "Friday, December 4, 2026, 2:00 AM (Los Angeles time)" in part
        assert "5:00 AM in New York at the clinic" in part
        assert "London" not in part  # the doctor's zone is not the clinic's place
        assert "350 Fifth Avenue, Suite 4100" in part and "New York, NY 10118" in part
        assert "+1 212-555-0142" in part or "+1 212 555 0142" in part
        assert "Cancellation policy: Cancel up to 24 hours before." in part
        assert "front.desk@clinic.example" in part
        assert "/my/data/clinic" in part
    assert f"Where: {CLINIC_NAME}, 350 Fifth Avenue, Suite 4100, New York, NY 10118" in text
    assert answer["manage_url"] in text
    assert f'href="{answer["manage_url"]}"'.replace("&", "&amp;") in html
    assert 'href="http://127.0.0.1:8000/my/data/clinic"' in html
    assert token_of(answer["manage_url"]) not in html.split("/my/data/")[1][:40]  # the data link has no secret


def test_a_spanish_patient_reads_the_clinics_own_spanish_words(client, new_york_clinic):
    book_from_los_angeles(client, new_york_clinic, locale="es-US")
    [message] = sent()
    text, html = plain_and_html(message)

    assert message["Subject"] == f"Su cita con {CLINIC_NAME} está reservada"
    assert 'lang="es"' in html
    assert "Consulta" in text and "Consultation" not in text
    assert "Política de cancelación: Cancele hasta 24 horas antes." in text
    assert "Cancel up to" not in text


def test_the_verification_mail_comes_from_the_clinic_too(client, new_york_clinic):
    clinic_profile.change_profile(new_york_clinic.owner, {"default_language": "en"})
    from chalicelib.services.identity.policy import change_policy

    change_policy(new_york_clinic.owner, {"require_email_verification": True})
    assert book_from_los_angeles(client, new_york_clinic).status_code == 202
    [message] = sent()
    text, html = plain_and_html(message)
    assert message["From"].addresses[0].display_name == CLINIC_NAME
    assert message["Reply-To"].addresses[0].addr_spec == "front.desk@clinic.example"
    assert "#confirm/" in text and "#confirm/" in html


def test_a_clinic_name_cannot_add_headers(client, new_york_clinic):
    org_by_id(new_york_clinic.org_id).update(actions=[Organization.name.set("Evil\r\nBcc: x@evil.example")])
    book_from_los_angeles(client, new_york_clinic)
    [message] = sent()
    assert message["Bcc"] is None and "evil.example" not in str(message.get_all("To"))


def test_the_profile_refuses_a_reply_address_that_is_not_one(client, new_york_clinic):
    from chalicelib.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        clinic_profile.change_profile(new_york_clinic.owner, {"email": "front desk\r\nBcc: x@evil.example"})
    with pytest.raises(ValidationFailed):
        clinic_profile.change_profile(new_york_clinic.owner, {"translations": {"xx": {"notes": "hi"}}})
    assert json.dumps(clinic_profile.read_profile(new_york_clinic.owner)["translations"]) == json.dumps(
        PROFILE["translations"])
