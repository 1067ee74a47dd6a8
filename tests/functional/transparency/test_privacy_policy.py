"""Privacy-policy versions: sanitized, announced at least N days ahead, notices e-mailed once before the
date, the hosted page's notice and then its new date, and the version each public booking saw."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_date

from chalicelib import clock
from chalicelib.jobs import policy_notices
from chalicelib.jobs.runner import run_job
from chalicelib.services.booking import bookings as calendar
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for
from tests.functional.jobs.helpers import Mail, mails_without_attachments_to

BOB = {"name": "Bob Other", "email": "bob@example.org"}
CAROL = {"name": "Carol Gone", "email": "carol@example.org"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("admin", "staff"))


@pytest.fixture
def owner(client, clinic):
    return token_for(client, clinic.accounts["owner"])


def publish(client, token, text="We keep your data safe.", summary="First version.", **extra):
    return post_json(client, "/v1/org/privacy-policies", {"text": text, "summary": summary, **extra}, token)


def in_days(days: float) -> str:
    return clock.isoformat(clock.now() + timedelta(days=days))


def notices_to(address: str) -> list[Mail]:
    return [m for m in mails_without_attachments_to(address) if "privacy policy" in m.subject]


def test_the_first_version_is_in_force_at_once_and_later_ones_need_the_notice_period(client, owner):
    first = publish(client, owner)
    too_soon = publish(client, owner, summary="Shorter retention.", effective_at=in_days(29))
    in_time = publish(client, owner, summary="Shorter retention.", effective_at=in_days(30.01))

    assert first.status_code == 201 and body(first)["version"]["version"] == 1
    assert (too_soon.status_code, body(too_soon)["error"]["field"]) == (422, "effective_at")
    assert in_time.status_code == 201 and body(in_time)["version"]["version"] == 2


def test_the_notice_period_is_an_org_setting(client, owner):
    publish(client, owner)
    assert call(client, "PUT", "/v1/org/transparency-settings", owner, {"policy_notice_days": 7}).status_code == 200

    assert publish(client, owner, summary="x", effective_at=in_days(8)).status_code == 201
    assert call(client, "PUT", "/v1/org/transparency-settings", owner, {"policy_notice_days": 0}).status_code == 422


def test_only_owners_and_admins_publish(client, clinic):
    staff = token_for(client, clinic.accounts["staff"])

    assert publish(client, staff).status_code == 403


def test_policy_text_is_sanitized(client, owner):
    text = ("# Policy\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n"
            "[ok](https://clinic.example/privacy)")

    html = body(publish(client, owner, text=text))["version"]["html"]
    page = client.http.get("/privacy/clinic").body.decode()

    assert "<h1>Policy</h1>" in html and '<a href="https://clinic.example/privacy">ok</a>' in html
    for dangerous in ("<script", 'href="javascript', "<img"):
        assert dangerous not in html and dangerous not in page, dangerous
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never run


def test_a_notice_reaches_staff_and_customers_with_upcoming_bookings_once_and_before_the_date(
        client, clinic, owner, fake_clock):
    day = next_weekday()
    book(client, clinic, at(day, "10:00"), customer=ALICE)
    book(client, clinic, at(day, "11:00"), customer=BOB)
    carol = body(book(client, clinic, at(day, "12:00"), customer=CAROL))["booking"]["id"]
    calendar.cancel(calendar.Actor(clinic.org_id, "customer", clinic.owner.origin, is_staff=False),
                    calendar.get_booking(clinic.org_id, carol), None)  # nothing upcoming: not told
    publish(client, owner)
    effective = clock.now() + timedelta(days=30, hours=1)
    publish(client, owner, summary="We now keep records for 6 years.", effective_at=clock.isoformat(effective))

    reports = [run_job("policy_notices", policy_notices.run_policy_notices) for _ in range(2)]
    fake_clock.advance(days=10)
    reports.append(run_job("policy_notices", policy_notices.run_policy_notices))

    told = [clinic.accounts[r].email for r in ("owner", "admin", "staff")] + [ALICE["email"], BOB["email"]]
    for address in told:
        notices = notices_to(address)
        assert len(notices) == 1, address
        assert "We now keep records for 6 years." in notices[0].body and "/privacy/clinic" in notices[0].body
    assert notices_to(CAROL["email"]) == []
    assert [r.details["policy_notices_sent"] for r in reports] == [5, 0, 0]
    assert fake_clock.now < effective  # every notice went out before the date


def test_no_notice_once_the_version_is_in_force(client, clinic, owner, fake_clock):
    publish(client, owner)
    publish(client, owner, summary="Changed.", effective_at=in_days(31))
    fake_clock.advance(days=32)

    report = run_job("policy_notices", policy_notices.run_policy_notices)

    assert report.details["policy_notices_sent"] == 0 and notices_to(clinic.accounts["owner"].email) == []


def test_the_page_shows_a_notice_until_the_new_version_is_in_force_then_its_date(client, clinic, owner, fake_clock):
    publish(client, owner, text="Version one.")
    effective = clock.now() + timedelta(days=31)
    publish(client, owner, text="Version two.", summary="Shorter retention.", effective_at=clock.isoformat(effective))
    new_date = format_date(effective, "long", locale="en")  # the page says dates as its language does

    before = client.http.get("/privacy/clinic").body.decode()
    fake_clock.advance(days=31, minutes=1)
    after = client.http.get("/privacy/clinic").body.decode()

    assert 'id="policy-notice"' in before and f"changes on {new_date}" in before and "Shorter retention." in before
    assert f"Effective date: {new_date}" not in before
    assert 'id="policy-notice"' not in after and f"Effective date: {new_date} (version 2)" in after
    assert "Version two." in after and "Version one." not in after
    assert "Amazon DynamoDB" in after and "Amazon Simple Email Service" in after  # the sub-processors


def test_a_public_booking_records_the_version_in_force(client, clinic, owner, fake_clock):
    publish(client, owner)
    publish(client, owner, summary="Changed.", effective_at=in_days(31))
    day = next_weekday()
    first = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    fake_clock.advance(days=31, minutes=1)
    later = body(book(client, clinic, at(next_weekday(fake_clock.now.date()), "10:00")))["booking"]["id"]
    owner = token_for(client, clinic.accounts["admin"])  # the owner's session idled out meanwhile

    versions = [body(call(client, "GET", f"/v1/bookings/{b}", owner))["booking"]["policy_version"]
                for b in (first, later)]

    assert versions == [1, 2]


def test_the_public_policy_document_lists_the_subprocessors(client, clinic, owner):
    publish(client, owner)

    document = body(client.http.get("/v1/public/orgs/clinic/privacy-policy"))

    names = {s["name"] for s in document["subprocessors"]["subprocessors"]}
    assert {"Amazon DynamoDB", "AWS Key Management Service (KMS)", "Amazon S3"} <= names
    assert document["current"]["version"] == 1 and document["upcoming"] is None


SOFIA = {"name": "Sofía Ruiz", "email": "sofia@example.org"}
AMAL = {"name": "Amal Haddad", "email": "amal@example.org"}


def test_a_patient_is_told_of_a_new_policy_in_their_language_and_zone_by_a_letter_from_the_clinic(
        client, clinic, owner, fake_clock):
    from datetime import UTC, date, datetime

    from chalicelib.services.booking import profile as clinic_profile

    fake_clock.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    clinic_profile.change_profile(clinic.owner, {"email": "front.desk@clinic.example"})
    day = next_weekday(date(2026, 12, 3))
    book(client, clinic, at(day, "10:00"), customer=SOFIA, locale="es-MX", timezone="America/Mexico_City")
    book(client, clinic, at(day, "11:00"), customer=AMAL, locale="ar", timezone="Asia/Dubai")
    publish(client, owner)
    # 03:00 UTC on 15 January: still the 14th in Mexico City, already the 15th in Dubai
    publish(client, owner, summary="Guardamos los historiales 6 años.", effective_at="2027-01-15T03:00:00Z")

    run_job("policy_notices", policy_notices.run_policy_notices)

    [spanish], [arabic] = notices_in("sofia@example.org"), notices_in("amal@example.org")
    for mail, language in ((spanish, "es"), (arabic, "ar")):
        assert mail.message["From"].addresses[0].display_name == "Clinic Clinic"
        assert mail.message["Reply-To"].addresses[0].addr_spec == "front.desk@clinic.example"
        assert f"/privacy/clinic?lang={language}" in mail.body and "/my/data/clinic" in mail.body
        assert f'href="http://127.0.0.1:8000/privacy/clinic?lang={language}"' in mail.html
        assert "Guardamos los historiales 6 años." in mail.body  # what changes, in the clinic's own words
        assert "privacy policy" not in mail.body and "Hello" not in mail.body  # no English left over
    assert spanish.subject == "Clinic Clinic actualiza su política de privacidad el 14 de enero de 2027"
    assert "La nueva versión entra en vigor el 14 de enero de 2027." in spanish.body
    assert '<html lang="es" dir="ltr">' in spanish.html
    arabic_day = format_date(date(2027, 1, 15), "long", locale="ar")
    assert arabic.subject == f"Clinic Clinic تُحدّث سياسة الخصوصية في {arabic_day}"
    assert f"يسري الإصدار الجديد في {arabic_day}." in arabic.body
    assert '<html lang="ar" dir="rtl">' in arabic.html
    staff = notices_to(clinic.accounts["owner"].email)[0]  # staff: English, the console's language is not kept
    assert staff.subject == "Clinic Clinic is updating its privacy policy on 15 January 2027"


def notices_in(address: str) -> list[Mail]:
    """The letters (HTML and text, from the clinic) sent to `address` with no attachment."""
    return [m for m in mails_without_attachments_to(address) if m.message is not None]
