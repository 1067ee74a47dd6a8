"""The caller of a staff route, from its bearer token or the console's session cookie (checked on every
request: no authorizer cache)."""

from __future__ import annotations

from collections.abc import Collection

from chalice.app import Request

from chalicelib.api.requests import origin_of
from chalicelib.api.session_cookie import session_token
from chalicelib.services.identity.access import authenticate
from chalicelib.services.identity.sessions import Principal


def principal_of(request: Request | None, also_allow: Collection[str] = ()) -> Principal:
    """The caller; `also_allow` names a restricted session kind this route accepts too."""
    assert request is not None  # Chalice sets it before calling a view
    return authenticate(session_token(request), origin_of(request), also_allow)
