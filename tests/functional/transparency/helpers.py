"""SafeSlot's vendor org with two support people, and the steps of support access over HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from chalice.test import Client

from chalicelib import clock
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.support import confirmers
from tests.functional.identity.helpers import PASSWORD, Account, body, call, make_org, post_json, token_for


@dataclass
class Vendor:
    org_id: str
    first: Account
    second: Account

    def token(self, agent: Account, assurance: int = 2) -> str:
        """A session of a vendor person who signed in with a second factor (login is tested elsewhere)."""
        policy = policy_of(Organization.get(self.org_id))
        return sessions.start_session(self.org_id, agent.user_id, agent.role, policy, SYSTEM,
                                      assurance=assurance).token


def make_vendor() -> Vendor:
    """SafeSlot's own org (marked vendor, as `manage.py create-org --vendor` does) with two people, both on
    the break-glass list for a day already."""
    accounts = make_org("safeslot-support", roles=("admin",))
    Organization(accounts["owner"].org_id).update(actions=[Organization.vendor.set(True)])
    vendor = Vendor(accounts["owner"].org_id, accounts["owner"], accounts["admin"])
    for person in (vendor.first, vendor.second):
        list_as_confirmer(vendor, person, hours_ago=25)
    return vendor


def list_as_confirmer(vendor: Vendor, person: Account, hours_ago: float = 0) -> None:
    """An operator puts `person` on the break-glass list (`manage.py break-glass-confirmer --add`), `hours_ago`."""
    confirmers.set_confirmer(vendor.org_id, person.user_id, on_list=True)
    since = clock.now() - timedelta(hours=hours_ago)
    User(vendor.org_id, person.user_id).update(actions=[User.break_glass_confirmer_since.set(since)])


def enroll_totp(client: Client, token: str) -> str:
    """Give the caller an authenticator app; returns its secret."""
    secret = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", token, {"password": PASSWORD}))["secret"]
    confirmed = post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(secret).at(clock.now())}, token)
    assert confirmed.status_code == 200, confirmed.body
    held_for_a_while(body(confirmed)["factor"]["id"], token)
    return str(secret)


def held_for_a_while(factor_id: str, token: str) -> None:
    """As if the app had been added two days ago: past the wait before a new factor is the fresh factor of
    an export, a deletion or a support approval (that wait is tested in identity/test_step_up.py)."""
    from chalicelib.models.mfa import MfaFactor
    from chalicelib.models.session import Session

    session = Session.get(sessions.token_hash(token))
    row = MfaFactor.get(session.org_id, f"{session.user_id}#{factor_id}")
    row.update(actions=[MfaFactor.activated_at.set(clock.now() - timedelta(days=2))])


def with_password(code: str) -> dict[str, str]:
    """The step-up in the request itself: the password and a current code."""
    return {"password": PASSWORD, "code": code}


def fresh_code(secret: str) -> str:
    """A code of the next time step (the current one was used to confirm the app)."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30))


def ask_access(client: Client, token: str, org: str, hours: int = 4, path: str = "/v1/support/access-requests",
               **extra: Any):
    return post_json(client, path, {"org": org, "reason": "Ticket 4711: calendar shows double entries", "hours": hours,
                                    **extra}, token)


def support_get(client: Client, path: str, token: str | None) -> Any:
    return call(client, "GET", path, token)


def as_json(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def owner_token(client: Client, account: Account) -> str:
    return token_for(client, account)
