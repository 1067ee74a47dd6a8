"""End to end over HTTP against the stack `make run` starts: moto's server, the seed, `chalice local`."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pyotp
import pytest

from tests.e2e.conftest import mailed_setup_code, request

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[str]:
    """Pids whose parent is `pid`, from /proc (no procps needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            found.append(stat.parent.name)
    return found


def test_health_is_served(stack):
    credentials, _ = stack

    assert request("GET", f"{credentials['api']}/v1/health") == (200, {"status": "ok", "version": "0.1.0"})


def test_owner_creates_a_user_who_sets_a_password_and_logs_in(stack):
    credentials, _ = stack
    api = credentials["api"]

    status, first_step = request("POST", f"{api}/v1/auth/login", {
        "org": credentials["org"], "email": credentials["email"], "password": credentials["password"]})
    assert status == 200 and first_step["mfa_required"], first_step
    # The seed spent the current code when it confirmed the app; the next step's code is in the window.
    code = pyotp.TOTP(credentials["totp_secret"]).at(time.time() + 30)
    status, owner = request("POST", f"{api}/v1/auth/mfa/verify", {
        "mfa_token": first_step["mfa_token"], "method": "totp", "code": code})
    assert status == 200, owner
    status, created = request("POST", f"{api}/v1/users", {
        "email": "nina@demo.example", "name": "Nina Nurse", "role": "staff"}, owner["token"])
    assert status == 201, created
    assert "setup_token" not in created  # the code goes to Nina by e-mail, never to the owner
    status, _ = request("POST", f"{api}/v1/auth/setup", {
        "token": mailed_setup_code(credentials["aws_endpoint"], "nina@demo.example"),
        "password": "quartz-meadow-lantern-97"})
    assert status == 204
    status, nina = request("POST", f"{api}/v1/auth/login", {
        "org": "demo", "email": "nina@demo.example", "password": "quartz-meadow-lantern-97"})
    assert status == 200 and nina["token"]
    status, sessions = request("GET", f"{api}/v1/auth/sessions", token=nina["token"])
    assert status == 200 and len(sessions["sessions"]) == 1


def test_an_operator_runs_the_jobs_against_the_stack_with_its_env_file(stack):
    import json
    import subprocess
    import sys

    credentials, _ = stack
    variables = dict(line.split("=", 1) for line in Path(credentials["env_file"]).read_text().splitlines())
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))} | variables

    for command in (["backup"], ["restore-drill"], ["retention", "--dry-run"]):
        run = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=environment,
                             capture_output=True, text=True, timeout=300)
        report = json.loads(run.stdout[run.stdout.index("{\n"):])
        assert (run.returncode, report["ok"]) == (0, True), (command, run.stderr[-2000:])


def test_stopping_the_stack_stops_every_process_it_started(stack):
    _, process = stack
    children = children_of(process.pid)
    assert len(children) == 3  # moto's server, chalice local and the scheduler (scripts/local_scheduler.py)

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    time.sleep(0.5)

    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert alive == []
