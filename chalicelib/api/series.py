"""Staff routes for series of weekly appointments (issue 29): check, book, read, move one, cancel the rest."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, required_instant
from chalicelib.services import customers
from chalicelib.services.series import booking as series_booking
from chalicelib.services.series import notices as series_notices

series = Blueprint(__name__)


@series.route("/v1/series-checks", methods=["POST"])
def check_series() -> dict[str, Any]:
    request = series.current_request
    principal = principal_of(request)
    return {"check": series_booking.check(principal, _wanted(json_body(request)))}


@series.route("/v1/series", methods=["POST"])
def book_series() -> Response:
    request = series.current_request
    principal = principal_of(request)
    wanted = _wanted(json_body(request))
    customers.require_bookable(principal, wanted.customer_id)
    made = series_booking.book_series(principal, wanted)
    series_notices.mail_series(made)
    return Response(body={"series": series_booking.series_view(made)}, status_code=201)


@series.route("/v1/series/{series_id}", methods=["GET"])
def get_series(series_id: str) -> dict[str, Any]:
    found = series_booking.get_series(principal_of(series.current_request), series_id)
    return {"series": series_booking.series_view(found)}


@series.route("/v1/series/{series_id}/calendar.ics", methods=["GET"])
def series_calendar(series_id: str) -> Response:
    found = series_booking.get_series(principal_of(series.current_request), series_id)
    return Response(body=series_notices.series_calendar(found).decode("utf-8"),
                    headers={"Content-Type": "text/calendar; charset=utf-8"})


@series.route("/v1/series/{series_id}/move", methods=["POST"])
def move_occurrence(series_id: str) -> dict[str, Any]:
    request = series.current_request
    principal = principal_of(request)
    body = json_body(request)
    found = series_booking.get_series(principal, series_id)
    series_booking.move_occurrence(principal, found, body["booking_id"], required_instant(body.get("start"), "start"))
    changed = series_booking.get_series(principal, series_id)
    series_notices.mail_series(changed, changed=True)
    return {"series": series_booking.series_view(changed)}


@series.route("/v1/series/{series_id}/cancel", methods=["POST"])
def cancel_following(series_id: str) -> dict[str, Any]:
    request = series.current_request
    principal = principal_of(request)
    body = json_body(request)
    found = series_booking.get_series(principal, series_id)
    series_booking.cancel_following(principal, found, body["from_booking_id"], body.get("reason"))
    changed = series_booking.get_series(principal, series_id)
    series_notices.mail_series(changed, changed=True)
    return {"series": series_booking.series_view(changed)}


def _wanted(body: dict[str, Any]) -> series_booking.SeriesRequest:
    return series_booking.SeriesRequest(
        customer_id=body["customer_id"], service_id=body["service_id"], staff_id=body["staff_id"],
        first_start=required_instant(body.get("start"), "start"), every_weeks=int(body.get("every_weeks", 1)),
        count=int(body["count"]), notes=body.get("notes"))
