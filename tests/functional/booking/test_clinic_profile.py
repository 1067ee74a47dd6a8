"""The clinic profile: who may change it, what it accepts, where it shows, and who may frame the page."""

from __future__ import annotations

import pytest

from chalicelib.i18n import languages
from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import body, call, token_for

GOOD = {"address": "1 Main St\nSpringfield", "phone": "+1 415 555 0123", "website": "https://clinic.example",
        "map_url": "https://maps.example/1-main", "cancellation_policy": "24 hours' notice, please.",
        "accent_color": "#0B5FFF", "default_language": "es", "sms_enabled": True}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "staff"))


def put(client, clinic, role: str, fields: dict):
    return call(client, "PUT", "/v1/org/profile", token_for(client, clinic.accounts[role]), fields)


def test_an_admin_sets_the_profile_and_patients_see_it_without_the_embedding_origins(client, clinic):
    answer = body(put(client, clinic, "admin", {**GOOD, "embed_origins": ["https://www.clinic.example"]}))

    assert answer["profile"]["phone"] == "+14155550123" and answer["profile"]["accent_color"] == "#0b5fff"
    public = body(client.http.get("/v1/public/orgs/clinic"))["profile"]
    assert public["address"] == GOOD["address"] and public["phone_display"] == "+1 415-555-0123"
    assert public["default_language"] == "es" and public["languages"][:1] == ["en"]
    assert set(public["languages"]) == {"en", "es", "zh", "vi", "fil", "ar", "fr", "pt"}
    assert "embed_origins" not in public


def test_staff_may_read_but_not_change_the_profile(client, clinic):
    staff = token_for(client, clinic.accounts["staff"])

    assert call(client, "GET", "/v1/org/profile", staff).status_code == 200
    assert put(client, clinic, "staff", GOOD).status_code == 403


@pytest.mark.parametrize(("field", "value"), [
    ("phone", "+1 555"), ("phone", "4155550123"), ("website", "http://clinic.example"),
    ("map_url", "javascript:alert(1)"), ("accent_color", "#ffff00"),  # white on yellow: unreadable
    ("default_language", "de"), ("embed_origins", ["https://a.example/path"]),
    ("embed_origins", ["https://a.example; script-src *"]), ("embed_origins", ["http://a.example"]),
    ("embed_origins", ["*"]), ("embed_origins", ["https://[::1"]), ("website", "https://[::1"),
    ("embed_origins", ["https://a.example:99999"]),
])
def test_bad_values_are_refused_naming_their_field(client, clinic, field, value):
    response = put(client, clinic, "owner", {field: value})

    assert response.status_code == 422 and body(response)["error"]["field"] == field
    assert body(call(client, "GET", "/v1/org/profile", token_for(client, clinic.accounts["owner"])))["profile"][
        field] in (None, [], "en")


def test_null_clears_a_field(client, clinic):
    put(client, clinic, "owner", GOOD)
    answer = body(put(client, clinic, "owner", {"website": None}))

    assert answer["profile"]["website"] is None and answer["profile"]["address"] == GOOD["address"]


def test_the_booking_page_may_be_framed_only_by_the_clinics_own_origins(client, clinic):
    default = client.http.get("/book/clinic")
    assert "frame-ancestors 'none'" in default.headers["Content-Security-Policy"]
    assert default.headers["X-Frame-Options"] == "DENY"

    put(client, clinic, "owner", {"embed_origins": ["https://www.clinic.example", "https://clinic.example:8443"]})
    framed = client.http.get("/book/clinic")
    assert "frame-ancestors https://www.clinic.example https://clinic.example:8443;" in (
        framed.headers["Content-Security-Policy"] + ";")
    assert "X-Frame-Options" not in framed.headers
    manage = client.http.get("/manage/some-booking")  # a page with a manage token is never framed
    assert "frame-ancestors 'none'" in manage.headers["Content-Security-Policy"]
    assert manage.headers["X-Frame-Options"] == "DENY"


def test_the_page_speaks_the_browsers_language_unless_the_patient_picks_another(client, clinic):
    spanish = client.http.get("/book/clinic", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    picked = client.http.get("/book/clinic?lang=en", headers={"Accept-Language": "es"})
    unknown = client.http.get("/book/clinic", headers={"Accept-Language": "de"})

    assert '<html lang="es" dir="ltr">' in spanish.body.decode() and "Reservar una cita" in spanish.body.decode()
    assert '<html lang="en" dir="ltr">' in picked.body.decode()
    assert '<html lang="en" dir="ltr">' in unknown.body.decode()
    assert "Accept-Language" in spanish.headers["Vary"]


def test_a_clinic_default_language_serves_browsers_it_cannot_match(client, clinic):
    put(client, clinic, "owner", {"default_language": "es"})

    assert '<html lang="es" dir="ltr">' in client.http.get("/book/clinic",
                                                           headers={"Accept-Language": "de"}).body.decode()


def test_the_clinic_names_the_languages_it_speaks_and_the_booking_page_offers_only_those(client, clinic):
    assert put(client, clinic, "owner", {"languages": ["de"]}).status_code == 422  # not a language SafeSlot has
    answer = body(put(client, clinic, "owner", {"languages": ["es", "es"]}))

    assert answer["profile"]["languages"] == ["es"]
    assert body(client.http.get("/v1/public/orgs/clinic"))["profile"]["languages"] == ["es"]
    assert body(put(client, clinic, "owner", {"languages": None}))["profile"]["languages"] == []
    assert body(client.http.get("/v1/public/orgs/clinic"))["profile"]["languages"] == list(languages())
