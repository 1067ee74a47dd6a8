"""What a patient receives: one time in e-mail, text message and calendar file, in their language and zone.

The pair that went wrong: a patient in New York books a doctor in Sydney. Each locale is tried; the
.ics is read by two independent libraries (icalendar and vobject).
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import icalendar
import pytest
import vobject
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib.services.booking import catalog
from chalicelib.services.booking import profile as clinic_profile
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body

NEW_YORK, SYDNEY = "America/New_York", "Australia/Sydney"
SYDNEY_HOURS = {day: [{"start": "09:00", "end": "18:00"}] for day in ("mon", "tue", "wed", "thu", "fri")}
MOBILE = "+14155550123"
PROFILE = {"address": "12 Harbour St\nSydney NSW 2000", "phone": "+61 2 9123 4567",
           "map_url": "https://maps.example/harbour", "website": "https://clinic.example",
           "cancellation_policy": "Cancel up to 24 hours before at no cost.", "sms_enabled": True}
# (locale the page ran in, what the patient must read): Friday 16:45 in Sydney is 00:45 in New York
EXPECTED = {
    "en-US": {"subject": "Your appointment with Clinic Clinic is booked",
              "patient": "Friday, December 4, 2026, 12:45 AM (New York time)",
              "clinic": "Friday, December 4, 2026, 4:45 PM in Sydney at the clinic",
              "sms_time": "Dec 4, 2026, 12:45 AM (New York time); 4:45 PM in Sydney at the clinic",
              "policy": "Cancellation policy: Cancel up to 24 hours before at no cost.",
              "phone": "Phone: +61 2 9123 4567"},
    "en-GB": {"subject": "Your appointment with Clinic Clinic is booked",
              "patient": "Friday, 4 December 2026, 00:45 (New York time)",
              "clinic": "Friday, 4 December 2026, 16:45 in Sydney at the clinic",
              "sms_time": "4 Dec 2026, 00:45 (New York time); 16:45 in Sydney at the clinic",
              "policy": "Cancellation policy:", "phone": "Phone: +61 2 9123 4567"},
    "es-ES": {"subject": "Su cita con Clinic Clinic está reservada",
              "patient": "viernes, 4 de diciembre de 2026, 0:45 (hora de Nueva York)",
              "clinic": "viernes, 4 de diciembre de 2026, 16:45 en Sídney, en la clínica",
              "sms_time": "4 dic 2026, 0:45 (hora de Nueva York); 16:45 en Sídney, en la clínica",
              "policy": "Política de cancelación:", "phone": "Teléfono: +61 2 9123 4567"},
}


@pytest.fixture
def sydney_clinic(aws_stack, fake_clock):
    fake_clock.now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    clinic = make_clinic(staff_zone=SYDNEY)
    clinic_in(clinic, SYDNEY)
    catalog.update_staff(clinic.owner, clinic.staff[0]["id"], {"weekly_hours": SYDNEY_HOURS})
    clinic_profile.change_profile(clinic.owner, PROFILE)
    return clinic


def clinic_in(clinic, zone: str) -> None:
    """The clinic's own zone (the org's): where its visits happen, whatever zone a doctor is set up in."""
    from chalicelib.models.organization import Organization
    from chalicelib.services.organizations import org_by_id

    org_by_id(clinic.org_id).update(actions=[Organization.timezone.set(zone)])


def sent_mails() -> list[email.message.Message]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [email.message_from_string(m.raw_data, policy=email.policy.default) for m in sent
            if hasattr(m, "raw_data")]


def sent_texts() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def part(message: email.message.Message, content_type: str) -> bytes:
    """A part's bytes; CLDR's narrow no-break space (12:45\u202fAM) read as a space."""
    payload = next(p for p in message.walk() if p.get_content_type() == content_type).get_payload(decode=True)
    return payload.replace("\u202f".encode(), b" ")


def book_from_new_york(client, clinic, locale: str, phone: str = MOBILE, **extra):
    customer = {**ALICE, "phone": phone}
    return book(client, clinic, at(datetime(2026, 12, 4).date(), "16:45", SYDNEY), customer=customer,
                timezone=NEW_YORK, locale=locale, sms_opt_in=True, notes="private: knee", **extra)


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_new_york_patient_of_a_sydney_doctor_reads_one_time_everywhere(client, sydney_clinic, locale):
    expected = EXPECTED[locale]
    answer = body(book_from_new_york(client, sydney_clinic, locale))
    token = token_of(answer["manage_url"])

    [mail] = sent_mails()
    text = part(mail, "text/plain").decode()
    assert mail["Subject"] == expected["subject"]
    assert expected["patient"] in text and expected["clinic"] in text
    assert expected["policy"] in text and expected["phone"] in text and "12 Harbour St" in text
    assert "https://maps.example/harbour" in text and answer["manage_url"] in text

    [(number, sms)] = sent_texts()
    assert number == MOBILE and expected["sms_time"] in sms and "Clinic Clinic" in sms
    assert token not in sms and "/manage/" not in sms and "knee" not in sms and "STOP" in sms

    ics = part(mail, "text/calendar")
    assert token.encode() not in ics and b"knee" not in ics and b"TZID" not in ics
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == datetime(2026, 12, 4, 5, 45, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Clinic Clinic, 12 Harbour St, Sydney NSW 2000"
    description = str(event["DESCRIPTION"]).replace("\u202f", " ")
    assert expected["patient"] in description and "+61 2 9123 4567" in description
    assert event.walk("VALARM")[0].decoded("TRIGGER").total_seconds() == -3600

    other = vobject.readOne(ics.decode())
    assert other.vevent.dtstart.value == datetime(2026, 12, 4, 5, 45, tzinfo=UTC)
    assert other.vevent.location.value == "Clinic Clinic, 12 Harbour St, Sydney NSW 2000"
    assert other.vevent.valarm.trigger.value.total_seconds() == -3600


def test_a_staff_booking_speaks_in_the_doctors_zone_and_the_clinics_language(client, sydney_clinic):
    clinic_profile.change_profile(sydney_clinic.owner, {"default_language": "es"})
    book(client, sydney_clinic, at(datetime(2026, 12, 4).date(), "16:45", SYDNEY))  # no zone, no locale

    text = part(sent_mails()[0], "text/plain").decode()
    assert "viernes, 4 de diciembre de 2026, 16:45 (hora de Sídney)" in text
    assert "en la clínica" not in text  # one zone: nothing to add


def test_moves_cancellations_and_the_download_keep_one_event(client, sydney_clinic):
    answer = body(book_from_new_york(client, sydney_clinic, "en-US"))
    booking_id, token = answer["booking"]["id"], token_of(answer["manage_url"])
    manage(client, "POST", f"/v1/public/bookings/{booking_id}/reschedule", token,
           {"start": at(datetime(2026, 12, 4).date(), "15:00", SYDNEY)})
    manage(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", token, {})
    download = manage(client, "GET", f"/v1/public/bookings/{booking_id}/calendar.ics", token)

    texts = [sms for _, sms in sent_texts()]
    assert "has moved to Dec 3, 2026, 11:00 PM (New York time)" in texts[1] and "is cancelled" in texts[2]
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/calendar")
    event = vobject.readOne(download.body.decode())
    assert event.method.value == "PUBLISH" and event.vevent.status.value == "CANCELLED"
    assert event.vevent.uid.value == f"{booking_id}@safeslot" and event.vevent.sequence.value == "2"
    assert not hasattr(event.vevent, "attendee") and token not in download.body.decode()
    assert manage(client, "GET", f"/v1/public/bookings/{booking_id}/calendar.ics", "x" * 43).status_code == 404


def test_a_number_that_replied_stop_gets_no_text_but_the_email_goes(client, sydney_clinic):
    answer = book_from_new_york(client, sydney_clinic, "en-US", phone="+14155550199")  # moto: "99" opted out

    assert answer.status_code == 201 and len(sent_mails()) == 1
    assert sent_texts() == []


def test_texts_to_one_number_are_limited_per_day(client, sydney_clinic, fake_clock):
    from chalicelib.services.booking.texts import TEXTS_PER_NUMBER

    day = next_weekday(datetime(2026, 12, 6).date(), 0)
    for hour in range(TEXTS_PER_NUMBER.max_hits + 2):
        customer = {**ALICE, "phone": MOBILE}
        assert book(client, sydney_clinic, at(day, f"{9 + hour // 2}:{30 * (hour % 2):02d}", SYDNEY),
                    customer=customer, sms_opt_in=True).status_code == 201

    assert len(sent_texts()) == TEXTS_PER_NUMBER.max_hits
    assert len(sent_mails()) == TEXTS_PER_NUMBER.max_hits + 2


@pytest.mark.parametrize(("phone", "field"), [(None, "customer.phone"), ("+4930901820", "customer.phone")])
def test_an_opt_in_needs_a_mobile_number(client, sydney_clinic, phone, field):
    customer = {k: v for k, v in {**ALICE, "phone": phone}.items() if v}
    response = book(client, sydney_clinic, at(datetime(2026, 12, 4).date(), "16:45", SYDNEY), customer=customer,
                    sms_opt_in=True)

    assert response.status_code == 422 and body(response)["error"]["field"] == field
    assert sent_mails() == []


def test_an_opt_in_is_refused_where_the_clinic_sends_no_texts(client, sydney_clinic):
    clinic_profile.change_profile(sydney_clinic.owner, {"sms_enabled": False})
    response = book_from_new_york(client, sydney_clinic, "en-US")

    assert response.status_code == 422 and body(response)["error"]["field"] == "sms_opt_in"


@pytest.mark.parametrize(("field", "value"), [("timezone", "Mars/Olympus"), ("locale", "xx-notalocale")])
def test_unknown_zones_and_locales_are_refused(client, sydney_clinic, field, value):
    response = book(client, sydney_clinic, at(datetime(2026, 12, 4).date(), "16:45", SYDNEY), **{field: value})

    assert response.status_code == 422 and body(response)["error"]["field"] == field


def test_the_reminder_reaches_an_opted_in_patient_by_text_in_their_language_once(client, sydney_clinic, fake_clock):
    from tests.functional.jobs.helpers import invoke

    book_from_new_york(client, sydney_clinic, "es-ES")
    fake_clock.now = datetime(2026, 12, 3, 5, 50, tzinfo=UTC)  # 23 h 55 min before
    invoke(client, "appointment_reminders")
    invoke(client, "appointment_reminders")

    texts = [sms for _, sms in sent_texts()]
    assert len(texts) == 2 and texts[1].startswith("Clinic Clinic: recordatorio, su Consultation con Dr Ada es el ")
    assert "4 dic 2026, 0:45 (hora de Nueva York)" in texts[1]
