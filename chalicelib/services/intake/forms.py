"""A service's intake questions: text, one choice among options, a date, a consent checkbox.

Questions are the clinic's words, not personal data: stored plain, readable by every staff role (the
booking page shows them to the patient through the manage link). Owners and admins change them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib import clock
from chalicelib.errors import ValidationFailed
from chalicelib.models.intake import IntakeForm
from chalicelib.services import audit
from chalicelib.services.booking import catalog
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

KINDS = ("text", "choice", "date", "consent")
MAX_QUESTIONS = 20
QUESTION_ID = re.compile(r"^[a-z0-9_]{1,40}$")


def read_form(principal: Principal, service_id: str) -> dict[str, Any]:
    require(principal.role, Permission.CATALOG_READ)
    catalog.get_service(principal.org_id, service_id)
    return {"service_id": service_id, "questions": questions_of(principal.org_id, service_id)}


def change_form(principal: Principal, service_id: str, questions: Any) -> dict[str, Any]:
    """Replace the service's questions (an empty list: no form). Answers already given keep the
    questions as they were asked."""
    require(principal.role, Permission.CATALOG_MANAGE)
    catalog.get_service(principal.org_id, service_id)
    checked = [_checked(q, i) for i, q in enumerate(questions)]
    if len(checked) > MAX_QUESTIONS or len({q["id"] for q in checked}) != len(checked):
        raise ValidationFailed(f"At most {MAX_QUESTIONS} questions, each with its own id.", field="questions")
    IntakeForm(principal.org_id, service_id, questions=checked, updated_at=clock.now()).save()
    audit.record(principal.org_id, principal.user_id, "intake.form_changed", origin=principal.origin,
                 subjects={"service_id": service_id, "questions": str(len(checked))})
    return {"service_id": service_id, "questions": checked}


def questions_of(org_id: str, service_id: str) -> list[dict[str, Any]]:
    try:
        return list(IntakeForm.get(org_id, service_id).questions or [])
    except IntakeForm.DoesNotExist:
        return []


def _checked(question: Mapping[str, Any], index: int) -> dict[str, Any]:
    field = f"questions[{index}]"
    if not QUESTION_ID.fullmatch(str(question.get("id", ""))):
        raise ValidationFailed("A question's id is 1-40 of a-z, 0-9 and _.", field=field)
    kind, label = question.get("kind"), str(question.get("label", "")).strip()
    if kind not in KINDS or not 0 < len(label) <= 200:
        raise ValidationFailed("A question needs a kind (text, choice, date, consent) and a label.", field=field)
    checked: dict[str, Any] = {"id": question["id"], "kind": kind, "label": label,
                               "required": bool(question.get("required", False))}
    if kind == "choice":
        options = [str(o).strip() for o in question.get("options") or []]
        if not 2 <= len(options) <= 20 or len(set(options)) != len(options) or not all(0 < len(o) <= 100
                                                                                         for o in options):
            raise ValidationFailed("A choice needs 2-20 different options.", field=field)
        checked["options"] = options
    elif question.get("options"):
        raise ValidationFailed("Only a choice has options.", field=field)
    return checked
