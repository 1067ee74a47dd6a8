"""Staff routes for the calendar and the people in it: bookings and customers."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import header, json_body, parse_instant, query_param, required_instant
from chalicelib.errors import ValidationFailed
from chalicelib.services import customers
from chalicelib.services.booking import bookings as calendar
from chalicelib.services.booking import queries
from chalicelib.services.booking.idempotency import idempotency_key
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.waitlist import entries as waitlist_entries
from chalicelib.services.webhooks import deliveries as webhook_deliveries

bookings = Blueprint(__name__)
STATUSES = ("confirmed", "cancelled")


@bookings.route("/v1/bookings", methods=["GET"])
def list_bookings() -> dict[str, Any]:
    request = bookings.current_request
    principal = principal_of(request)
    status = query_param(request, "status")
    if status is not None and status not in STATUSES:
        raise ValidationFailed("Parameter 'status' must be confirmed or cancelled.", field="status")
    since, until = (parse_instant(query_param(request, name), name) for name in ("from", "to"))
    if since is None or until is None:
        raise ValidationFailed("Parameters 'from' and 'to' are required.", field="from" if since is None else "to")
    found = queries.staff_calendar(principal, since, until, query_param(request, "staff_id"), status)
    return {"bookings": found}


@bookings.route("/v1/bookings", methods=["POST"])
def create_booking() -> Response:
    request = bookings.current_request
    principal = principal_of(request)
    require(principal.role, Permission.BOOKINGS_MANAGE)
    body = json_body(request)
    customers.require_bookable(principal, body["customer_id"])  # 404: unknown, or not the staff role's to see
    queries.require_own_staff(principal, body["staff_id"])
    key = idempotency_key(principal.org_id, "staff-booking", header(request, "Idempotency-Key"), body)
    start = required_instant(body.get("start"), "start")
    wanted = calendar.NewBooking(body["service_id"], start, body["staff_id"], body.get("notes"))
    status, answer = calendar.book(_actor(principal), body["customer_id"], wanted, key)
    booking = calendar.get_booking(principal.org_id, answer["booking"]["id"])
    webhook_deliveries.announce("booking.created", principal.org_id, booking.booking_id)
    return Response(body={"booking": queries.staff_view(booking)}, status_code=status)


@bookings.route("/v1/bookings/{booking_id}", methods=["GET"])
def get_booking(booking_id: str) -> dict[str, Any]:
    principal = principal_of(bookings.current_request)
    booking = queries.staff_booking(principal, booking_id, Permission.BOOKINGS_READ)
    return {"booking": queries.staff_detail(principal, booking)}


@bookings.route("/v1/bookings/{booking_id}/reschedule", methods=["POST"])
def reschedule_booking(booking_id: str) -> dict[str, Any]:
    principal = principal_of(bookings.current_request)
    body = json_body(bookings.current_request)
    booking = queries.staff_booking(principal, booking_id, Permission.BOOKINGS_MANAGE)
    queries.require_own_staff(principal, body.get("staff_id"))
    moved = calendar.reschedule(_actor(principal), booking, required_instant(body.get("start"), "start"),
                                body.get("staff_id"))
    webhook_deliveries.announce("booking.rescheduled", principal.org_id, booking_id)
    return {"booking": queries.staff_view(moved)}


@bookings.route("/v1/bookings/{booking_id}/cancel", methods=["POST"])
def cancel_booking(booking_id: str) -> dict[str, Any]:
    principal = principal_of(bookings.current_request)
    body = json_body(bookings.current_request)
    booking = queries.staff_booking(principal, booking_id, Permission.BOOKINGS_MANAGE)
    cancelled = calendar.cancel(_actor(principal), booking, body.get("reason"))
    webhook_deliveries.announce("booking.cancelled", principal.org_id, booking_id)
    waitlist_entries.backfill(cancelled)  # the freed time goes to the first waiting patients (issue 29)
    return {"booking": queries.staff_view(cancelled)}


@bookings.route("/v1/customers", methods=["POST"])
def create_customer() -> Response:
    principal = principal_of(bookings.current_request)
    created = customers.staff_create(principal, json_body(bookings.current_request))
    return Response(body={"customer": created}, status_code=201)


@bookings.route("/v1/customers/search", methods=["POST"])
def search_customers() -> dict[str, Any]:
    principal = principal_of(bookings.current_request)
    return {"customers": customers.staff_search(principal, json_body(bookings.current_request))}


@bookings.route("/v1/customers/{customer_id}", methods=["GET"])
def get_customer(customer_id: str) -> dict[str, Any]:
    return {"customer": customers.staff_read(principal_of(bookings.current_request), customer_id)}


@bookings.route("/v1/customers/{customer_id}", methods=["PATCH"])
def update_customer(customer_id: str) -> dict[str, Any]:
    principal = principal_of(bookings.current_request)
    return {"customer": customers.staff_update(principal, customer_id, json_body(bookings.current_request))}


@bookings.route("/v1/customers/{customer_id}", methods=["DELETE"])
def erase_customer(customer_id: str) -> dict[str, Any]:
    """Erase a customer everywhere (a request the clinic took); `reason` in the query or the body."""
    request = bookings.current_request
    reason = query_param(request, "reason") or (json_body(request).get("reason") if request.raw_body else None)
    from chalicelib.services.erasure import customers as erasure  # loaded by the erasures it runs

    return {"erasure": erasure.staff_erase(principal_of(request), customer_id, reason)}


def _actor(principal: Principal) -> calendar.Actor:
    return calendar.Actor(principal.org_id, principal.user_id, principal.origin, is_staff=True)
