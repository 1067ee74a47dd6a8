"""The hosted booking pages, served by the app itself: HTML in the visitor's language, one script, one stylesheet.

No third-party scripts, fonts, cookies or trackers; the strict CSP of http.py applies. The language is
the one picked on the page (`?lang=`), else the browser's (Accept-Language), else the clinic's. The
booking page may be framed by the origins the clinic lists in its profile (CSP frame-ancestors,
'none' by default); the pages holding a manage token never. Nothing personal is ever in a page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Page:
    """One page: its body (after the shared layout's header) in `web/<name>.html`, the script's name for it,
    and how deep its address is (the relative path to the static files)."""

    name: str
    script_page: str
    static: str = "../static/"
    indexed: bool = False  # search engines may list it: only the booking page; a secret link's page never


BOOK = Page("book", "book", indexed=True)
MANAGE = Page("manage", "manage")
MINE = Page("my", "mine")
MY_DATA = Page("my-data", "data", static="../../static/")
NOT_FOUND = Page("not-found", "missing")
UNAVAILABLE = Page("unavailable", "unavailable")


@pages.route("/book/{slug}", methods=["GET"])
def booking_page(slug: str) -> Response:
    try:
        profile = profile_of(org_by_slug(slug))
    except NotFound:  # a page saying so (404), never an empty form to fill in for nobody
        return _html(NOT_FOUND, None, cache=False, status=404)
    except OrgSuspended:
        return unavailable_page()
    response = _html(BOOK, profile.default_language, cache=True)
    response.headers["Content-Security-Policy"] = framed_by(profile.embed_origins)
    return response


@pages.route("/manage/{booking_id}", methods=["GET"])
def manage_page(booking_id: str) -> Response:
    return _html(MANAGE, None, cache=False)


@pages.route("/my/bookings", methods=["GET"])
def my_bookings_page() -> Response:
    return _html(MINE, None, cache=False)


@pages.route("/my/data/{slug}", methods=["GET"])
def my_data_page(slug: str) -> Response:
    """Patients' self-service: the page holds the link's token in its fragment, so it is never cached."""
    return _html(MY_DATA, None, cache=False)


@pages.route("/static/{name}", methods=["GET"])
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return Response(body=_read(name), headers={"Content-Type": ASSETS[name], "Cache-Control": CACHE_FOR})


def unavailable_page() -> Response:
    """What a suspended clinic's booking page shows: unavailable (423 org_suspended), nothing of the clinic."""
    response = _html(UNAVAILABLE, None, cache=False, status=423)
    response.headers["Cache-Control"] = "no-store"
    return response


def framed_by(origins: tuple[str, ...]) -> str:
    """The pages' CSP with frame-ancestors naming the clinic's own sites (checked https origins)."""
    return HTML_CSP.replace("frame-ancestors 'none'", f"frame-ancestors {' '.join(origins)}") if origins else HTML_CSP


def _html(page: Page, clinic_language: str | None, cache: bool, status: int = 200) -> Response:
    request = pages.current_request
    language = negotiate(query_param(request, "lang"), header(request, "Accept-Language"), clinic_language)
    body = render_page(page, language)
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Vary": "Accept-Language"}
    if cache:
        headers["Cache-Control"] = CACHE_FOR
    return Response(body=body, headers=headers, status_code=status)


def render_page(page: Page, language: str) -> str:
    """The shared layout (head, heading, language picker, script) around the page's own body."""
    heading, _, content = render(_read(f"{page.name}.html"), language, {}).partition("\n")
    return render(_read("layout.html"), language, {
        "lang": language, "dir": direction(language), "page": page.script_page, "static": page.static,
        "robots": "" if page.indexed else '<meta name="robots" content="noindex">\n',
        "title": re.sub(r"<[^>]+>", "", heading), "heading": heading, "content": content,
        "messages": script_messages(WEB / "booking.js", language), "language_options": language_options(language)})


@functools.cache
def _read(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")
