"""Staff routes the console's screens need in one call: the signed-in session, and the day's calendar."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import query_param
from chalicelib.services import console_session
from chalicelib.services.booking import day_view

front_desk = Blueprint(__name__)


@front_desk.route("/v1/console/session", methods=["GET"])
def current_session() -> dict[str, Any]:
    return console_session.current_session(principal_of(front_desk.current_request))


@front_desk.route("/v1/calendar/day", methods=["GET"])
def calendar_day() -> dict[str, Any]:
    request = front_desk.current_request
    principal = principal_of(request)
    day = day_view.parse_day(query_param(request, "date"))
    return day_view.day_view(principal, day, query_param(request, "staff_id"))
