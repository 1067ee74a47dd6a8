"""`make run`: moto's server as the local AWS (scripts/local_aws.py: DynamoDB made atomic, memory bounded),
SafeSlot's resources and demo org, `chalice local`, every `@app.schedule` job on its schedule
(scripts/local_scheduler.py), and the mail queue's consumer (a thread polling the local queue:
scripts/queue_consumer.py, calling the handler the Lambda calls).

Ctrl-C or SIGTERM stops every process this started. Each run starts from an empty local AWS.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("SAFESLOT_LOCAL_DIR", ROOT / ".local"))
HOST = "127.0.0.1"
AWS_PORT = int(os.environ.get("SAFESLOT_AWS_PORT", "5000"))
API_PORT = int(os.environ.get("SAFESLOT_API_PORT", "8000"))
AWS_URL = f"http://{HOST}:{AWS_PORT}"
API_URL = f"http://{HOST}:{API_PORT}"

LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": AWS_URL,
    "PYNAMODB_CONFIG": str(ROOT / "scripts" / "pynamodb_local.py"),  # pools for a threaded server's bursts
}


# Settings a caller of `make run` may tune: the e2e tests raise the per-address limits and point the
# services moto does not serve (phone calls, Duo) at their local fakes.
TUNABLE = ("SAFESLOT_PUBLIC_WRITES_PER_IP", "SAFESLOT_LOGIN_FAILURES_PER_IP", "SAFESLOT_VOICE_ORIGINATION",
           "SAFESLOT_DUO_CA_BUNDLE", "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2")
TUNING = {k: v for k, v in os.environ.items() if k in TUNABLE}


def local_stage_env() -> dict[str, str]:
    """The `local` stage's variables from .chalice/config.json: provisioning and `chalice local` agree."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}),
            **config["stages"]["local"].get("environment_variables", {})}


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def wait_for_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not port_in_use(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"nothing answered on {HOST}:{port} after {seconds:.0f}s")
        time.sleep(0.1)


def start(command: list[str], env: dict[str, str], log_name: str | None = None) -> subprocess.Popen[bytes]:
    """Start one of our venv's tools; with `log_name`, its output goes to .local/<log_name>."""
    output = open(LOCAL_DIR / log_name, "ab") if log_name else None  # noqa: SIM115 (lives with the child)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)  # noqa: S603


def provision(env: dict[str, str]) -> dict[str, str]:
    """Create key, tables and buckets and the demo org on the local AWS; returns the env to serve with."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from infra import local_stack

    env = {**env, **local_stack.create_all()}
    os.environ.update(env)
    from chalicelib.config import settings
    from chalicelib.services.audit.chain import built_once_at_the_end
    from scripts.demo_seed import seed_demo

    settings.cache_clear()
    with built_once_at_the_end():  # the seed's twenty-odd commits chained in one go, not one by one
        credentials = seed_demo(API_URL)
    target = LOCAL_DIR / "demo-credentials.json"
    target.write_text(json.dumps(credentials, indent=2) + "\n")
    target.chmod(0o600)
    _write_env_file(env)
    return env


def _write_env_file(env: dict[str, str]) -> None:
    """.local/stack.env: the variables that point manage.py (or anything else) at this local stack."""
    names = sorted(k for k in env if k.startswith(("AWS_", "SAFESLOT_")) and not k.endswith("_PORT"))
    target = LOCAL_DIR / "stack.env"
    target.write_text("".join(f"{name}={env[name]}\n" for name in names))
    target.chmod(0o600)


def main() -> None:
    for port in (AWS_PORT, API_PORT):
        if port_in_use(port):
            raise SystemExit(f"port {port} is busy: is another `make run` still running? "
                             "Set SAFESLOT_AWS_PORT / SAFESLOT_API_PORT to use others.")
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    # security keys are bound to a host name (an IP address cannot be a WebAuthn RP id): the console's
    # keys work at http://localhost on the port really served (the local stage leaves the origin to us:
    # `chalice local` would override this with the stage's own value)
    env = (inherited | LOCAL_AWS | local_stage_env() | {"SAFESLOT_PUBLIC_URL": API_URL}
           | {"SAFESLOT_WEBAUTHN_ORIGIN": f"http://localhost:{API_PORT}"} | TUNING)
    children: list[subprocess.Popen[bytes]] = []

    def stop(signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        raise SystemExit(0 if signum in (signal.SIGINT, signal.SIGTERM) else 1)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    children.append(start([sys.executable, "scripts/local_aws.py", "-H", HOST, "-p", str(AWS_PORT)], env, "moto.log"))
    wait_for_port(AWS_PORT)
    env = provision(env)
    from scripts.queue_consumer import poll_forever

    threading.Thread(target=poll_forever, args=(threading.Event(),), name="mail-queue", daemon=True).start()
    children.append(start([sys.executable, "scripts/chalice_local.py", "--no-autoreload", "--stage", "local",
                           "--host", HOST, "--port", str(API_PORT)], env))
    wait_for_port(API_PORT)
    # every @app.schedule job on its schedule (scripts/local_scheduler.py), as EventBridge would deployed
    children.append(start([sys.executable, "scripts/local_scheduler.py"], env, "scheduler.log"))
    print(f"\nSafeSlot is up.\n  API          {API_URL}/v1/health\n  API docs     {API_URL}/v1/openapi.json"
          f"\n  booking page {API_URL}/book/demo"
          f"\n  local AWS    {AWS_URL} (moto)\n  scheduled    every @app.schedule job ({LOCAL_DIR / 'scheduler.log'})"
          f"\n  demo login   {LOCAL_DIR / 'demo-credentials.json'}"
          "\nCtrl-C stops everything.\n", flush=True)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop(signal.SIGCHLD)


def spawn(local_dir: Path, **settings: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start the whole stack in a child process on free ports (tests and benchmarks): returns the process,
    once it serves, and the demo credentials plus `aws_endpoint`. Its output goes to local_dir/stack.log."""
    ports = [_free_port(), _free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAFESLOT_"))}
    env.update(SAFESLOT_AWS_PORT=str(ports[0]), SAFESLOT_API_PORT=str(ports[1]), SAFESLOT_LOCAL_DIR=str(local_dir),
               **settings)
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run_local.py")], cwd=ROOT, env=env,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:  # type: ignore[union-attr]
        output.append(line)
        if "SafeSlot is up" in line or process.poll() is not None:
            break
    if process.poll() is not None:
        raise RuntimeError("the local stack did not start:\n" + "".join(output))
    threading.Thread(target=_drain, args=(process, local_dir / "stack.log"), daemon=True).start()
    credentials = json.loads((local_dir / "demo-credentials.json").read_text())
    credentials["aws_endpoint"] = f"http://{HOST}:{ports[0]}"
    credentials["env_file"] = str(local_dir / "stack.env")
    return process, credentials


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _drain(process: subprocess.Popen[str], log: Path) -> None:
    """Keep reading the stack's output so that a full pipe never blocks its request logging."""
    with log.open("a") as sink:
        for line in process.stdout:  # type: ignore[union-attr]
            sink.write(line)


if __name__ == "__main__":
    main()
