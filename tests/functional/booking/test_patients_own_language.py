"""What a patient meets before and around booking: their language (Arabic mirrored), the clinic's own
words in it, a page for an unknown clinic, and a confirmed hold that never counts as a second write."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.services.booking import catalog
from chalicelib.services.booking import profile as clinic_profile
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.booking.test_public_abuse import code_in, confirm, sent
from tests.functional.identity.helpers import body

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def clinic(aws_stack):
    made = make_clinic(verify_email=True)
    catalog.update_service(made.owner, made.service["id"], {"names": {"es": "Consulta", "ar": "استشارة"}})
    clinic_profile.change_profile(made.owner, {
        "cancellation_policy": "Cancel up to a day before.", "notes": "Please bring your insurance card.",
        "translations": {"es": {"cancellation_policy": "Cancele hasta un día antes."},
                         "ar": {"cancellation_policy": "يمكنك الإلغاء قبل يوم.",
                                "notes": "يُرجى إحضار بطاقة التأمين."}}})
    return made


def test_confirming_a_hold_never_counts_as_a_new_write(client, clinic, from_ip, monkeypatch):
    monkeypatch.setenv("SAFESLOT_PUBLIC_WRITES_PER_IP", "2")
    from chalicelib.config import settings

    settings.cache_clear()
    from_ip("198.51.100.23")  # one household: two patients booking, each then typing their code
    day = next_weekday()
    held = [body(book(client, clinic, at(day, hhmm), customer={"name": "P", "email": f"p{i}@example.org"}))
            for i, hhmm in enumerate(["09:00", "10:00"])]
    codes = [code_in(m) for m in sent()]
    answers = [confirm(client, clinic, h["booking"]["id"], code=code) for h, code in zip(held, codes, strict=True)]

    assert [a.status_code for a in answers] == [200, 200]  # never 429: the holds took their turns already
    third = book(client, clinic, at(day, "11:00"), customer={"name": "P", "email": "p9@example.org"})
    assert third.status_code == 429  # new writes are still limited
    settings.cache_clear()


def test_an_unknown_clinics_address_is_a_page_saying_so(client):
    answer = client.http.get("/book/no-such-clinic", headers={"Accept-Language": "es"})

    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")
    page = answer.body.decode()
    assert "No encontramos la clínica" in page and 'id="booking-form"' not in page


def test_arabic_pages_are_mirrored_and_every_language_is_offered(client, clinic):
    page = client.http.get(f"/book/{clinic.slug}", headers={"Accept-Language": "ar-EG,ar;q=0.9"}).body.decode()

    assert '<html lang="ar" dir="rtl">' in page and "احجز موعدًا" in page
    offered = re.findall(r'<option value="(\w+)" lang="\w+" dir="(rtl|ltr)"', page)
    assert sorted(code for code, _ in offered) == sorted(["en", "es", "zh", "vi", "fil", "ar", "fr", "pt"])
    assert dict(offered)["ar"] == "rtl" and dict(offered)["fr"] == "ltr"
    assert '<html lang="zh" dir="ltr">' in client.http.get(f"/book/{clinic.slug}?lang=zh").body.decode()


def test_every_page_offers_its_language_and_only_the_booking_page_may_be_listed_by_search_engines(client, clinic):
    pages = {"/book/" + clinic.slug: 200, "/book/no-such-clinic": 404, "/manage/b1": 200, "/my/bookings": 200,
             "/my/data/" + clinic.slug: 200}
    for address, status in pages.items():
        answer = client.http.get(address, headers={"Accept-Language": "fr"})
        page = answer.body.decode()
        assert answer.status_code == status and '<html lang="fr" dir="ltr">' in page, address
        assert '<select id="language">' in page and page.count("<h1") == 1, address
        title = re.search(r"<title>(.*?)</title>", page).group(1)  # the heading's words, translated
        assert title and title in re.search(r"<h1[^>]*>(.*?)</h1>", page).group(1), address
        listed = '<meta name="robots" content="noindex">' not in page
        assert listed == (address == "/book/" + clinic.slug), address  # a secret link's page never is


@pytest.mark.parametrize(("language", "service", "policy", "notes"), [
    ("es", "Consulta", "Cancele hasta un día antes.", "Please bring your insurance card."),  # none in es: default
    ("ar", "استشارة", "يمكنك الإلغاء قبل يوم.", "يُرجى إحضار بطاقة التأمين."),
    ("fr", "Consultation", "Cancel up to a day before.", "Please bring your insurance card."),
])
def test_the_clinics_own_words_come_in_the_patients_language_else_its_default(client, clinic, language, service,
                                                                             policy, notes):
    answer = body(client.http.get(f"/v1/public/orgs/{clinic.slug}", headers={"Accept-Language": language}))

    assert answer["services"][0]["name"] == service
    assert (answer["profile"]["cancellation_policy"], answer["profile"]["notes"]) == (policy, notes)
    assert "translations" not in answer["profile"]
    picked = body(client.http.get(f"/v1/public/orgs/{clinic.slug}?lang=ar", headers={"Accept-Language": "es"}))
    assert picked["services"][0]["name"] == "استشارة"


def test_the_catalog_refuses_names_in_languages_it_does_not_offer(client, clinic):
    from chalicelib.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        catalog.update_service(clinic.owner, clinic.service["id"], {"names": {"xx": "Nope"}})
    with pytest.raises(ValidationFailed):
        catalog.update_service(clinic.owner, clinic.service["id"], {"names": {"es": "Consulta\u202e"}})
    view = catalog.update_service(clinic.owner, clinic.service["id"], {"names": {"es": "  Consulta  "}})
    assert view["names"] == {"es": "Consulta"} and json.dumps(view)


def test_the_privacy_page_speaks_the_patients_language(client, clinic):
    page = client.http.get(f"/privacy/{clinic.slug}", headers={"Accept-Language": "ar"}).body.decode()

    assert '<html lang="ar" dir="rtl">' in page and "سياسة الخصوصية لدى" in page
    assert "Where your data goes" not in page and "إلى أين تذهب بياناتك" in page
