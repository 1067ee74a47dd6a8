"""Log the demo owner in (password, then the authenticator code) and print the session token.

    token=$(.venv/bin/python scripts/demo_login.py)
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pyotp

CREDENTIALS = Path(os.environ.get("SAFESLOT_LOCAL_DIR", Path(__file__).resolve().parent.parent / ".local"))


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the local stack's URL)
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def main() -> None:
    creds = json.loads((CREDENTIALS / "demo-credentials.json").read_text())
    api = creds["api"]
    first = post(f"{api}/v1/auth/login", {k: creds[k] for k in ("org", "email", "password")})
    if first.get("mfa_required"):
        # The next step's code: the current one may already have been used (codes work once).
        code = pyotp.TOTP(creds["totp_secret"]).at(time.time() + 30)
        first = post(f"{api}/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "method": "totp", "code": code})
    sys.stdout.write(first["token"] + "\n")


if __name__ == "__main__":
    main()
