"""The public booking API: no login. Every route is rate limited per source address.

A customer's own booking is reached with its manage token in the `X-Manage-Token` header (the
token lives in the link's fragment), never in a path or query string.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib import clock
from chalicelib.api.requests import header, json_body, origin_of, query_param, required_instant
from chalicelib.errors import ValidationFailed
from chalicelib.i18n import negotiate, parse_locale
from chalicelib.models.booking import Booking
from chalicelib.models.organization import Organization
from chalicelib.services import customers, privacy_policies, rate_limits
from chalicelib.services.booking import catalog, grants, holds, queries, texts
from chalicelib.services.booking.bookings import Actor, NewBooking, PatientPreferences, cancel, reschedule
from chalicelib.services.booking.downloads import calendar_download
from chalicelib.services.booking.idempotency import idempotency_key
from chalicelib.services.booking.links import send_my_bookings_link
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.organizations import org_by_id, org_by_slug
from chalicelib.services.waitlist import entries as waitlist_entries
from chalicelib.services.webhooks import deliveries as webhook_deliveries

public = Blueprint(__name__)
MANAGE_TOKEN_HEADER = "X-Manage-Token"  # noqa: S105 (a header name)


@public.route("/v1/public/orgs/{slug}", methods=["GET"])
def get_org(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    org = org_by_slug(slug)
    services = catalog.list_services(org.org_id, active_only=True)
    offered = {s.service_id for s in services}
    staff = [m for m in catalog.list_staff(org.org_id, active_only=True) if offered & set(m.service_ids or [])]
    language = _language(org)
    return {"org": {"slug": org.slug, "name": org.name, "timezone": org.timezone},
            "profile": profile_of(org).public(language),
            "services": [queries.public_service(s, language) for s in services],
            "staff": [queries.public_staff(m) for m in staff]}


@public.route("/v1/public/orgs/{slug}/slots", methods=["GET"])
def get_slots(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    org = org_by_slug(slug)
    query = queries.SlotQuery(
        service_id=_required_param("service_id"), first=_date_param("from"), last=_date_param("to"),
        timezone=query_param(public.current_request, "tz") or org.timezone,
        staff_id=query_param(public.current_request, "staff_id"))
    return {"slots": queries.find_slots(org.org_id, query)}


@public.route("/v1/public/orgs/{slug}/bookings", methods=["POST"])
def create_booking(slug: str) -> Response:
    _throttle(rate_limits.public_writes_per_ip())
    request = public.current_request
    body = json_body(request)
    org = org_by_slug(slug)
    actor = Actor(org.org_id, "customer", origin_of(request), is_staff=False)
    key = idempotency_key(org.org_id, "public-booking", header(request, "Idempotency-Key"), body)
    contact = customers.CustomerDetails(**body["customer"])
    wanted = NewBooking(body["service_id"], _start(body), body.get("staff_id"), body.get("notes"),
                        policy_version=privacy_policies.version_in_force(org.org_id), patient=_patient(org, body))
    status, answer = holds.public_booking(org, actor, contact, wanted, key)
    if status == 201:  # made at once (a pending hold is announced when it is confirmed)
        webhook_deliveries.announce("booking.created", org.org_id, answer["booking"]["id"])
    return Response(body=answer, status_code=status)


@public.route("/v1/public/orgs/{slug}/bookings/{booking_id}/confirm", methods=["POST"])
def confirm_booking(slug: str, booking_id: str) -> dict[str, Any]:
    """Prove the mailbox of a pending hold with the e-mailed code or the link's token: not a new write (the
    hold already took its turn), so it has its own per-address limit; guesses are bounded per hold."""
    _throttle(rate_limits.HOLD_CONFIRMS_PER_IP)
    body = json_body(public.current_request)
    org = org_by_slug(slug)
    actor = Actor(org.org_id, "customer", origin_of(public.current_request), is_staff=False)
    confirmed = holds.confirm(actor, booking_id, body.get("code"), body.get("token"))
    webhook_deliveries.announce("booking.created", org.org_id, booking_id)
    return confirmed


@public.route("/v1/public/orgs/{slug}/my-bookings", methods=["POST"])
def request_my_bookings_link(slug: str) -> Response:
    _throttle(rate_limits.LINK_REQUESTS_PER_IP)
    email = json_body(public.current_request)["email"]
    send_my_bookings_link(org_by_slug(slug), email, origin_of(public.current_request),
                          header(public.current_request, "Accept-Language"))
    return Response(body={"message": "If we know this address, a link to its bookings is on its way."},
                    status_code=202)


@public.route("/v1/public/my-bookings", methods=["GET"])
def list_my_bookings() -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    grant = grants.grant_for(_manage_token())
    language = _language(org_by_id(grant.org_id))
    return {"bookings": queries.customer_bookings(grant, origin_of(public.current_request), language)}


@public.route("/v1/public/bookings/{booking_id}", methods=["GET"])
def get_my_booking(booking_id: str) -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    booking = grants.booking_for(_manage_token(), booking_id)
    queries.customer_read(booking, origin_of(public.current_request))
    return _manage_view(booking)


@public.route("/v1/public/bookings/{booking_id}/reschedule", methods=["POST"])
def reschedule_my_booking(booking_id: str) -> dict[str, Any]:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(public.current_request)
    booking, org = grants.booking_and_org_for(_manage_token(), booking_id)
    moved = reschedule(_customer(booking.org_id), booking, _start(body), body.get("staff_id"))
    webhook_deliveries.announce("booking.rescheduled", booking.org_id, booking_id)
    return _manage_view(moved, org)


@public.route("/v1/public/bookings/{booking_id}/cancel", methods=["POST"])
def cancel_my_booking(booking_id: str) -> dict[str, Any]:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(public.current_request)
    booking, org = grants.booking_and_org_for(_manage_token(), booking_id)
    cancelled = cancel(_customer(booking.org_id), booking, body.get("reason"))
    webhook_deliveries.announce("booking.cancelled", booking.org_id, booking_id)
    waitlist_entries.backfill(cancelled)  # the freed time goes to the first waiting patients (issue 29)
    return _manage_view(cancelled, org)


@public.route("/v1/public/bookings/{booking_id}/calendar.ics", methods=["GET"])
def download_my_booking(booking_id: str) -> Response:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    booking = grants.booking_for(_manage_token(), booking_id)
    return Response(body=calendar_download(booking).decode("utf-8"), headers={
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'attachment; filename="appointment.ics"'})


def _manage_view(booking: Booking, org: Organization | None = None) -> dict[str, Any]:
    org = org or org_by_id(booking.org_id)
    language = _language(org)
    return {"booking": queries.booking_page_view(booking.org_id, booking, language),
            "org": {"slug": org.slug, "name": org.name, "timezone": org.timezone},
            "profile": profile_of(org).public(language)}


def _language(org: Organization) -> str:
    """The language the page reads (`lang`), else the browser's, else the clinic's: for the clinic's own texts."""
    request = public.current_request
    return negotiate(query_param(request, "lang"), header(request, "Accept-Language"),
                     profile_of(org).default_language)


def _customer(org_id: str) -> Actor:
    return Actor(org_id, "customer", origin_of(public.current_request), is_staff=False)


def _manage_token() -> str | None:
    return header(public.current_request, MANAGE_TOKEN_HEADER)


def _throttle(limit: rate_limits.Limit) -> None:
    rate_limits.throttle(limit, origin_of(public.current_request).source_ip or "unknown")


def _patient(org: Organization, body: dict[str, Any]) -> PatientPreferences:
    """The zone the page showed times in, its locale, and the mobile number of an opt-in to texts."""
    zone, locale = body.get("timezone"), body.get("locale")
    if zone:
        clock.zone(zone, "timezone")
    parsed = parse_locale(locale)
    if locale and parsed is None:
        raise ValidationFailed("Unknown locale.", field="locale")
    phone = (body.get("customer") or {}).get("phone")
    sms_to = texts.opted_in_number(profile_of(org), phone) if body.get("sms_opt_in") else None
    return PatientPreferences(zone, str(parsed) if parsed else None, sms_to)


def _start(body: dict[str, Any]) -> datetime:
    return required_instant(body.get("start"), "start")


def _required_param(name: str) -> str:
    value = query_param(public.current_request, name)
    if not value:
        raise ValidationFailed(f"Parameter '{name}' is required.", field=name)
    return value


def _date_param(name: str) -> date:
    try:
        day = date.fromisoformat(_required_param(name))
    except ValueError as error:
        raise ValidationFailed(f"Parameter '{name}' must be a date, YYYY-MM-DD.", field=name) from error
    return clock.check_date(day, name)
