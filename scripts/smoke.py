"""After a deploy: the health route answers ok with the security headers. Exit 1 otherwise.

    python scripts/smoke.py infra/cdk-outputs-staging.json   (or an API URL)
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

REQUIRED_HEADERS = ("Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy")


def api_url(argument: str) -> str:
    if argument.startswith("https://"):
        return argument
    outputs = json.loads(Path(argument).read_text())
    return next(values["ApiUrl"] for name, values in outputs.items() if "ApiUrl" in values)


def check(url: str) -> None:
    with urllib.request.urlopen(url.rstrip("/") + "/v1/health", timeout=10) as response:  # noqa: S310 (https only)
        body = json.loads(response.read())
        missing = [h for h in REQUIRED_HEADERS if not response.headers.get(h)]
    if body.get("status") != "ok" or missing:
        raise SystemExit(f"smoke test failed: body={body} missing headers={missing}")
    print(f"smoke test passed: {url} version {body['version']}")


def main() -> None:
    url = api_url(sys.argv[1])
    for attempt in range(5):  # a fresh stage can take a moment to answer
        try:
            check(url)
            return
        except OSError as error:
            print(f"attempt {attempt + 1}: {error}", file=sys.stderr)
            time.sleep(10)
    raise SystemExit("smoke test failed: no answer")


if __name__ == "__main__":
    main()
