"""Patients' self-service (no login): an e-mailed single-use link opens a 15-minute session.

The link's token lives in the URL fragment and reaches the API only in the body of one POST; the session's
token travels in the `X-Self-Service-Session` header. Neither is ever in a path, a query string, a log
line or a Referer. Every route is limited per source address, and names the org: another org's token is
the same 401 as an unknown one.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.requests import header, json_body, origin_of
from chalicelib.models.organization import Organization
from chalicelib.services import rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.organizations import org_by_slug
from chalicelib.services.self_service import details, email_change, erasure_requests, export, links, sessions
from chalicelib.services.self_service.sessions import PatientSession

self_service = Blueprint(__name__)
BASE = "/v1/public/orgs/{slug}/self-service"


@self_service.route(f"{BASE}/link", methods=["POST"])
def request_link(slug: str) -> Response:
    _throttle(rate_limits.SELF_SERVICE_LINKS_PER_IP)
    email = json_body(self_service.current_request)["email"]
    links.request_link(org_by_slug(slug), email, _origin(), _accept_language())
    return Response(body={"message": "If we know this address, a link is on its way to it."}, status_code=202)


@self_service.route(f"{BASE}/session", methods=["POST"])
def open_session(slug: str) -> Response:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(self_service.current_request)
    token, session = sessions.exchange(org_by_slug(slug).org_id, body["token"], _origin())
    return Response(body={"session": {"token": token, "expires_at": session.expires_at.isoformat()}},
                    status_code=201)


@self_service.route(f"{BASE}/session", methods=["DELETE"])
def close_session(slug: str) -> Response:
    _throttle(rate_limits.public_writes_per_ip())
    sessions.end(_session(org_by_slug(slug)))
    return Response(body="", status_code=204)


@self_service.route(f"{BASE}/me", methods=["GET"])
def get_me(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    org = org_by_slug(slug)
    session = _session(org)
    return {"details": details.view(session), "erasure_request": erasure_requests.of_patient(session),
            "clinic": {"slug": org.slug, "name": org.name},
            "session": {"expires_at": session.expires_at.isoformat()}}


@self_service.route(f"{BASE}/me", methods=["PATCH"])
def correct_me(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(self_service.current_request)
    return {"details": details.correct(_session(org_by_slug(slug)), body)}


@self_service.route(f"{BASE}/email", methods=["POST"])
def change_email(slug: str) -> Response:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(self_service.current_request)
    org = org_by_slug(slug)
    email_change.start(org, _session(org), body["email"], _accept_language())
    return Response(body={"message": "A code is on its way to the new address."}, status_code=202)


@self_service.route(f"{BASE}/email/confirm", methods=["POST"])
def confirm_email(slug: str) -> dict[str, Any]:
    _throttle(rate_limits.public_writes_per_ip())
    body = json_body(self_service.current_request)
    org = org_by_slug(slug)
    session = _session(org)
    email_change.confirm(org, session, body["code"], _accept_language())
    return {"details": details.own_details(session)}


@self_service.route(f"{BASE}/export", methods=["GET"])
def download(slug: str) -> Response:
    _throttle(rate_limits.PUBLIC_READS_PER_IP)
    org = org_by_slug(slug)
    return Response(body=export.export(org, _session(org)), headers={
        "Content-Type": "application/json", "Content-Disposition": 'attachment; filename="my-data.json"'})


@self_service.route(f"{BASE}/erasure-request", methods=["POST"])
def ask_for_erasure(slug: str) -> Response:
    _throttle(rate_limits.public_writes_per_ip())
    org = org_by_slug(slug)
    request = erasure_requests.ask(org, _session(org), _accept_language())
    return Response(body={"erasure_request": request}, status_code=201)


def _session(org: Organization) -> PatientSession:
    return sessions.session_for(org.org_id, header(self_service.current_request, sessions.HEADER), _origin())


def _origin() -> Origin:
    return origin_of(self_service.current_request)


def _accept_language() -> str | None:
    return header(self_service.current_request, "Accept-Language")


def _throttle(limit: rate_limits.Limit) -> None:
    rate_limits.throttle(limit, _origin().source_ip or "unknown")
