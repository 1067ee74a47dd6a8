"""Duo in the staff console, in headless Chromium against the local stack and a local fake Duo (the real
wire protocol, tests/harness/fake_duo.py): the prompt opens in its own window, Duo sends that window back
to the console with its answer, which the signing-in page receives and turns into a session."""

from __future__ import annotations

import signal
from urllib.parse import parse_qs, urlsplit

import pytest

from scripts.run_local import spawn
from tests.e2e.conftest import fresh_code, request
from tests.e2e.test_console import open_console
from tests.harness.fake_duo import CLIENT_ID, CLIENT_SECRET, FakeDuo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def duo(tmp_path_factory):
    with FakeDuo(tmp_path_factory.mktemp("duo")) as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(tmp_path_factory, duo):
    process, credentials = spawn(tmp_path_factory.mktemp("local"), SAFESLOT_DUO_CA_BUNDLE=duo.ca_path)
    yield credentials, process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def clinic_on_duo(stack, duo):
    """The demo clinic signs in with Duo, which sends its people back to the console."""
    credentials, _ = stack
    api, secret = credentials["api"], credentials["totp_secret"]
    password = {"org": "demo", "email": credentials["email"], "password": credentials["password"]}
    _, step = request("POST", f"{api}/v1/auth/login", password)
    status, session = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": step["mfa_token"], "method": "totp",
                                                                     "code": fresh_code(secret)})
    assert status == 200, session
    proof = {"password": credentials["password"], "code": fresh_code(secret)}
    assert request("POST", f"{api}/v1/auth/step-up", proof, session["token"])[0] == 200
    status, answer = request("PUT", f"{api}/v1/org/duo", {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_host": duo.api_host, "failmode": "closed",
        "redirect_uri": f"{api}/console"}, session["token"])
    assert status == 200, answer
    return credentials


def test_the_owner_signs_in_with_duo_in_its_own_window(clinic_on_duo, duo, browser):
    credentials = clinic_on_duo
    api = credentials["api"]
    context, page = open_console(browser, credentials)
    prompts = []

    def approve_at_duo(route):  # the person approves at Duo's prompt; Duo sends the window back
        prompts.append(route.request.url)
        answer = duo.approve(route.request.url)
        route.fulfill(status=302, headers={"Location": f"{api}/console?duo_code={answer['duo_code']}"
                                                       f"&state={answer['state']}"})

    context.route(f"https://{duo.api_host}/**", approve_at_duo)
    page.goto(f"{api}/console")
    page.get_by_role("heading", name="Sign in").wait_for()
    form = page.locator("#screen-signin")
    form.get_by_label("Clinic").fill("demo")
    form.get_by_label("E-mail").fill(credentials["email"])
    form.get_by_label("Password", exact=True).fill(credentials["password"])
    form.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Second step").wait_for()
    assert page.locator("#factor-method option").all_inner_texts() == ["Duo (push, call or passcode)"]
    assert page.locator("#factor-code").is_hidden()

    with context.expect_page() as opened:
        page.get_by_role("button", name="Continue").click()
    prompt = opened.value
    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_text("Demo Owner at Demo Clinic").wait_for()
    assert len(prompts) == 1 and urlsplit(prompts[0]).path.endswith("/authorize")
    assert "mfa_token" not in parse_qs(urlsplit(prompts[0]).query)  # the sign-in's token stays in its page
    if not prompt.is_closed():  # the window that came back says so (it closes itself where it may)
        prompt.get_by_text("Duo confirmed it is you.").wait_for()
        assert "duo_code" not in prompt.url
    assert page.problems == []
    context.close()
