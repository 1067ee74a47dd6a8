"""The owner of the demo clinic exports its data over HTTP, the job makes it (as the schedule would, here
through `manage.py org-exports`), and the file from the presigned link opens with the `age` CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pyotp
import pytest

from tests.e2e.conftest import request
from tests.harness.age_cli import age_decrypt

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def code_after(totp: pyotp.TOTP, spent: int) -> tuple[str, int]:
    """The code of step `spent + 1` (each step is accepted once) and that step: the server accepts a step one
    ahead of its clock, so this waits only until the clock reaches `spent` (the seed spent the current one)."""
    while int(time.time()) // totp.interval < spent:
        time.sleep(0.25)
    _SPENT[0] = max(_SPENT[0], spent + 1)
    return totp.at((spent + 1) * totp.interval), spent + 1


_SPENT = [0]  # the last step this module's tests used: each test signs in again with a later one


def signed_in_with_second_factor(credentials: dict) -> tuple[str, pyotp.TOTP, int]:
    api, totp = credentials["api"], pyotp.TOTP(credentials["totp_secret"])
    _, step = request("POST", f"{api}/v1/auth/login", {"org": credentials["org"], "email": credentials["email"],
                                                      "password": credentials["password"]})
    code, used = code_after(totp, max(int(time.time()) // totp.interval, _SPENT[0]))
    status, session = request("POST", f"{api}/v1/auth/mfa/verify",
                              {"mfa_token": step["mfa_token"], "method": "totp", "code": code})
    assert status == 200, session
    return session["token"], totp, used


def run_export_job(credentials: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    for line in Path(credentials["env_file"]).read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    done = subprocess.run([sys.executable, "manage.py", "org-exports"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout[done.stdout.index("\n{\n") + 1:])  # after the run's EMF metric line


def run_in_stack(credentials: dict, code: str) -> None:
    """Run `code` with the local stack's environment (as manage.py would)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    for line in Path(credentials["env_file"]).read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def as_if_the_cooling_off_had_passed(credentials: dict, export_id: str) -> None:
    """The hour of cooling-off, without waiting it: the export's release moves into the past."""
    run_in_stack(credentials, f"""
from chalicelib import clock
from chalicelib.services.exports import storage
for page in storage._s3().get_paginator("list_objects_v2").paginate(Bucket=storage._bucket(), Prefix=storage.PREFIX):
    for item in page.get("Contents", []):
        if item["Key"].endswith("/{export_id}.json"):
            record = storage.find(item["Key"].removeprefix(storage.PREFIX).split("/")[0], "{export_id}")
            storage.save(record.moved(release_at=clock.isoformat(clock.now())))
""")


def test_a_stolen_session_binds_no_authenticator_and_exports_nothing_over_http(stack):
    credentials, _ = stack
    api = credentials["api"]
    stolen, totp, used = signed_in_with_second_factor(credentials)

    bare = request("POST", f"{api}/v1/auth/mfa/totp/enroll", {}, stolen)
    password_only = request("POST", f"{api}/v1/auth/mfa/totp/enroll", {"password": credentials["password"]}, stolen)
    key = request("POST", f"{api}/v1/auth/mfa/webauthn/register/options", {}, stolen)
    export = request("POST", f"{api}/v1/org/exports", {"code": code_after(totp, used)[0]}, stolen)

    for name, (status, answer) in {"bare": bare, "password_only": password_only, "key": key, "export": export}.items():
        assert (status, (answer or {}).get("error", {}).get("code")) == (403, "step_up_required"), (name, answer)


def test_the_owner_exports_over_http_and_the_archive_opens_with_age(stack, tmp_path):
    credentials, _ = stack
    api = credentials["api"]
    token, totp, used = signed_in_with_second_factor(credentials)

    status, asked = request("POST", f"{api}/v1/org/exports",
                            {"password": credentials["password"], "code": code_after(totp, used)[0]}, token)
    assert status == 202, asked
    assert run_export_job(credentials)["exports_made"] == 1
    status, early = request("GET", f"{api}/v1/org/exports/{asked['export']['id']}", None, token)
    assert (status, early["error"]["code"]) == (409, "export_not_released")
    as_if_the_cooling_off_had_passed(credentials, asked["export"]["id"])
    status, ready = request("GET", f"{api}/v1/org/exports/{asked['export']['id']}", None, token)
    assert status == 200 and ready["export"]["status"] == "ready", ready

    with urllib.request.urlopen(ready["export"]["download"]["url"], timeout=60) as answer:  # presigned, moto's
        (tmp_path / "export.zip.age").write_bytes(answer.read())
    opened = age_decrypt(tmp_path / "export.zip.age", tmp_path / "export.zip", asked["export"]["decryption_key"])
    assert opened.returncode == 0, opened.stderr
    with zipfile.ZipFile(io.BytesIO((tmp_path / "export.zip").read_bytes())) as archive:
        organization = json.loads(archive.read("organization.json"))
        staff = json.loads(archive.read("staff.json"))
    assert organization["slug"] == "demo" and len(staff) == 3
