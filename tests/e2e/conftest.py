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
