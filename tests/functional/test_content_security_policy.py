"""The whole Content-Security-Policy of every response, page or not: each directive, nothing more, nothing less.

The expected policies are written out here, not imported from the code that sets them: weakening the policy
(`script-src * 'unsafe-inline' 'unsafe-eval'`, a dropped `base-uri`) fails these tests. That a browser then
refuses an injected script is shown in Chromium (`e2e/test_booking_page.py::test_an_injected_script_does_not_run`).
"""

from __future__ import annotations

import re

from app import app
from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import call, token_for

PAGE_POLICY = {
    "default-src": ["'none'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"], "form-action": ["'self'"], "base-uri": ["'none'"], "frame-ancestors": ["'none'"],
}
DOCUMENT_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}  # JSON, scripts, styles, errors
FILLERS = {"slug": "clinic", "name": "booking.js"}  # a served page needs its clinic; a static file, its name


def policy_of(response) -> dict[str, list[str]]:
    """The header parsed into {directive: sources}; a directive given twice is kept twice (as a list)."""
    header = response.headers.get("Content-Security-Policy", "")
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} given twice in {header!r}"
        parsed[name] = sources
    return parsed


def every_get_route() -> list[str]:
    """Every GET path the app serves (not the catch-all 404 routes), its parameters filled in."""
    def concrete(path: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: FILLERS.get(m.group(1), "x1"), path)
    return [concrete(path) for path, methods in sorted(app.routes.items())
            if "GET" in methods and not path.startswith("/{p0}")]


def test_every_page_and_every_other_answer_carries_its_whole_policy(client):
    make_clinic()
    pages, wrong = [], {}
    for path in every_get_route():
        response = client.http.get(path)
        is_page = str(response.headers.get("Content-Type", "")).startswith("text/html")
        pages += [path] if is_page else []
        if policy_of(response) != (PAGE_POLICY if is_page else DOCUMENT_POLICY):
            wrong[path] = response.headers.get("Content-Security-Policy")

    assert wrong == {}
    assert {"/book/clinic", "/manage/x1", "/my/bookings", "/privacy/clinic"} <= set(pages)


def test_a_framed_booking_page_widens_frame_ancestors_and_nothing_else(client):
    clinic = make_clinic()
    owner = token_for(client, clinic.accounts["owner"])
    call(client, "PUT", "/v1/org/profile", owner, {"embed_origins": ["https://www.clinic.example"]})

    framed = client.http.get("/book/clinic")

    assert policy_of(framed) == {**PAGE_POLICY, "frame-ancestors": ["https://www.clinic.example"]}


def test_error_answers_carry_the_document_policy_too(client):
    for method, path in [("GET", "/v1/nothing"), ("DELETE", "/v1/health"), ("GET", "/v1/users")]:
        assert policy_of(client.http.request(method, path)) == DOCUMENT_POLICY, (method, path)
