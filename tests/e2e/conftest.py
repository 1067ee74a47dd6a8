"""The stack `make run` starts (moto's server, the seed, `chalice local`), one per test module."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyotp
import pytest

from scripts.run_local import spawn

TOTP_STEP = 30  # seconds; the server accepts the step before and after its own, each step once
_last_steps: dict[str, int] = {}


def fresh_code(secret: str, unconfirmed: bool = False) -> str:
    """A code of a step this secret has not spent, as early as the server's window allows: at once, then
    one more per 30 s. A secret seen first has spent the current step (the seed or an enrolment confirmed
    it), unless it is `unconfirmed` (its enrolment's own code): then this step's code is its first."""
    now = int(time.time()) // TOTP_STEP
    step = _last_steps.get(secret, now - 1 if unconfirmed else now) + 1
    while step > int(time.time()) // TOTP_STEP + 1:  # beyond the window: wait for the clock to reach it
        time.sleep(0.25)
    _last_steps[secret] = step
    return pyotp.TOTP(secret).at(step * TOTP_STEP)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(demo credentials with `aws_endpoint`, the `run_local.py` process)."""
    process, credentials = spawn(tmp_path_factory.mktemp("local"), SAFESLOT_PUBLIC_WRITES_PER_IP="1000")
    yield credentials, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def sent_mail_bodies(credentials: dict) -> list[str]:
    """The text of every e-mail moto's server has sent (its model dump at /moto-api/data.json), oldest
    first: a plain message's body, or a MIME message's text/plain part (patients' mail from their clinic)."""
    with urllib.request.urlopen(f"{credentials['aws_endpoint']}/moto-api/data.json", timeout=30) as answer:
        models = json.loads(answer.read())
    ses = models.get("ses", {})  # one list per kind: plain messages, then MIME ones (each oldest first)
    return [text_of(message) for message in [*ses.get("Message", []), *ses.get("RawMessage", [])]]


def text_of(message: dict) -> str:
    """What a person reads of one message of moto's dump."""
    if "raw_data" not in message:
        return message.get("body", "")
    import email
    import email.policy

    parsed = email.message_from_string(message["raw_data"], policy=email.policy.default)
    plain = parsed.get_body(preferencelist=("plain",))
    return plain.get_content() if plain is not None else ""


def mailed_words(credentials: dict, marker: str, after: int = 0, timeout: float = 20.0) -> list[str]:
    """The words holding `marker` in mail sent from the `after`-th message on, waiting for the first: mail that
    "we sent you an e-mail if..." routes queue is sent by the queue's consumer a moment later (ADR 0016)."""
    deadline = time.monotonic() + timeout
    while True:
        words = [w for body in sent_mail_bodies(credentials)[after:] for w in body.split() if marker in w]
        if words or time.monotonic() > deadline:
            return words
        time.sleep(0.2)


def emailed_code(credentials: dict, booking_id: str) -> str:
    """The 6-digit code of the verification e-mail sent for one pending hold."""
    body = next(b for b in sent_mail_bodies(credentials) if f"#confirm/{booking_id}/" in b)
    return next(word for word in body.split() if word.isdigit() and len(word) == 6)


def book_and_confirm(credentials: dict, body: dict) -> tuple[int, dict]:
    """A public booking of the demo clinic, confirmed with the e-mailed code as its booker would."""
    api = credentials["api"]
    status, held = request("POST", f"{api}/v1/public/orgs/demo/bookings", body)
    if status != 202:
        return status, held
    booking_id = held["booking"]["id"]
    return request("POST", f"{api}/v1/public/orgs/demo/bookings/{booking_id}/confirm",
                   {"code": emailed_code(credentials, booking_id)})


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
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.11.0"  # axe-core from the npm registry, installed beside the test run, never committed
AXE_DIR = ROOT / ".local" / "axe"
SCREENSHOTS = ROOT / ".local" / "screenshots"  # gitignored: every page at both sizes, from each run


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser build; `make browser` installs it, and so does this fixture when it is missing."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        subprocess.run(["npm", "install", "--prefix", str(AXE_DIR), "--no-save", "--no-audit", "--no-fund",
                        f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return script.read_text(encoding="utf-8")
