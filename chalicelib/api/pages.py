"""The hosted booking pages, served by the app itself: HTML in the visitor's language, one script, one stylesheet.

No third-party scripts, fonts, cookies or trackers; the strict CSP of http.py applies. The language is
the one picked on the page (`?lang=`), else the browser's (Accept-Language), else the clinic's. The
booking page may be framed by the origins the clinic lists in its profile (CSP frame-ancestors,
'none' by default); the pages holding a manage token never. Nothing personal is ever in a page.
"""

from __future__ import annotations

import functools
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.api.http import HTML_CSP
from chalicelib.api.requests import header, query_param
from chalicelib.errors import NotFound, OrgSuspended
from chalicelib.i18n import direction, negotiate
from chalicelib.i18n.pages import language_options, render, script_messages
from chalicelib.services.booking.profile import profile_of
from chalicelib.services.organizations import org_by_slug

pages = Blueprint(__name__)
WEB = Path(__file__).resolve().parent.parent / "web"
ASSETS = {"booking.js": "text/javascript; charset=utf-8", "booking.css": "text/css; charset=utf-8"}
CACHE_FOR = "public, max-age=300"


@pages.route("/book/{slug}", methods=["GET"])
def booking_page(slug: str) -> Response:
    try:
        profile = profile_of(org_by_slug(slug))
    except NotFound:  # a page saying so (404), never an empty form to fill in for nobody
        return _html("not-found.html", None, cache=False, status=404)
    except OrgSuspended:
        return unavailable_page()
    response = _html("book.html", profile.default_language, cache=True)
    response.headers["Content-Security-Policy"] = framed_by(profile.embed_origins)
    return response


@pages.route("/manage/{booking_id}", methods=["GET"])
def manage_page(booking_id: str) -> Response:
    return _html("manage.html", None, cache=False)


@pages.route("/my/bookings", methods=["GET"])
def my_bookings_page() -> Response:
    return _html("my.html", None, cache=False)


@pages.route("/my/data/{slug}", methods=["GET"])
def my_data_page(slug: str) -> Response:
    """Patients' self-service: the page holds the link's token in its fragment, so it is never cached."""
    return _html("my-data.html", None, cache=False)


@pages.route("/static/{name}", methods=["GET"])
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return Response(body=_read(name), headers={"Content-Type": ASSETS[name], "Cache-Control": CACHE_FOR})


def unavailable_page() -> Response:
    """What a suspended clinic's booking page shows: unavailable (423 org_suspended), nothing of the clinic."""
    response = _html("unavailable.html", None, cache=False, status=423)
    response.headers["Cache-Control"] = "no-store"
    return response


def framed_by(origins: tuple[str, ...]) -> str:
    """The pages' CSP with frame-ancestors naming the clinic's own sites (checked https origins)."""
    return HTML_CSP.replace("frame-ancestors 'none'", f"frame-ancestors {' '.join(origins)}") if origins else HTML_CSP


def _html(name: str, clinic_language: str | None, cache: bool, status: int = 200) -> Response:
    request = pages.current_request
    language = negotiate(query_param(request, "lang"), header(request, "Accept-Language"), clinic_language)
    body = render(_read(name), language, {"lang": language, "dir": direction(language),
                                          "messages": script_messages(WEB / "booking.js", language),
                                          "language_options": language_options(language)})
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Vary": "Accept-Language"}
    if cache:
        headers["Cache-Control"] = CACHE_FOR
    return Response(body=body, headers=headers, status_code=status)


@functools.cache
def _read(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")
