"""Finding a patient as a person types them, with nothing stored in plaintext (ADR 0021), and patients
with only a phone or no contact at all, who hear of their booking by text."""

from __future__ import annotations

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from chalicelib.models.audit import AuditEvent
from chalicelib.models.customer import Customer
from chalicelib.services.patient_search import name_words, normalized_phone
from tests.functional.booking.helpers import at, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, post_json, token_for

JOSE = {"name": "José  García-Núñez", "phone": "+14155550177", "date_of_birth": "1980-03-07"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("frontdesk", "staff", "auditor"))


@pytest.fixture
def desk(client, clinic):
    return token_for(client, clinic.accounts["frontdesk"])


def add(client, token, patient):
    answer = post_json(client, "/v1/customers", patient, token)
    assert answer.status_code == 201, answer.body
    return body(answer)["customer"]


def search(client, token, **terms):
    answer = post_json(client, "/v1/customers/search", terms, token)
    assert answer.status_code == 200, answer.body
    return [c["id"] for c in body(answer)["customers"]]


def test_name_words_are_compared_without_case_accents_spaces_or_width():
    assert name_words("  JOSÉ   García-Núñez ") == ["jose", "garcia", "nunez"]
    assert name_words("\uff2a\uff2f\uff33\uff25 garcia") == ["jose", "garcia"]  # full-width JOSE


@pytest.mark.parametrize("typed", ["+1 (415) 555-0177", "415 555 0177", "4155550177", "+14155550177"])
def test_a_phone_is_compared_in_e164_with_or_without_the_country_code(typed):
    assert normalized_phone(typed) == "+14155550177"


def test_the_front_desk_adds_a_patient_with_only_a_phone_and_one_with_no_contact(client, desk):
    phone_only = add(client, desk, {"name": "Only Phone", "phone": "+14155550178"})
    nothing = add(client, desk, {"name": "No Contact"})

    assert phone_only["email"] is None and phone_only["phone"] == "+14155550178"
    assert nothing["email"] is None and nothing["phone"] is None


def test_the_public_booking_still_needs_an_e_mail(client, clinic):
    day = next_weekday()
    answer = client.http.post(f"/v1/public/orgs/{clinic.slug}/bookings", headers={"Content-Type": "application/json"},
                              body=json.dumps({"service_id": clinic.service["id"], "start": at(day, "10:00"),
                                               "customer": {"name": "No Mail"}}))
    assert answer.status_code == 422


@pytest.mark.parametrize("terms", [{"query": "jose garcia"}, {"query": "GARCÍA josé"}, {"query": "nunez"},
                                   {"query": "(415) 555-0177"}, {"query": "+1 415 555 0177"},
                                   {"query": "1980-03-07"}, {"name": "Jose", "date_of_birth": "1980-03-07"},
                                   {"phone": "415-555-0177"}])
def test_a_patient_is_found_by_name_phone_or_birth_date_typed_differently(client, desk, terms):
    jose = add(client, desk, JOSE)
    add(client, desk, {"name": "José Other", "phone": "+14155550179", "date_of_birth": "1990-01-01"})

    assert search(client, desk, **terms) == [jose["id"]]


def test_every_word_typed_must_match(client, desk):
    add(client, desk, JOSE)
    assert search(client, desk, query="jose smith") == []


def test_a_patient_is_found_by_e_mail_in_any_case(client, desk):
    ana = add(client, desk, {"name": "Ana Ruiz", "email": "ana.ruiz@example.org"})
    assert search(client, desk, query="ANA.Ruiz@Example.org ") == [ana["id"]]


def test_nothing_searchable_is_stored_in_plaintext(client, desk, clinic):
    jose = add(client, desk, JOSE)
    stored = json.dumps(Customer.get(clinic.org_id, jose["id"]).serialize(), default=str).casefold()
    for plain in ("jose", "garcia", "4155550177", "1980-03-07", "1980"):
        assert plain not in stored


def test_a_search_is_one_audit_event_naming_whom_it_showed_never_what_was_typed(client, desk, clinic):
    jose = add(client, desk, JOSE)
    search(client, desk, query="jose garcia")

    [event] = [e for e in AuditEvent.query(clinic.org_id) if e.action == "customer.searched"]
    assert event.subjects["customer_ids"] == jose["id"] and event.subjects["by"] == "name"
    assert "jose" not in json.dumps(event.subjects.as_dict()).casefold()


def test_the_staff_role_finds_only_their_own_patients(client, clinic, desk):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    ours, theirs = add(client, desk, {"name": "Maria Lopez"}), add(client, desk, {"name": "Maria Perez"})
    day = next_weekday()
    for patient, staff_id in ((ours, mine["id"]), (theirs, clinic.staff[0]["id"])):
        booked = post_json(client, "/v1/bookings", {"customer_id": patient["id"], "service_id": clinic.service["id"],
                                                     "staff_id": staff_id, "start": at(day, "10:00")}, desk)
        assert booked.status_code == 201, booked.body
    staff = token_for(client, clinic.accounts["staff"])

    assert search(client, staff, query="maria") == [ours["id"]]
    assert sorted(search(client, desk, query="maria")) == sorted([ours["id"], theirs["id"]])


def test_an_existing_customer_gets_search_indexes_from_the_backfill(client, desk, clinic):
    from chalicelib.services.patient_search import backfill

    jose = add(client, desk, JOSE)
    Customer(clinic.org_id, jose["id"]).update(actions=[Customer.search_index.remove()])  # as stored before
    assert search(client, desk, query="jose") == []

    assert backfill(clinic.org_id) == 1
    assert search(client, desk, query="jose") == [jose["id"]]


def test_a_correction_moves_the_indexes(client, desk):
    jose = add(client, desk, JOSE)
    changed = call(client, "PATCH", f"/v1/customers/{jose['id']}", desk, {"name": "Joseph Garcia"})
    assert changed.status_code == 200
    assert search(client, desk, query="joseph") == [jose["id"]] and search(client, desk, query="nunez") == []


def sent_texts() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values())


def test_a_patient_with_only_a_phone_gets_the_confirmation_by_text(client, clinic, desk):
    patient = add(client, desk, {"name": "Only Phone", "phone": "+14155550178"})
    day = next_weekday()
    before = len(sent_texts())
    booked = post_json(client, "/v1/bookings", {"customer_id": patient["id"], "service_id": clinic.service["id"],
                                                 "staff_id": clinic.staff[0]["id"], "start": at(day, "10:00")}, desk)

    assert booked.status_code == 201, booked.body
    [(to, text)] = sent_texts()[before:]
    assert to == "+14155550178" and "is booked" in text and "e-mail" not in text
