"""Intake forms (issue 29): a service's questions (staff), a booking's answers (the patient through the
booking's secret link; staff who may read notes)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.principal import principal_of
from chalicelib.api.public import MANAGE_TOKEN_HEADER
from chalicelib.api.requests import header, json_body, origin_of
from chalicelib.services import rate_limits
from chalicelib.services.booking import grants, queries
from chalicelib.services.identity.roles import Permission
from chalicelib.services.intake import answers, forms

intake = Blueprint(__name__)


@intake.route("/v1/services/{service_id}/intake-form", methods=["GET"])
def get_intake_form(service_id: str) -> dict[str, Any]:
    return {"form": forms.read_form(principal_of(intake.current_request), service_id)}


@intake.route("/v1/services/{service_id}/intake-form", methods=["PUT"])
def put_intake_form(service_id: str) -> dict[str, Any]:
    request = intake.current_request
    questions = json_body(request)["questions"]
    return {"form": forms.change_form(principal_of(request), service_id, questions)}


@intake.route("/v1/bookings/{booking_id}/intake", methods=["GET"])
def staff_intake_answers(booking_id: str) -> dict[str, Any]:
    principal = principal_of(intake.current_request)
    booking = queries.staff_booking(principal, booking_id, Permission.BOOKINGS_READ)
    return {"intake": answers.staff_read(principal, booking)}


@intake.route("/v1/public/bookings/{booking_id}/intake", methods=["GET"])
def my_intake_form(booking_id: str) -> dict[str, Any]:
    request = intake.current_request
    rate_limits.throttle(rate_limits.PUBLIC_READS_PER_IP, origin_of(request).source_ip or "unknown")
    booking = grants.booking_for(header(request, MANAGE_TOKEN_HEADER), booking_id)
    return {"intake": answers.form_for_patient(booking)}


@intake.route("/v1/public/bookings/{booking_id}/intake", methods=["PUT"])
def answer_my_intake_form(booking_id: str) -> dict[str, Any]:
    request = intake.current_request
    origin = origin_of(request)
    rate_limits.throttle(rate_limits.public_writes_per_ip(), origin.source_ip or "unknown")
    given = json_body(request)["answers"]
    booking = grants.booking_for(header(request, MANAGE_TOKEN_HEADER), booking_id)
    return {"intake": answers.answer(booking, given, origin)}
