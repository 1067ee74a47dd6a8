"""The staff console's page and its files, served by the app itself (ADR 0017).

One HTML page in the user's language (the same catalogues and negotiation as the booking pages), plain
ES modules and one stylesheet from `web/console/`. The strict CSP of http.py applies (`script-src
'self'`: no inline script, no eval, no other origin); the page holds nothing personal and is never
cached. Everything the console shows or does goes through the documented API.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.api.requests import header, query_param
from chalicelib.errors import NotFound
from chalicelib.i18n import CONSOLE_LANGUAGES, gettext_for, negotiate
from chalicelib.i18n.pages import language_options, render, script_texts

console = Blueprint(__name__)
CONSOLE = Path(__file__).resolve().parent.parent / "web" / "console"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@console.route("/console", methods=["GET"])
def console_page() -> Response:
    request = console.current_request
    language = negotiate(query_param(request, "lang"), header(request, "Accept-Language"), offered=CONSOLE_LANGUAGES)
    body = render(_read("console.html"), language, {"lang": language, "messages": script_messages(language),
                                                    "language_options": language_options(language, CONSOLE_LANGUAGES)})
    return Response(body=body, headers={"Content-Type": "text/html; charset=utf-8", "Vary": "Accept-Language"})


@console.route("/console/static/{name}", methods=["GET"])
def console_file(name: str) -> Response:
    if name not in files():
        raise NotFound()
    return Response(body=_read(name), headers={"Content-Type": TYPES[Path(name).suffix]})


@functools.cache
def files() -> frozenset[str]:
    """The console's scripts and stylesheet: exactly the files in its folder (no path ever reaches disk)."""
    return frozenset(p.name for p in CONSOLE.iterdir() if p.suffix in TYPES)


def script_messages(language: str) -> str:
    """Every text the console's modules say (`_("...")`) with its translation, for <script type=application/json>."""
    _ = gettext_for(language)
    texts = {text: _(text) for name in sorted(files()) if name.endswith(".js") for text in script_texts(CONSOLE / name)}
    return json.dumps(texts, ensure_ascii=False).replace("<", "\\u003c")


@functools.cache
def _read(name: str) -> str:
    return (CONSOLE / name).read_text(encoding="utf-8")
