"""The HTTP middleware every request passes through.

It gives every response the same error shape, a correlation id, the security headers and the CORS
headers of the origin allowlist; it turns domain errors into their status and code (errors.py) and
anything unexpected into a 500 that says nothing but the correlation id.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib import aws, outages
from chalicelib.config import settings
from chalicelib.errors import (
    PUBLIC_DETAILS,
    DomainError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    Unavailable,
    UnsupportedMediaType,
    status_and_code,
)
from chalicelib.logs import logger

CORRELATION_HEADER = "X-Correlation-Id"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HTML_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Responses that may be cached by browsers and proxies: only public, non-personal documents.
CACHEABLE_ROUTES = {"/v1/health", "/v1/openapi.json", "/book/{slug}", "/static/{name}"}
CORS_ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Manage-Token"
# Chalice answers a few errors itself (wrong method, media type); they get our shape too.
_CHALICE_ERRORS = {"MethodNotAllowedError": MethodNotAllowed, "UnsupportedMediaType": UnsupportedMediaType}

Handler = Callable[[Request], Response]


def install(app: Chalice) -> None:
    """Register the middleware and route Chalice's own error logging through our logger."""
    app.log = logger  # type: ignore[assignment]
    app.register_middleware(http_middleware, "http")


def http_middleware(request: Request, get_response: Handler) -> Response:
    correlation_id = (request.context or {}).get("requestId") or uuid.uuid4().hex
    logger.set_correlation_id(correlation_id)
    try:
        _refuse_empty_path_parameters(request)
        with aws.deadline():
            response = _from_chalice_error(get_response(request), correlation_id)
    except DomainError as error:
        _log_outage(error)
        response = error_response(error, correlation_id)
    except Exception as error:
        response = error_response(_as_domain_error(error), correlation_id)
    _add_headers(response, request, correlation_id)
    _log_access(request, response)
    return response


def _refuse_empty_path_parameters(request: Request) -> None:
    """`/v1/bookings//cancel` names no booking: a 404 before any view, authorizer or lookup sees `""`."""
    if any(value == "" for value in (request.uri_params or {}).values()):
        raise NotFound()


def _as_domain_error(error: Exception) -> DomainError:
    """A transient AWS failure becomes a 503 with Retry-After; anything else is a bug: a logged 500."""
    unavailable = outages.as_unavailable(error)
    if unavailable is None:
        logger.exception("unhandled error")
        return InternalError()
    unavailable.__cause__ = error
    _log_outage(unavailable)
    return unavailable


def _log_outage(error: DomainError) -> None:
    """Operators see which dependency failed and how (error names and AWS codes only, no data)."""
    if isinstance(error, Unavailable) and error.__cause__ is not None:
        logger.warning("dependency unavailable", extra={"error_type": type(error.__cause__).__name__,
                                                        "aws_error": outages.error_code(error.__cause__)})


def error_response(error: DomainError, correlation_id: str) -> Response:
    status, code = status_and_code(error)
    body: dict[str, Any] = {"code": code, "message": error.message}
    body.update({key: error.details[key] for key in PUBLIC_DETAILS if error.details.get(key)})
    if status >= 500:
        body["correlation_id"] = correlation_id
    headers: dict[str, str | list[str]] = {}
    retry_after = error.details.get("retry_after", error.retry_after)
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    return Response(body={"error": body}, status_code=status, headers=headers)


def _from_chalice_error(response: Response, correlation_id: str) -> Response:
    """Rewrite the bodies Chalice makes itself ({"Code", "Message"}) into our error shape."""
    if response.status_code < 400 or not isinstance(response.body, dict) or "Code" not in response.body:
        return response
    error_type = _CHALICE_ERRORS.get(response.body["Code"], InternalError)
    rewritten = error_response(error_type(), correlation_id)
    rewritten.headers.update({k: v for k, v in response.headers.items() if k == "Allow"})
    return rewritten


def _add_headers(response: Response, request: Request, correlation_id: str) -> None:
    headers = response.headers
    headers.update(SECURITY_HEADERS)
    headers[CORRELATION_HEADER] = correlation_id
    is_html = str(headers.get("Content-Type", "")).startswith("text/html")
    headers.setdefault("Content-Security-Policy", HTML_CSP if is_html else API_CSP)  # pages.py may widen framing
    if "frame-ancestors 'none'" not in str(headers["Content-Security-Policy"]):
        headers.pop("X-Frame-Options")  # a clinic's own site may frame its booking page
    if (request.context or {}).get("resourcePath") not in CACHEABLE_ROUTES or response.status_code >= 400:
        headers["Cache-Control"] = "no-store"
    _add_cors(headers, request)


def _add_cors(headers: dict[str, Any], request: Request) -> None:
    """Echo the Origin only when it is on the allowlist; never `*`."""
    origin = request.headers.get("origin")
    headers["Vary"] = ", ".join(filter(None, [str(headers.get("Vary", "")), "Origin"]))
    if origin and origin in settings().allowed_origins:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
        headers["Access-Control-Expose-Headers"] = f"{CORRELATION_HEADER}, Retry-After"
        headers["Access-Control-Max-Age"] = "600"


def _log_access(request: Request, response: Response) -> None:
    logger.info(
        "request",
        extra={
            "route": (request.context or {}).get("resourcePath"),
            "method": request.method,
            "status_code": response.status_code,
        },
    )


def preflight(app: Chalice) -> Handler:
    """The OPTIONS handler registered on every path: the allowed methods of that path.

    It takes the path's parameters (Chalice passes them to every view) and ignores them: a preflight
    names no resource, so `/v1/bookings/{booking_id}` answers as `/v1/health` does.
    """
    def answer(**_path_parameters: str) -> Response:
        path = app.current_request.context.get("resourcePath", "") if app.current_request else ""
        methods = ", ".join(sorted(app.routes.get(path, {})))
        return Response(body="", status_code=204, headers={"Access-Control-Allow-Methods": methods})
    return answer  # type: ignore[return-value]


def answer_outages_with_503(app: Chalice) -> None:
    """Let transient AWS failures of every route reach the middleware as 503s (call after all routes).

    Chalice turns any exception but its own unhandled-error type into a bare 500 before middleware
    sees it; each view is wrapped so that throttling, 5xx, timeouts and resets become `Unavailable`.
    """
    for methods in app.routes.values():
        for entry in methods.values():
            entry.view_function = _outages_as_unavailable(entry.view_function)


def _outages_as_unavailable(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError:
            raise
        except Exception as error:
            unavailable = outages.as_unavailable(error)
            if unavailable is None:
                raise
            raise unavailable from error
    return guarded


def add_preflight_routes(app: Chalice) -> None:
    """Give every path an OPTIONS route so that CORS preflights reach the allowlist check."""
    handler = preflight(app)
    for path, methods in list(app.routes.items()):
        if "OPTIONS" not in methods:
            app.route(path, methods=["OPTIONS"], name="preflight" + re.sub(r"\W", "_", path))(handler)


def not_found_routes(app: Chalice, max_depth: int = 8) -> None:
    """Catch-all routes so that an unknown path gets our 404 body (Chalice has no greedy routes).

    Concrete routes win: Chalice and API Gateway both try literal segments first.
    """
    def not_found(**_segments: str) -> Response:
        raise NotFound()
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # no preflight grant for a missing path
    for depth in range(1, max_depth + 1):
        path = "".join(f"/{{p{i}}}" for i in range(depth))
        app.route(path, methods=methods, name=f"not_found_{depth}")(not_found)
