"""The hosted booking pages, served by the app itself: plain HTML, one script and one stylesheet.

No third-party scripts, fonts, cookies or trackers; the strict CSP of http.py applies. The pages are
the same for everyone (the org comes from the path, a manage token from the URL fragment), so the
booking page and the assets may be cached; nothing personal is ever in them.
"""

from __future__ import annotations

import functools
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.errors import NotFound

pages = Blueprint(__name__)
WEB = Path(__file__).resolve().parent.parent / "web"
ASSETS = {"booking.js": "text/javascript; charset=utf-8", "booking.css": "text/css; charset=utf-8"}
CACHE_FOR = "public, max-age=300"


@pages.route("/book/{slug}", methods=["GET"])
def booking_page(slug: str) -> Response:
    return _html("book.html", cache=True)


@pages.route("/manage/{booking_id}", methods=["GET"])
def manage_page(booking_id: str) -> Response:
    return _html("manage.html", cache=False)


@pages.route("/my/bookings", methods=["GET"])
def my_bookings_page() -> Response:
    return _html("my.html", cache=False)


@pages.route("/static/{name}", methods=["GET"])
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return Response(body=_read(name), headers={"Content-Type": ASSETS[name], "Cache-Control": CACHE_FOR})


def _html(name: str, cache: bool) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8"}
    if cache:
        headers["Cache-Control"] = CACHE_FOR
    return Response(body=_read(name), headers=headers)


@functools.cache
def _read(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")
