"""Staff calendar feeds (issue 29): issue, read the status of and revoke a staff member's feed URL, the
clinic's initials opt-in, and the feed itself (a calendar app holding the URL; no session)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body, origin_of
from chalicelib.services import rate_limits
from chalicelib.services.calendar_feeds import feeds

calendar_feeds = Blueprint(__name__)


@calendar_feeds.route("/v1/staff/{staff_id}/calendar-feed", methods=["POST"])
def issue_feed(staff_id: str) -> Response:
    principal = principal_of(calendar_feeds.current_request)
    return Response(body={"feed": feeds.issue(principal, staff_id)}, status_code=201)


@calendar_feeds.route("/v1/staff/{staff_id}/calendar-feed", methods=["GET"])
def feed_status(staff_id: str) -> dict[str, Any]:
    return {"feed": feeds.status(principal_of(calendar_feeds.current_request), staff_id)}


@calendar_feeds.route("/v1/staff/{staff_id}/calendar-feed", methods=["DELETE"])
def revoke_feed(staff_id: str) -> Response:
    feeds.revoke(principal_of(calendar_feeds.current_request), staff_id)
    return Response(body="", status_code=204)


@calendar_feeds.route("/v1/org/calendar-feeds", methods=["GET"])
def get_feed_settings() -> dict[str, Any]:
    return {"settings": feeds.feed_settings(principal_of(calendar_feeds.current_request))}


@calendar_feeds.route("/v1/org/calendar-feeds", methods=["PUT"])
def put_feed_settings() -> dict[str, Any]:
    request = calendar_feeds.current_request
    body = json_body(request)
    return {"settings": feeds.change_feed_settings(principal_of(request), body["show_initials"])}


@calendar_feeds.route("/v1/calendar-feeds/{secret}", methods=["GET"])
def read_feed(secret: str) -> Response:
    """The secret is a path segment: the access log and our logs name the route template, never the path."""
    from chalicelib.services.calendar_feeds.contents import feed_calendar  # icalendar: loaded by feed reads

    request = calendar_feeds.current_request
    origin = origin_of(request)
    rate_limits.throttle(rate_limits.PUBLIC_READS_PER_IP, origin.source_ip or "unknown")
    body = feed_calendar(feeds.open_feed(secret, origin), origin)
    return Response(body=body.decode("utf-8"), headers={"Content-Type": "text/calendar; charset=utf-8"})
