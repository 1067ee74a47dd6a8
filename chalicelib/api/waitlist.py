"""The waitlist (issue 29): a patient asks for an earlier time through their booking's link, and takes
an offered time through the e-mailed offer's secret."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.public import MANAGE_TOKEN_HEADER
from chalicelib.api.requests import header, json_body, origin_of, parse_instant
from chalicelib.services import rate_limits
from chalicelib.services.booking import grants, queries
from chalicelib.services.organizations import org_by_slug
from chalicelib.services.waitlist import entries

waitlist = Blueprint(__name__)


@waitlist.route("/v1/public/bookings/{booking_id}/waitlist", methods=["POST"])
def join_waitlist(booking_id: str) -> Response:
    request = waitlist.current_request
    origin = origin_of(request)
    rate_limits.throttle(rate_limits.public_writes_per_ip(), origin.source_ip or "unknown")
    body = json_body(request)
    booking = grants.booking_for(header(request, MANAGE_TOKEN_HEADER), booking_id)
    earliest = parse_instant(body.get("earliest"), "earliest")
    entry = entries.join(booking, earliest, bool(body.get("same_staff", False)), origin)
    return Response(body={"entry": entry}, status_code=201)


@waitlist.route("/v1/public/orgs/{slug}/waitlist/{entry_id}/accept", methods=["POST"])
def accept_offer(slug: str, entry_id: str) -> dict[str, Any]:
    request = waitlist.current_request
    origin = origin_of(request)
    rate_limits.throttle(rate_limits.public_writes_per_ip(), origin.source_ip or "unknown")
    token = json_body(request)["token"]
    org = org_by_slug(slug)
    moved = entries.accept(org.org_id, entry_id, token, origin)
    return {"booking": queries.booking_page_view(org.org_id, moved)}
