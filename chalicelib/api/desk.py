"""Staff routes of the front desk's work in the console: the week, visit statuses and their report, and
the patient's card (services/booking/week_view.py, visits.py, services/patient_card.py)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, query_param, required_instant
from chalicelib.services import patient_card
from chalicelib.services.booking import day_view, visits, week_view

desk = Blueprint(__name__)


@desk.route("/v1/calendar/week", methods=["GET"])
def calendar_week() -> dict[str, Any]:
    request = desk.current_request
    first = day_view.parse_day(query_param(request, "date"))
    return week_view.week_view(principal_of(request), first, query_param(request, "staff_id"))


@desk.route("/v1/bookings/{booking_id}/visit-status", methods=["POST"])
def set_visit_status(booking_id: str) -> dict[str, Any]:
    principal = principal_of(desk.current_request)
    status = json_body(desk.current_request)["status"]
    return {"booking": visits.set_visit_status(principal, booking_id, status)}


@desk.route("/v1/reports/visits", methods=["GET"])
def visit_report() -> dict[str, Any]:
    request = desk.current_request
    since = required_instant(query_param(request, "from"), "from")
    until = required_instant(query_param(request, "to"), "to")
    return visits.visit_report(principal_of(request), since, until)


@desk.route("/v1/customers/{customer_id}/card", methods=["GET"])
def customer_card(customer_id: str) -> dict[str, Any]:
    return patient_card.card(principal_of(desk.current_request), customer_id)
