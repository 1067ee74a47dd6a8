"""Intake forms (issue 29, item 4): a service's questions answered by the patient through the booking's
link, sealed like clinical notes (no table holds an answer in plaintext), shown only to the roles that may
read notes, in the patient's export, and gone with an erasure."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.intake import IntakeAnswers
from tests.functional.booking.helpers import at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.erasure.helpers import erase, readable_everywhere, second_factor_token
from tests.functional.identity.helpers import body, call, token_for
from tests.functional.self_service.helpers import Patient, as_patient, sign_in

QUESTIONS = [
    {"id": "complaint", "kind": "text", "label": "What brings you in?", "required": True},
    {"id": "side", "kind": "choice", "label": "Which side?", "options": ["Left", "Right"], "required": False},
    {"id": "since", "kind": "date", "label": "Since when?"},
    {"id": "consent", "kind": "consent", "label": "I agree to the treatment terms", "required": True},
]
ANSWER_TEXT = "Sharp pain in the left meniscus after skiing"
ANSWERS = {"complaint": ANSWER_TEXT, "side": "Left", "since": "2026-11-02", "consent": True}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("staff", "frontdesk"))


@pytest.fixture
def form(client, clinic):
    owner = token_for(client, clinic.accounts["owner"])
    answer = call(client, "PUT", f"/v1/services/{clinic.service['id']}/intake-form", owner, {"questions": QUESTIONS})
    assert answer.status_code == 200, answer.body
    return body(answer)["form"]


@pytest.fixture
def booked(client, clinic, form):
    answer = body(book(client, clinic, at(next_weekday(), "10:00"), staff_id=clinic.staff[0]["id"]))
    return answer["booking"]["id"], token_of(answer["manage_url"])


def answer_form(client, booking_id: str, token: str, answers: dict):
    return manage(client, "PUT", f"/v1/public/bookings/{booking_id}/intake", token, {"answers": answers})


def test_the_patient_sees_the_questions_and_answers_them_through_the_booking_link(client, booked):
    booking_id, token = booked

    shown = body(manage(client, "GET", f"/v1/public/bookings/{booking_id}/intake", token))["intake"]
    answered = answer_form(client, booking_id, token, ANSWERS)

    assert [q["id"] for q in shown["questions"]] == ["complaint", "side", "since", "consent"]
    assert shown["answered"] is False
    assert answered.status_code == 200 and body(answered)["intake"]["answered"] is True
    assert manage(client, "GET", f"/v1/public/bookings/{booking_id}/intake", "wrong-token").status_code == 404


def test_answers_are_absent_in_plaintext_from_every_table(client, booked):
    booking_id, token = booked
    assert answer_form(client, booking_id, token, ANSWERS).status_code == 200
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")

    dump = "".join(json.dumps(dynamodb.scan(TableName=table)["Items"], default=str)
                   for table in dynamodb.list_tables()["TableNames"])

    assert IntakeAnswers.count() == 1
    for secret in (ANSWER_TEXT, "meniscus", "skiing", "2026-11-02"):
        for form in (secret, secret.lower(), base64.b64encode(secret.encode()).decode()):
            assert form not in dump, secret


def test_only_the_roles_that_read_notes_see_the_answers_and_each_read_is_audited(client, clinic, booked):
    booking_id, token = booked
    answer_form(client, booking_id, token, ANSWERS)
    owner = token_for(client, clinic.accounts["owner"])
    desk = token_for(client, clinic.accounts["frontdesk"])

    seen = call(client, "GET", f"/v1/bookings/{booking_id}/intake", owner)
    refused = call(client, "GET", f"/v1/bookings/{booking_id}/intake", desk)

    assert seen.status_code == 200
    answers = {a["id"]: a["value"] for a in body(seen)["intake"]["answers"]}
    assert answers == ANSWERS
    assert refused.status_code == 403 and ANSWER_TEXT not in refused.body.decode()
    reads = [e for e in [*AuditEvent.query(clinic.org_id), *AuditOutboxEntry.query(clinic.org_id)]
             if e.action == "intake.read"]
    assert len(reads) == 1 and ANSWER_TEXT not in json.dumps(reads[0].subjects.as_dict())


def test_a_staff_user_reads_answers_only_on_their_own_bookings(client, clinic, booked):
    booking_id, token = booked
    answer_form(client, booking_id, token, ANSWERS)
    clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    staff = token_for(client, clinic.accounts["staff"])

    assert call(client, "GET", f"/v1/bookings/{booking_id}/intake", staff).status_code == 403


@pytest.mark.parametrize("answers", [
    {**ANSWERS, "consent": False}, {**ANSWERS, "side": "Both"}, {**ANSWERS, "since": "02/11/2026"},
    {**ANSWERS, "unknown": "x"}, {k: v for k, v in ANSWERS.items() if k != "complaint"},
    {**ANSWERS, "complaint": "x" * 2001}])
def test_answers_that_do_not_fit_are_refused_without_echoing_them(client, booked, answers):
    booking_id, token = booked

    refused = answer_form(client, booking_id, token, answers)

    assert refused.status_code == 422 and body(refused)["error"]["code"] == "validation_failed"
    assert ANSWER_TEXT not in refused.body.decode() and IntakeAnswers.count() == 0


def test_the_patients_export_holds_their_answers(client, clinic, booked):
    booking_id, token = booked
    answer_form(client, booking_id, token, ANSWERS)
    from chalicelib.models.booking import Booking

    patient = Patient(clinic, Booking.get(clinic.org_id, booking_id).customer_id, booking_id)
    document = json.loads(as_patient(client, "GET", clinic.slug, "export", sign_in(client, patient)).body)

    [given] = document["intake_answers"]
    assert given["booking_id"] == booking_id
    assert {a["id"]: a["value"] for a in given["answers"]} == ANSWERS


def test_erasure_removes_the_answers(client, clinic, booked):
    booking_id, token = booked
    answer_form(client, booking_id, token, ANSWERS)
    from chalicelib.models.booking import Booking

    customer_id = Booking.get(clinic.org_id, booking_id).customer_id
    assert ANSWER_TEXT in "".join(readable_everywhere())

    report = body(erase(client, second_factor_token(client, clinic.accounts["owner"]), customer_id))["erasure"]

    assert report["deleted"]["intake_answers"] == 1
    assert IntakeAnswers.count() == 0
    assert ANSWER_TEXT not in "".join(readable_everywhere())


def test_only_admins_change_a_form_and_bad_questions_are_refused(client, clinic):
    desk = token_for(client, clinic.accounts["frontdesk"])
    owner = token_for(client, clinic.accounts["owner"])
    path = f"/v1/services/{clinic.service['id']}/intake-form"

    assert call(client, "PUT", path, desk, {"questions": QUESTIONS}).status_code == 403
    bad = [{"id": "x", "kind": "choice", "label": "Pick", "options": ["only one"]}]
    assert call(client, "PUT", path, owner, {"questions": bad}).status_code == 422
    assert call(client, "GET", path, desk).status_code == 200
