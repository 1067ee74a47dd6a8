"""A patient's answers to a booking's intake form: given through the booking's secret link (right after
booking, or from the e-mail), sealed under the patient's own key like clinical notes, read by the roles
that may read notes (an audited read), in the patient's export, and gone with an erasure.

Answers are health information: they are in no log, no event and no error message (a refused answer
names the question, never the value).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from chalicelib import clock
from chalicelib.errors import BookingCancelled, Forbidden, SealedDataErased, ValidationFailed
from chalicelib.models.booking import Booking
from chalicelib.models.intake import IntakeAnswers
from chalicelib.services import audit
from chalicelib.services.booking.queries import may_read_notes
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.intake.forms import questions_of

MAX_TEXT = 2000


def form_for_patient(booking: Booking) -> dict[str, Any]:
    """The booking's questions and whether they were answered (the answers themselves are in the export)."""
    answered = _find(booking.org_id, booking.booking_id) is not None
    return {"questions": questions_of(booking.org_id, booking.service_id), "answered": answered}


def answer(booking: Booking, given: Mapping[str, Any], origin: audit.Origin) -> dict[str, Any]:
    """Store the patient's answers (again: they replace the earlier ones), sealed; audited without them."""
    if booking.status == "cancelled":
        raise BookingCancelled()
    questions = questions_of(booking.org_id, booking.service_id)
    if not questions:
        raise ValidationFailed("This service asks no questions.", field="answers")
    unknown = set(given) - {q["id"] for q in questions}
    if unknown:
        raise ValidationFailed("An answer names no question of this form.", field="answers")
    kept = [_answered(q, given.get(q["id"])) for q in questions]
    row = IntakeAnswers(booking.org_id, booking.booking_id, customer_id=booking.customer_id,
                        customer_key=f"{booking.org_id}/{booking.customer_id}", service_id=booking.service_id,
                        answered_at=clock.now())
    row.seal({"answers": [a for a in kept if a["value"] is not None]})
    row.save()
    audit.record(booking.org_id, "customer", "intake.answered", origin=origin,
                 subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id})
    return {"answered": True, "answered_at": clock.isoformat(row.answered_at)}


def staff_read(principal: Principal, booking: Booking) -> dict[str, Any]:
    """The answers, for the roles that may read notes (the staff role on their own bookings); audited."""
    if not may_read_notes(principal, booking):
        raise Forbidden()
    row = _find(booking.org_id, booking.booking_id)
    audit.record(principal.org_id, principal.user_id, "intake.read", origin=principal.origin,
                 subjects={"booking_id": booking.booking_id, "customer_id": booking.customer_id})
    if row is None:
        return {"answered": False, "answers": []}
    return {"answered": True, "answered_at": clock.isoformat(row.answered_at), "answers": row.unseal()["answers"]}


def of_customer(org_id: str, customer_id: str) -> list[dict[str, Any]]:
    """Every answer the patient gave (their export)."""
    shown = []
    for row in IntakeAnswers.by_customer.query(f"{org_id}/{customer_id}"):
        try:
            answers = row.unseal()["answers"]
        except SealedDataErased:
            continue
        shown.append({"booking_id": row.booking_id, "answered_at": clock.isoformat(row.answered_at),
                      "answers": answers})
    return shown


def erase_customer(org_id: str, customer_id: str) -> int:
    """Delete every answer of the customer (the erasure also destroys the key they are sealed under)."""
    removed = 0
    for _ in range(2):  # again: the index lags the table
        for row in IntakeAnswers.by_customer.query(f"{org_id}/{customer_id}"):
            row.delete()
            removed += 1
    return removed


def _answered(question: Mapping[str, Any], value: Any) -> dict[str, Any]:
    field = f"answers.{question['id']}"
    shown = {"id": question["id"], "kind": question["kind"], "label": question["label"], "value": None}
    if value is None or value == "":
        if question["required"]:
            raise ValidationFailed("This question needs an answer.", field=field)
        return shown
    kind = question["kind"]
    if kind == "text" and isinstance(value, str) and len(value) <= MAX_TEXT:
        return {**shown, "value": value}
    if kind == "choice" and value in question.get("options", []):
        return {**shown, "value": value}
    if kind == "date" and isinstance(value, str) and _is_date(value):
        return {**shown, "value": value}
    if kind == "consent" and isinstance(value, bool):
        if question["required"] and value is not True:
            raise ValidationFailed("This consent is needed.", field=field)
        return {**shown, "value": value}
    raise ValidationFailed("This answer does not fit its question.", field=field)


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _find(org_id: str, booking_id: str) -> IntakeAnswers | None:
    try:
        return IntakeAnswers.get(org_id, booking_id, consistent_read=True)
    except IntakeAnswers.DoesNotExist:
        return None
