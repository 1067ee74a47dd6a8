"""The privacy-policy notice in a real headless Chromium: the booking page shows an announced change
prominently and links the hosted policy page, which shows the notice and the sub-processors."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from tests.e2e.conftest import request
from tests.e2e.test_booking_page import phone  # noqa: F401 (a fixture; `browser` comes from conftest.py)

pytestmark = pytest.mark.e2e


def owner_token(credentials: dict) -> str:
    api = credentials["api"]
    status, first = request("POST", f"{api}/v1/auth/login", {k: credentials[k] for k in ("org", "email", "password")})
    assert status == 200, first
    code = pyotp.TOTP(credentials["totp_secret"]).at(time.time() + 30)  # the next step: never one already used
    status, verified = request("POST", f"{api}/v1/auth/mfa/verify",
                               {"mfa_token": first["mfa_token"], "method": "totp", "code": code})
    assert status == 200, verified
    return str(verified["token"])


def test_the_booking_page_announces_a_policy_change_and_links_the_policy(stack, phone):  # noqa: F811
    credentials, _ = stack
    api, token = credentials["api"], owner_token(credentials)
    effective = datetime.now(UTC) + timedelta(days=31)
    for text, summary, extra in (("We keep little.", "First version.", {}),
                                 ("We keep records for six years.", "We now keep records for six years.",
                                  {"effective_at": effective.strftime("%Y-%m-%dT%H:%M:%SZ")})):
        status, answer = request("POST", f"{api}/v1/org/privacy-policies", {"text": text, "summary": summary, **extra},
                                 token)
        assert status == 201, answer

    phone.goto(f"{api}/book/demo")
    notice = phone.locator("#policy-notice")
    notice.wait_for()

    assert "We now keep records for six years." in notice.inner_text()
    phone.get_by_role("link", name=re.compile(r"Privacy policy \(effective")).click()
    phone.get_by_role("heading", name="Privacy policy of Demo Clinic").wait_for()
    assert "changes on" in phone.locator("#policy-notice").inner_text()
    assert phone.get_by_role("heading", name="Where your data goes").is_visible()
    assert phone.problems == []
    assert phone.hosts == {api.split("/")[2]}
