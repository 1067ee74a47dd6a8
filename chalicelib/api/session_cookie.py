"""The staff console's session cookie, and its defence against cross-site requests (ADR 0017).

A caller that sends `X-SafeSlot-Client: console` gets the session of a sign-in (login, the second
factor, a forced password change) as an `HttpOnly; Secure; SameSite=Strict` cookie instead of a token in
the body, so that no page script, injected or not, can read it. The cookie holds the same opaque token
as `Authorization: Bearer` and resolves to the same server-side session.

A call carrying the cookie counts only with that header (a browser cannot add it cross-origin without a
CORS preflight, which names no such header and no foreign origin) and with the browser's own word that
it came from this origin (`Origin` equal to the host called, `Sec-Fetch-Site: same-origin` when sent);
otherwise it is refused with 403 csrf_refused before any session is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from chalice.app import Request, Response

from chalicelib.api.requests import bearer_token
from chalicelib.errors import CsrfRefused

COOKIE = "__Host-safeslot-session"
CLIENT_HEADER = "X-SafeSlot-Client"
CONSOLE = "console"
# Routes whose 200 answer may carry a new session token (or a password-change one): moved into the cookie.
# Every answer that can carry a new session token: sign-in, and a first factor's confirmation, which turns an
# enrol-only session into a full one (the token must reach the cookie, never page script).
SIGN_IN_ROUTES = frozenset({"/v1/auth/login", "/v1/auth/mfa/verify", "/v1/auth/password",
                            "/v1/auth/mfa/totp/confirm", "/v1/auth/mfa/sms/confirm", "/v1/auth/mfa/voice/confirm",
                            "/v1/auth/mfa/webauthn/register"})
SIGN_OUT_ROUTE = "/v1/auth/logout"
TOKEN_FIELDS = ("token", "change_token")


def session_token(request: Request) -> str | None:
    """The caller's session token: the bearer token, else the console's cookie (with its CSRF checks)."""
    token = bearer_token(request)
    if token:
        return token
    cookie = cookie_token(request)
    if cookie is None:
        return None
    require_same_origin_console(request)
    return cookie


def cookie_token(request: Request) -> str | None:
    """The session cookie's value, if the request carries one."""
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value.strip():
            return value.strip()
    return None


def from_console(request: Request) -> bool:
    return (request.headers.get(CLIENT_HEADER.lower()) or "").strip().lower() == CONSOLE


def require_same_origin_console(request: Request) -> None:
    """The console's header, and nothing from the browser saying the call came from another site."""
    if not from_console(request):
        raise CsrfRefused()
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        raise CsrfRefused()
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != (request.headers.get("host") or "").lower():
        raise CsrfRefused()


def console_sessions(request: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: a console's sign-in answers set the cookie (the token leaves the body); sign-out clears it."""
    if not from_console(request):
        return get_response(request)
    require_same_origin_console(request)  # before anything runs: a foreign page cannot sign the browser in
    response = get_response(request)
    route = (request.context or {}).get("resourcePath")
    if route in SIGN_IN_ROUTES and response.status_code == 200 and isinstance(response.body, dict):
        token = next((response.body.pop(field) for field in TOKEN_FIELDS if response.body.get(field)), None)
        if token:
            _add_cookie(response, f"{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
    elif route == SIGN_OUT_ROUTE and response.status_code < 300:
        _add_cookie(response, f"{COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict")
    return response


def _add_cookie(response: Response, value: str) -> None:
    existing = response.headers.get("Set-Cookie")
    response.headers["Set-Cookie"] = [*([existing] if isinstance(existing, str) else existing or []), value]
