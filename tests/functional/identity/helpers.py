"""Building blocks for identity tests: orgs with users, logging in over HTTP, calling with a token."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity.authentication import set_password_with_setup_token
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.identity.users import create_first_owner, create_user
from chalicelib.services.organizations import create_org

PASSWORD = "violet-harbor-tundra-41"


@dataclass
class Account:
    org: str
    org_id: str
    user_id: str
    email: str
    role: str
    password: str = PASSWORD


def make_org(slug: str, roles: tuple[str, ...] = ()) -> dict[str, Account]:
    """An org with an owner and one user per role in `roles`, each with PASSWORD set."""
    org = create_org(slug, f"{slug.title()} Clinic")
    owner_email = f"owner@{slug}.example"
    owner = create_first_owner(org.org_id, owner_email, "Olive Owner")
    set_password_with_setup_token(owner.setup_token, PASSWORD, SYSTEM)
    accounts = {"owner": Account(slug, org.org_id, owner.user["id"], owner_email, "owner")}
    acting_owner = Principal(org.org_id, owner.user["id"], "owner", "seed", "full", SYSTEM)
    for role in roles:
        email = f"{role}@{slug}.example"
        created = create_user(acting_owner, email, f"{role.title()} Person", role)
        set_password_with_setup_token(mailed_setup_token(email), PASSWORD, SYSTEM)
        accounts[role] = Account(slug, org.org_id, created["id"], email, role)
    return accounts


def mails_to(address: str) -> list[Any]:
    """E-mails SES (moto) sent to `address`, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [m for m in sent if address in _recipients(m)]


def _recipients(message: Any) -> list[str]:
    """A sent message's To addresses (raw messages, with attachments, keep a plain list)."""
    destinations = getattr(message, "destinations", None) or {}
    return list(destinations.get("ToAddresses", []) if isinstance(destinations, dict) else destinations)


def mailed_setup_token(address: str) -> str:
    """The one-time code in the newest invitation or reset e-mail sent to `address`."""
    text = mails_to(address)[-1].body
    match = re.search(r"^    (\S+)$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def post_json(client: Client, path: str, body: Any, token: str | None = None, **headers: str):
    all_headers = {"Content-Type": "application/json", **headers}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    return client.http.post(path, headers=all_headers, body=json.dumps(body).encode())


def call(client: Client, method: str, path: str, token: str | None = None, body: Any = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = json.dumps(body).encode() if body is not None else b""
    return client.http.request(method, path, headers=headers, body=payload)


def login(client: Client, account: Account, password: str | None = None):
    return post_json(client, "/v1/auth/login",
                     {"org": account.org, "email": account.email, "password": password or account.password})


def token_for(client: Client, account: Account) -> str:
    response = login(client, account)
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["token"])


def body(response) -> Any:
    return json.loads(response.body) if response.body else None


def step_up(client: Client, token: str, password: str = PASSWORD, **factor: Any) -> Any:
    """Prove the password (and, when the user has a factor, `code=` or `credential=`) inside the session,
    as every sensitive act needs (ADR 0015): the next 5 minutes of that session may enrol, remove, export."""
    answer = post_json(client, "/v1/auth/step-up", {"password": password, **factor}, token)
    assert answer.status_code == 200, answer.body
    return body(answer)


def put_policy(client: Client, token: str, changes: dict[str, Any], **factor: Any) -> Any:
    """Change the security policy as an owner does: after a step-up in that session (ADR 0015)."""
    step_up(client, token, **factor)
    return call(client, "PUT", "/v1/org/security-policy", token, changes)
