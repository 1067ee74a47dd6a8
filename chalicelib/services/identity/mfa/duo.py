"""Duo as an org's second factor, through Duo's Universal Prompt (duo-universal: OIDC with state and nonce).

An owner or admin (signed in with a second factor) enters the org's Duo application; from then on its users
pass Duo after their password. The prompt's answer is accepted once, for the sign-in that asked for it: the
state is single use and bound to the login challenge, the id_token must carry that challenge's nonce, name
the user and be signed with the org's client secret (duo-universal checks signature, issuer, audience and
expiry). When Duo is down, the org's `failmode` decides: `closed` refuses the sign-in, `open` falls back to
the user's own factors; either way it is audited.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.errors import InvalidCredentials, NotFound, SecondFactorUnavailable, StepUpRequired, ValidationFailed
from chalicelib.models.mfa import DuoIntegration, MfaChallenge
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

if TYPE_CHECKING:  # the Duo library is imported by the calls that talk to Duo, not by every cold start
    from duo_universal.client import Client

FAILMODES = ("closed", "open")
CALL_SECONDS = 8.0  # duo-universal sets no timeout: a hung Duo must not hold a request past API Gateway's 29 s
API_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")
T = TypeVar("T")


def configure(principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """Store the org's Duo application after Duo has accepted its credentials (a health check)."""
    from duo_universal.client import DuoException

    _require_admin(principal)
    failmode = values.get("failmode", "closed")
    if failmode not in FAILMODES:
        raise ValidationFailed("failmode must be closed or open.", field="failmode")
    if not API_HOST.match(values["api_host"]):
        raise ValidationFailed("api_host must be a host name, e.g. api-1234abcd.duosecurity.com.", field="api_host")
    row = DuoIntegration(principal.org_id, client_id=values["client_id"], api_host=values["api_host"],
                         redirect_uri=values["redirect_uri"], failmode=failmode, updated_at=clock.now(),
                         updated_by=principal.user_id)
    row.seal({"client_secret": values["client_secret"]})
    try:
        _bounded(_client(row, values["client_secret"]).health_check)
    except DuoException as error:
        raise ValidationFailed("Duo did not accept these credentials, or could not be reached.",
                               field="client_secret") from error
    row.save()
    audit.record(principal.org_id, principal.user_id, "mfa.duo_configured", subjects={"failmode": failmode},
                 origin=principal.origin)
    return describe(row)


def read(principal: Principal) -> dict[str, Any]:
    require(principal.role, Permission.POLICY_READ)
    row = integration_of(principal.org_id)
    if row is None:
        raise NotFound("Duo is not set up.")
    return describe(row)


def remove(principal: Principal) -> None:
    _require_admin(principal)
    row = integration_of(principal.org_id)
    if row is None:
        raise NotFound("Duo is not set up.")
    row.delete()
    audit.record(principal.org_id, principal.user_id, "mfa.duo_removed", origin=principal.origin)


def describe(row: DuoIntegration) -> dict[str, Any]:
    """What admins see: never the client secret."""
    return {"client_id": row.client_id, "api_host": row.api_host, "redirect_uri": row.redirect_uri,
            "failmode": row.failmode, "updated_at": clock.isoformat(row.updated_at), "updated_by": row.updated_by}


def integration_of(org_id: str) -> DuoIntegration | None:
    try:
        return DuoIntegration.get(org_id, consistent_read=True)
    except DuoIntegration.DoesNotExist:
        return None


def open_prompt(challenge: MfaChallenge, user: User, row: DuoIntegration,
                own_methods: Callable[[], list[str]]) -> dict[str, Any]:
    """The Duo prompt's URL for this sign-in, or, when Duo is down and the org falls back, the user's own
    methods (now the only ones this challenge accepts)."""
    from duo_universal.client import DuoException

    client = _client(row)
    try:
        _bounded(client.health_check)
    except DuoException:
        return _duo_down(challenge, user, row, own_methods())
    state, nonce = client.generate_state(), client.generate_state()
    challenge.update(actions=[MfaChallenge.duo_state_hash.set(_digest(state)), MfaChallenge.duo_nonce.set(nonce)])
    return {"auth_url": client.create_auth_url(_username(user), state, nonce=nonce)}


def check(challenge: MfaChallenge, user: User, duo_code: str, state: str) -> None:
    """Accept the prompt's answer once; raises InvalidCredentials for anything Duo did not vouch for."""
    from duo_universal.client import DuoException

    expected = challenge.duo_state_hash
    if not expected or not hmac.compare_digest(expected, _digest(state)):
        raise InvalidCredentials("This Duo answer does not belong to this sign-in.")
    try:  # single use, even for two requests racing with the same answer
        challenge.update(actions=[MfaChallenge.duo_state_hash.remove()],
                         condition=MfaChallenge.duo_state_hash == expected)
    except UpdateError as error:
        raise InvalidCredentials("This Duo answer was already used.") from error
    row = integration_of(user.org_id)
    if row is None:
        raise InvalidCredentials("Duo is not set up.")
    client = _client(row)
    try:
        token = _bounded(lambda: client.exchange_authorization_code_for_2fa_result(
            duo_code, _username(user), nonce=challenge.duo_nonce))
    except DuoException as error:
        raise InvalidCredentials("Duo did not confirm this sign-in.") from error
    if (token.get("auth_result") or {}).get("result") != "allow":
        raise InvalidCredentials("Duo did not allow this sign-in.")


def _duo_down(challenge: MfaChallenge, user: User, row: DuoIntegration, fallback: list[str]) -> dict[str, Any]:
    falls_back = row.failmode == "open" and bool(fallback)
    audit.record(user.org_id, user.user_id, "mfa.duo_unavailable",
                 outcome="fallback" if falls_back else "refused", subjects={"failmode": row.failmode})
    if not falls_back:
        raise SecondFactorUnavailable("Duo cannot be reached; sign-in is paused. Retry later.")
    challenge.update(actions=[MfaChallenge.duo_fallback.set(clock.isoformat(clock.now())),
                              MfaChallenge.methods.set(fallback)])
    return {"fallback": True, "methods": fallback}


def _client(row: DuoIntegration, secret: str | None = None) -> Client:
    from duo_universal.client import DEFAULT_CA_CERT_PATH, Client

    return Client(row.client_id, secret or row.unseal()["client_secret"], row.api_host, row.redirect_uri,
                  duo_certs=settings().duo_ca_bundle or DEFAULT_CA_CERT_PATH)


def _bounded(call: Callable[[], T]) -> T:
    """Run one Duo call with a deadline (the library itself never times out)."""
    from duo_universal.client import DuoException

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call).result(timeout=CALL_SECONDS)
    except concurrent.futures.TimeoutError as error:
        raise DuoException("Duo did not answer in time.") from error
    finally:
        pool.shutdown(wait=False)


def _username(user: User) -> str:
    """Duo knows the clinic's users by their e-mail address."""
    return str(user.unseal()["email"])


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _require_admin(principal: Principal) -> None:
    require(principal.role, Permission.POLICY_MANAGE)
    if principal.assurance < 2:
        raise StepUpRequired()
