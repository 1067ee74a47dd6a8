"""The fuzz stage of `make test`: schemathesis over the served OpenAPI document, against a spawned local stack.

Twice, side by side: anonymous and as the demo owner (password and TOTP, as scripts/demo_login.py does). Each
operation gets a bounded number of generated requests; the run fails on any server error and on any
status, content type or body the document does not describe (the document must stay the truth).

    .venv/bin/python -m tests.harness.fuzz [--max-examples N] [--seed S]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyotp

from scripts.demo_login import post
from scripts.run_local import spawn

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def owner_token(credentials: dict[str, Any]) -> str:
    api = credentials["api"]
    first = post(f"{api}/v1/auth/login", {k: credentials[k] for k in ("org", "email", "password")})
    if first.get("mfa_required"):
        code = pyotp.TOTP(credentials["totp_secret"]).at(time.time() + 30)
        first = post(f"{api}/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "method": "totp", "code": code})
    return str(first["token"])


def start(api: str, max_examples: int, seed: int, *headers: str) -> subprocess.Popen[bytes]:
    command = [str(SCHEMATHESIS), "run", f"{api}/v1/openapi.json", "--url", api, "--checks", CHECKS,
               "--max-examples", str(max_examples), "--request-timeout", "30", "--seed", str(seed),
               "--phases", "examples,fuzzing", "--no-color", "--exclude-operation-id", "logout",
               *[arg for header in headers for arg in ("--header", header)]]
    return subprocess.Popen(command)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12, help="fixed, so CI's cases are the ones run locally")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as local_dir:
        process, credentials = spawn(Path(local_dir), SAFESLOT_PUBLIC_WRITES_PER_IP="100000")
        try:
            owner = f"Authorization: Bearer {owner_token(credentials)}"
            runs = [start(credentials["api"], args.max_examples, args.seed),  # both at once: the stack is threaded
                    start(credentials["api"], args.max_examples, args.seed, owner)]
            failed = [run.wait() for run in runs]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    return max(failed)


if __name__ == "__main__":
    sys.exit(main())
