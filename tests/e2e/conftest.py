"""The stack `make run` starts (moto's server, the seed, `chalice local`), one per test module."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(demo credentials, the `run_local.py` process); the stack's output goes to its local dir."""
    local_dir = tmp_path_factory.mktemp("local")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    aws_port = free_port()
    env.update(SAFESLOT_AWS_PORT=str(aws_port), SAFESLOT_API_PORT=str(free_port()),
               SAFESLOT_LOCAL_DIR=str(local_dir), SAFESLOT_PUBLIC_WRITES_PER_IP="1000")
    process = subprocess.Popen([sys.executable, "scripts/run_local.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:  # type: ignore[union-attr]
        output.append(line)
        if "SafeSlot is up" in line or process.poll() is not None:
            break
    assert process.poll() is None, "".join(output)
    threading.Thread(target=_drain, args=(process, local_dir / "stack.log"), daemon=True).start()
    credentials = json.loads((local_dir / "demo-credentials.json").read_text())
    credentials["aws_endpoint"] = f"http://127.0.0.1:{aws_port}"  # for tests that read the tables
    yield credentials, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def _drain(process: subprocess.Popen, log: Path) -> None:
    """Keep reading the stack's output so that a full pipe never blocks its request logging."""
    with log.open("a") as sink:
        for line in process.stdout:  # type: ignore[union-attr]
            sink.write(line)


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
