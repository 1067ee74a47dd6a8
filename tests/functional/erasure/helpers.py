"""A patient with a history to erase, an owner signed in with a second factor, and every copy of the
patient's details that anything could still read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from chalice.test import Client

from chalicelib import clock
from chalicelib.errors import DomainError
from chalicelib.jobs.tables import owned_tables
from chalicelib.models.base import SealedModel
from chalicelib.models.rebound import on_table
from chalicelib.services.identity.policy import change_policy
from tests.functional.booking.helpers import ALICE, Clinic, at, book, token_of
from tests.functional.identity.helpers import PASSWORD, Account, body, call, login, post_json, token_for

NOTES = "Knee pain since the fall; allergic to penicillin"
BOOKING_NOTE = "Bring the X-ray of the left knee"
# What must never come back once Alice is erased: her name, address, number and every note.
ALICE_SECRETS = (ALICE["name"], ALICE["email"], ALICE["phone"], NOTES, BOOKING_NOTE, "Zebrowski",
                 ALICE["email"].upper())


@dataclass
class Patient:
    customer_id: str
    past_booking: str
    future_booking: str
    hold: str
    manage_token: str


def second_factor_token(client: Client, account: Account) -> str:
    """A session of `account` begun with password and authenticator code (assurance 2)."""
    password_only = token_for(client, account)
    secret = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", password_only, {"password": PASSWORD}))["secret"]
    assert post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(secret).at(clock.now())},
                     password_only).status_code == 200
    mfa_token = body(login(client, account))["mfa_token"]
    later = clock.now() + timedelta(seconds=30)  # the confirming step is spent
    answer = post_json(client, "/v1/auth/mfa/verify", {"mfa_token": mfa_token, "method": "totp",
                                                       "code": pyotp.TOTP(secret).at(later)})
    assert answer.status_code == 200, answer.body
    return str(body(answer)["token"])


def patient_with_history(client: Client, clinic: Clinic, day: Any, owner: str, hold: bool = True) -> Patient:
    """Alice: clinical notes, two bookings by herself (with a retry key), one more hold typed with her
    address (unless not `hold`); the first booking will be past and the second still to come once the
    clock moves on."""
    first = book(client, clinic, at(day, "10:00"), key="alice-first", notes=BOOKING_NOTE)
    second = book(client, clinic, at(day, "15:00"))
    assert first.status_code == second.status_code == 201, first.body
    customer_id = _customer_of(client, owner, body(first)["booking"]["id"])
    patched = call(client, "PATCH", f"/v1/customers/{customer_id}", owner, {"notes": NOTES})
    assert patched.status_code == 200, patched.body
    hold_id = _hold(client, clinic, day) if hold else ""
    return Patient(customer_id, body(first)["booking"]["id"], body(second)["booking"]["id"], hold_id,
                   token_of(body(first)["manage_url"]))


def _hold(client: Client, clinic: Clinic, day: Any) -> str:
    change_policy(clinic.owner, {"require_email_verification": True})
    held = book(client, clinic, at(day, "16:00"), notes=BOOKING_NOTE)
    assert held.status_code == 202, held.body
    change_policy(clinic.owner, {"require_email_verification": False})
    return str(body(held)["booking"]["id"])


def erase(client: Client, token: str, customer_id: str, reason: str | None = "patient_request"):
    query = f"?reason={reason}" if reason else ""
    return call(client, "DELETE", f"/v1/customers/{customer_id}{query}", token)


def readable_everywhere(names: dict[str, str] | None = None) -> Iterator[str]:
    """Every item of every table (raw, and each sealed envelope opened where it still opens) as text:
    what anyone with the tables and the key could read. `names`: restored tables instead of live ones."""
    for logical, model in owned_tables().items():
        if names is not None and logical not in names:
            continue
        bound = on_table(model, names[logical]) if names is not None else model
        for item in bound.scan():
            yield json.dumps(item.serialize(), default=str)
            if isinstance(item, SealedModel) and item.sealed:
                yield _opened(item)


def leaks(texts: Iterator[str]) -> list[str]:
    """Alice's secrets found in `texts` (case-insensitive)."""
    everything = "\n".join(texts).lower()
    return [secret for secret in ALICE_SECRETS if secret.lower() in everything]


def _opened(item: SealedModel) -> str:
    try:
        return json.dumps(item.unseal(), default=str)
    except DomainError:
        return ""  # no longer opens: its key material is destroyed


def _customer_of(client: Client, owner: str, booking_id: str) -> str:
    return str(body(call(client, "GET", f"/v1/bookings/{booking_id}", owner))["booking"]["customer_id"])
