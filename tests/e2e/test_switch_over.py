"""Switch-over on the local stack, as docs/runbooks/restore.md does it: restore every table to one instant
with manage.py, start the application with its table prefix pointing at the restored tables, and see it
serve and write there while the damaged tables stay as they were."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

from scripts.run_local import HOST, ROOT, _free_port, wait_for_port
from tests.e2e.conftest import request

RESTORED = "safeslot-local-pitr-e2e-"


def stack_env(credentials: dict) -> dict[str, str]:
    """This process's environment pointed at the stack, as its env file says (what an operator sources)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    for line in Path(credentials["env_file"]).read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    return env


def items_per_prefix(env: dict[str, str]) -> dict[str, int]:
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    counts = {"safeslot-local-": 0, RESTORED: 0}
    for table in dynamodb.list_tables()["TableNames"]:
        prefix = RESTORED if table.startswith(RESTORED) else "safeslot-local-"
        counts[prefix] += dynamodb.scan(TableName=table, Select="COUNT")["Count"]
    return counts


def test_a_deploy_switched_to_tables_restored_to_an_instant_serves_and_writes_there(stack):
    credentials, _ = stack
    env = stack_env(credentials)
    time.sleep(1.05)  # the instant must fall inside every table's restorable window
    instant = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    restore = subprocess.run([sys.executable, "manage.py", "point-in-time-restore", "--to", instant,
                              "--prefix", RESTORED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert restore.returncode == 0, restore.stdout + restore.stderr

    port = _free_port()
    switched = subprocess.Popen(
        [sys.executable, "scripts/chalice_local.py", "--no-autoreload", "--stage", "local", "--host", HOST,
         "--port", str(port)], cwd=ROOT, env={**env, "SAFESLOT_TABLE_PREFIX": RESTORED},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60)
        api = f"http://{HOST}:{port}"
        before = items_per_prefix(env)

        status, org = request("GET", f"{api}/v1/public/orgs/demo")
        assert status == 200 and org["org"]["slug"] == "demo"
        status, _ = request("POST", f"{api}/v1/auth/login",
                            {k: credentials[k] for k in ("org", "email", "password")})
        assert status == 200

        after = items_per_prefix(env)
        assert after[RESTORED] > before[RESTORED]  # the login was recorded in the restored tables
        assert after["safeslot-local-"] == before["safeslot-local-"]  # the old tables are left as they were
    finally:
        switched.terminate()
        switched.wait(timeout=20)
    status, _ = request("GET", f"{credentials['api']}/v1/public/orgs/demo")  # switching back: deploy without
    assert status == 200                                                      # the prefix, as the stack was
