"""Concurrent guessing over HTTP against the local stack: the lockout holds whatever the concurrency.

Each evaluated guess answers 401; a guess refused before any check (the account's tries are taken)
answers 429. However many requests race, at most `lockout_threshold` (10) may be evaluated. (Stock
moto_server does not apply conditional writes atomically under concurrency: this needs the local stack's
atomic DynamoDB, scripts/run_local.py.)
"""

from __future__ import annotations

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest

from scripts.run_local import spawn
from tests.e2e.conftest import request

pytestmark = pytest.mark.e2e
CALLERS = 40
THRESHOLD = 10  # the demo org's lockout_threshold (the default)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A stack whose per-address limit is out of the way, so only the account's lockout can refuse."""
    process, credentials = spawn(tmp_path_factory.mktemp("burst"), SAFESLOT_LOGIN_FAILURES_PER_IP="100000")
    yield credentials
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def burst(calls) -> Counter:
    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        answers = list(pool.map(lambda call: call(), calls))
    # 409: the audit chain was busy after the guess was checked (issue 13's outbox removes these); it counts
    # as evaluated below, never as refused. 503: the blind-index key could not be unwrapped in time (the
    # local KMS under a cold burst): refused before any check, nothing written
    unexpected = [answer for answer in answers if answer[0] not in (401, 409, 429, 503)]
    assert not unexpected, unexpected
    return Counter("evaluated" if status in (401, 409) else "refused" for status, _ in answers)


def login(api: str, org: str, email: str, password: str):
    return request("POST", f"{api}/v1/auth/login", {"org": org, "email": email, "password": password})


def test_forty_concurrent_wrong_passwords_evaluate_at_most_the_threshold(demo):
    api, org, victim = demo["api"], demo["org"], "reception@demo.safeslot.example"  # unknown ones lock alike

    answers = burst([lambda n=n: login(api, org, victim, f"wrong-guess-{n}-xyz") for n in range(CALLERS)])

    assert 1 <= answers["evaluated"] <= THRESHOLD, answers
    status, _ = login(api, org, victim, "yet-another-guess-xyz")
    assert status == 429


def test_forty_concurrent_wrong_codes_evaluate_at_most_the_threshold(demo):
    """The attacker has the owner's password and races the second step."""
    api = demo["api"]
    status, answer = login(api, demo["org"], demo["email"], demo["password"])
    assert status == 200 and answer["mfa_required"], answer
    right = pyotp.TOTP(demo["totp_secret"]).now()
    wrong = f"{(int(right) + 500000) % 1000000:06d}"

    answers = burst([lambda: request("POST", f"{api}/v1/auth/mfa/verify",
                                     {"mfa_token": answer["mfa_token"], "method": "totp", "code": wrong})
                     for _ in range(CALLERS)])

    assert 1 <= answers["evaluated"] <= THRESHOLD, answers
    status, _ = login(api, demo["org"], demo["email"], demo["password"])
    assert status == 429  # locked, even for the right password
