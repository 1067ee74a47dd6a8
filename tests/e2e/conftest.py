"""The stack `make run` starts (moto's server, the seed, `chalice local`), one per test module."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

import pytest

from scripts.run_local import spawn


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(demo credentials with `aws_endpoint`, the `run_local.py` process)."""
    process, credentials = spawn(tmp_path_factory.mktemp("local"), SAFESLOT_PUBLIC_WRITES_PER_IP="1000")
    yield credentials, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def request(method: str, url: str, body: dict | None = None, token: str | None = None, **headers: str):
    """(status, JSON body) of one HTTP call."""
    all_headers = {"Content-Type": "application/json", **headers}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, all_headers, method=method), timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def mailed_setup_code(aws_endpoint: str, address: str) -> str:
    """The one-time code in the newest setup e-mail the local AWS (moto) sent to `address`."""
    import re

    with urllib.request.urlopen(f"{aws_endpoint}/moto-api/data.json", timeout=60) as answer:
        messages = json.loads(answer.read())["ses"]["Message"]
    bodies = [m["body"] for m in messages if address in m["destinations"]["ToAddresses"]]
    match = re.search(r"^    (\S+)$", bodies[-1], re.MULTILINE)
    assert match, bodies[-1]
    return match.group(1)
