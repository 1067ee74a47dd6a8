"""The issue's outside test, over HTTP on the local stack: a patient with bookings and notes, a backup,
the patient erased through the API, the newest backup before the erasure restored with manage.py, the
application switched to the restored tables (docs/runbooks/restore.md); then no API answer, no export
and no raw scan of any restored table yields the patient's name, e-mail, phone or notes."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pyotp

from scripts.run_local import HOST, ROOT, _free_port, wait_for_port
from tests.e2e.conftest import book_and_confirm, request
from tests.e2e.test_switch_over import stack_env

RESTORED = "safeslot-local-restored-erasure-"
PATIENT = {"name": "Zofia Quillfeather", "email": "zofia.quillfeather@example.org", "phone": "+14155550188"}
NOTES = "Migraine diary; reacts badly to ibuprofen"
BOOKING_NOTES = "Bring the MRI from March"
SECRETS = (PATIENT["name"], "Quillfeather", PATIENT["email"], PATIENT["phone"], NOTES, BOOKING_NOTES)


def signed_in(api: str, credentials: dict, after_step: int = 0) -> tuple[str, int]:
    """The demo owner's token with a second factor, using a TOTP step after `after_step` (each step once)."""
    while int(time.time()) // 30 + 1 <= after_step:
        time.sleep(1)
    step = int(time.time()) // 30 + 1  # the seed spent the current one
    status, first = request("POST", f"{api}/v1/auth/login", {k: credentials[k] for k in ("org", "email", "password")})
    assert status == 200, first
    code = pyotp.TOTP(credentials["totp_secret"]).at(step * 30)
    status, verified = request("POST", f"{api}/v1/auth/mfa/verify",
                               {"mfa_token": first["mfa_token"], "method": "totp", "code": code})
    assert status == 200, verified
    return str(verified["token"]), step


def book_patient(api: str, credentials: dict) -> list[str]:
    """Two confirmed bookings of the patient with notes (the public page's way, code from the e-mail)."""
    _, org = request("GET", f"{api}/v1/public/orgs/demo")
    service = org["services"][0]["id"]
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    status, found = request("GET", f"{api}/v1/public/orgs/demo/slots?service_id={service}&from={day}"
                                   f"&to={day + timedelta(days=6)}&tz=UTC")
    assert status == 200 and len(found["slots"]) >= 2, found
    booked = []
    for slot in (found["slots"][0], found["slots"][-1]):  # far apart: neither blocks the other
        status, answer = book_and_confirm(credentials, {"service_id": service, "start": slot["start"],
                                                        "staff_id": slot["staff_id"], "customer": PATIENT,
                                                        "notes": BOOKING_NOTES})
        assert status == 200, answer
        booked.append(answer["booking"]["id"])
    return booked


def manage(env: dict[str, str], *command: str, check: bool = True) -> dict:
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0 or not check, done.stdout + done.stderr
    return dict(json.loads(done.stdout[done.stdout.index("{\n"):])) if check else {}  # after the metric lines


def switched(env: dict[str, str]) -> dict[str, str]:
    """The environment of a deploy switched to the restored tables: the same buckets and ledger."""
    prefix = env.get("SAFESLOT_TABLE_PREFIX", "safeslot-local-")
    return {**env, "SAFESLOT_TABLE_PREFIX": RESTORED, "SAFESLOT_HOME_TABLE_PREFIX": prefix,  # ledger, shred keys
            "SAFESLOT_BACKUP_BUCKET": env.get("SAFESLOT_BACKUP_BUCKET", f"{prefix}backups"),
            "SAFESLOT_REPLICA_BUCKET": env.get("SAFESLOT_REPLICA_BUCKET", f"{prefix}backups-replica"),
            "SAFESLOT_AUDIT_DIGEST_BUCKET": env.get("SAFESLOT_AUDIT_DIGEST_BUCKET", f"{prefix}audit-digests")}


def leaks(*texts: str) -> list[str]:
    everything = "\n".join(texts).lower()
    return [secret for secret in SECRETS if secret.lower() in everything]


def raw_items(env: dict[str, str], prefix: str) -> str:
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t.startswith(prefix)]
    assert len(tables) > 10
    return json.dumps([item for table in tables for page in dynamodb.get_paginator("scan").paginate(TableName=table)
                       for item in page["Items"]], default=str)


def what_the_api_shows(api: str, token: str, customer_id: str, booking_ids: list[str]) -> list[str]:
    """Every answer a clinic user could get about the patient (404s included)."""
    since, until = datetime.now(UTC).date(), datetime.now(UTC).date() + timedelta(days=14)
    answers = [request("GET", f"{api}/v1/customers/{customer_id}", token=token),
               request("POST", f"{api}/v1/customers/search", {"email": PATIENT["email"]}, token=token),
               request("GET", f"{api}/v1/bookings?from={since}T00:00:00Z&to={until}T00:00:00Z", token=token),
               request("GET", f"{api}/v1/audit-events?limit=500", token=token),
               *(request("GET", f"{api}/v1/bookings/{booking_id}", token=token) for booking_id in booking_ids)]
    return [json.dumps(answer) for answer in answers]


def test_a_restore_of_a_backup_from_before_an_erasure_gives_nothing_of_the_patient_back(stack):
    credentials, _ = stack
    api, env = credentials["api"], stack_env(credentials)
    booking_ids = book_patient(api, credentials)
    token, step = signed_in(api, credentials)
    _, booking = request("GET", f"{api}/v1/bookings/{booking_ids[0]}", token=token)
    customer_id = booking["booking"]["customer_id"]
    status, _ = request("PATCH", f"{api}/v1/customers/{customer_id}", {"notes": NOTES}, token=token)
    assert status == 200
    assert leaks(*what_the_api_shows(api, token, customer_id, booking_ids))  # the patient is there to be found
    run_id = manage(env, "backup")["run_id"]

    status, erased = request("DELETE", f"{api}/v1/customers/{customer_id}?reason=patient_request", token=token)
    assert status == 200, erased
    restored = manage(env, "restore", "--export", run_id, "--from", "replica", "--prefix", RESTORED)
    assert restored["ok"] and restored["hooks"]["customer_erasures"]["deleted"]["customers"] == 1

    port = _free_port()
    restored_app = subprocess.Popen(
        [sys.executable, "scripts/chalice_local.py", "--no-autoreload", "--stage", "local", "--host", HOST,
         "--port", str(port)], cwd=ROOT, env=switched(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60)
        restored_api = f"http://{HOST}:{port}"
        restored_token, _ = signed_in(restored_api, credentials, after_step=step)  # every session was ended
        answers = what_the_api_shows(restored_api, restored_token, customer_id, booking_ids)
        with tempfile.TemporaryDirectory() as exported:
            # the audit export of the restored chain (its verification against later digests may fail)
            manage(switched(env), "verify-audit", "--org", "demo", "--export", exported, check=False)
            export = "\n".join(path.read_text(errors="replace") for path in Path(exported).rglob("*")
                               if path.is_file())
    finally:
        restored_app.terminate()
        restored_app.wait(timeout=20)

    assert answers[0].startswith("[404")  # the patient is unknown to the restored application
    assert leaks(*answers, export, raw_items(env, RESTORED)) == []
