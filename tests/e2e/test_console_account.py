"""One's own account in the staff console, in a real headless Chromium against the local stack, as a person
does it: a front-desk user opens the invitation e-mail's link, sets a password, is made to enrol (the clinic
requires a second factor of the front desk), enrols an authenticator app by scanning the QR image (decoded
here from the pixels on the screen by a real QR decoder), downloads the recovery codes, and signs in with the
app's code; a security key is enrolled and used to sign in through Chromium's virtual authenticator;
forgot-password mails a link that opens the same page; "sign out everywhere" ends another browser's
session. axe-core finds nothing on any of these screens, in English and Spanish, at phone and desktop width.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.e2e.conftest import fresh_code, mailed_setup_code, mailed_words, request, sent_mail_bodies
from tests.e2e.test_console import open_console
from tests.e2e.test_patient_pages import clean_by_axe

pytestmark = pytest.mark.e2e
PASSWORD = "juniper-canyon-lattice-74"
COOKIE = "__Host-safeslot-session"


@pytest.fixture(scope="module")
def owner_token(stack):
    """The demo owner, who then makes the clinic require a second factor of its front desk."""
    credentials, _ = stack
    api, secret = credentials["api"], credentials["totp_secret"]
    status, step = request("POST", f"{api}/v1/auth/login", {"org": "demo", "email": credentials["email"],
                                                            "password": credentials["password"]})
    assert status == 200 and step["mfa_required"], step
    status, session = request("POST", f"{api}/v1/auth/mfa/verify", {"mfa_token": step["mfa_token"],
                                                                     "method": "totp", "code": fresh_code(secret)})
    assert status == 200, session
    token = session["token"]
    proof = {"password": credentials["password"], "code": fresh_code(secret)}
    assert request("POST", f"{api}/v1/auth/step-up", proof, token)[0] == 200
    policy = {"require_mfa": ["owner", "admin", "frontdesk"]}
    assert request("PUT", f"{api}/v1/org/security-policy", policy, token)[0] == 200
    return token


def invite(credentials, owner_token, name: str) -> dict:
    email = f"{name.split()[0].lower()}@demo.safeslot.example"
    status, created = request("POST", f"{credentials['api']}/v1/users",
                              {"email": email, "name": name, "role": "frontdesk"}, owner_token)
    assert status == 201, created
    return {"email": email, "name": name}


def enrolled_over_the_api(credentials, owner_token, name: str) -> dict:
    """A front-desk user who set a password and enrolled an authenticator app through the API (setup for
    the tests that are not about enrolling): with their secret and recovery codes."""
    api = credentials["api"]
    user = invite(credentials, owner_token, name)
    code = mailed_setup_code(credentials["aws_endpoint"], user["email"])
    assert request("POST", f"{api}/v1/auth/setup", {"token": code, "password": PASSWORD})[0] == 204
    status, enrol_only = request("POST", f"{api}/v1/auth/login",
                                 {"org": "demo", "email": user["email"], "password": PASSWORD})
    assert status == 200 and enrol_only["mfa_enrollment_required"], enrol_only
    status, started = request("POST", f"{api}/v1/auth/mfa/totp/enroll", {"password": PASSWORD}, enrol_only["token"])
    assert status == 200, started
    first_code = {"code": fresh_code(started["secret"], unconfirmed=True)}
    status, done = request("POST", f"{api}/v1/auth/mfa/totp/confirm", first_code, enrol_only["token"])
    assert status == 200, done
    return {**user, "secret": started["secret"], "recovery_codes": done["recovery_codes"]}


def at_localhost(credentials) -> str:
    """The console's address by host name: a security key is bound to a name (never to an IP address)."""
    return credentials["api"].replace("127.0.0.1", "localhost")


def sign_in(page, base: str, email: str, language: str = "en") -> None:
    words = {"en": ("Sign in", "Clinic", "E-mail", "Password"),
             "es": ("Iniciar sesión", "Clínica", "Correo electrónico", "Contraseña")}[language]
    page.goto(f"{base}/console")
    page.get_by_role("heading", name=words[0]).wait_for()
    form = page.locator("#screen-signin")
    form.get_by_label(words[1]).fill("demo")
    form.get_by_label(words[2]).fill(email)
    form.get_by_label(words[3], exact=True).fill(PASSWORD)
    form.get_by_role("button", name=words[0]).click()


def with_code(page, secret: str) -> None:
    page.get_by_role("heading", name="Second step").wait_for()
    page.get_by_label("How do you want to confirm it is you?").select_option("totp")
    page.get_by_label("Code", exact=True).fill(fresh_code(secret))
    page.get_by_role("button", name="Continue").click()


def decoded_qr(page) -> str:
    """What a phone's camera would read: the QR image's pixels on the screen, decoded by ZXing."""
    import zxingcpp
    from PIL import Image

    image = page.locator("#totp-qr")
    image.wait_for()
    page.wait_for_function("document.getElementById('totp-qr').complete && "
                           "document.getElementById('totp-qr').naturalWidth > 0")
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    return barcode.text


def session_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def test_a_front_desk_user_accepts_the_invitation_enrols_an_app_from_the_qr_image_and_signs_in_with_it(
        stack, browser, owner_token, axe_source):
    credentials, _ = stack
    fiona = invite(credentials, owner_token, "Fiona Frontdesk")
    [link] = [w for w in mailed_words(credentials, "/console#setup/") if w.startswith(credentials["api"])][-1:]
    assert urlsplit(link).query == ""  # the token is in the fragment: no server or log ever receives it

    context, page = open_console(browser, credentials)
    page.goto(link)
    page.get_by_role("heading", name="Choose your password").wait_for()
    assert "#" not in page.url  # the token left the address bar (and the history)
    clean_by_axe(page, axe_source, "console-set-password-desktop")
    page.locator("#screen-setup").get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("Your password is set. Sign in with it now.").wait_for()

    sign_in(page, credentials["api"], fiona["email"])
    page.get_by_role("heading", name="Add a sign-in method").wait_for()
    page.get_by_text("Your clinic requires a second factor for your role. Add one now to continue.").wait_for()
    clean_by_axe(page, axe_source, "console-enrol-step-up-desktop")
    page.locator("#stepup-form").get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="An authenticator app on your phone").check()
    page.locator("#kind-form").get_by_role("button", name="Continue").click()

    uri = decoded_qr(page)
    secret = pyotp.parse_uri(uri).secret
    assert uri.startswith("otpauth://totp/") and "issuer=SafeSlot" in uri
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret
    clean_by_axe(page, axe_source, "console-enrol-authenticator-desktop")
    page.get_by_label("Code from the app").fill(fresh_code(secret, unconfirmed=True))
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Your recovery codes").wait_for()
    shown = page.locator("#codes-list li").all_inner_texts()
    assert len(shown) == 10 and len(set(shown)) == 10
    clean_by_axe(page, axe_source, "console-recovery-codes-desktop")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "safeslot-recovery-codes.txt"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    downloaded = [line for line in saved.splitlines()[1:] if line]
    assert downloaded == shown
    page.get_by_role("button", name="I have saved them").click()
    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_text("Fiona Frontdesk at Demo Clinic").wait_for()
    assert page.locator("#codes-list li").count() == 0  # the codes left the page

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_text("You are signed out.").wait_for()
    sign_in(page, credentials["api"], fiona["email"])
    with_code(page, secret)
    page.get_by_role("heading", name="The day").wait_for()
    assert page.problems == []
    context.close()

    status, answer = request("POST", f"{credentials['api']}/v1/auth/login",
                             {"org": "demo", "email": fiona["email"], "password": PASSWORD})
    assert status == 200 and answer["mfa_required"] and "totp" in answer["methods"]  # enrolled on the server


def test_a_security_key_is_enrolled_and_signs_in_through_chromiums_virtual_authenticator(
        stack, browser, owner_token, axe_source):
    credentials, _ = stack
    kim = enrolled_over_the_api(credentials, owner_token, "Kim Keyholder")
    base = at_localhost(credentials)
    context, page = open_console(browser, credentials)
    authenticator = context.new_cdp_session(page)
    authenticator.send("WebAuthn.enable")
    key = authenticator.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": False, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]

    sign_in(page, base, kim["email"])
    with_code(page, kim["secret"])
    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_role("button", name="My account").click()
    page.get_by_role("heading", name="My account").wait_for()
    page.get_by_role("button", name="Add a sign-in method").click()
    page.locator("#stepup-form").get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_label("A code from your authenticator app, or a recovery code").fill(fresh_code(kim["secret"]))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("radio", name="A security key or this device's screen lock").check()
    page.locator("#kind-form").get_by_role("button", name="Continue").click()
    page.get_by_label("A name for this key").fill("Blue key")
    clean_by_axe(page, axe_source, "console-enrol-security-key-desktop")
    page.get_by_role("button", name="Register my security key").click()
    page.get_by_role("heading", name="My account").wait_for()
    page.get_by_role("row", name="Security key").get_by_text("Blue key").wait_for()
    held = authenticator.send("WebAuthn.getCredentials", {"authenticatorId": key})["credentials"]
    assert len(held) == 1 and held[0]["rpId"] == "localhost"  # the key the console registered

    page.get_by_role("button", name="Sign out", exact=True).click()
    page.get_by_text("You are signed out.").wait_for()
    sign_in(page, base, kim["email"])
    page.get_by_role("heading", name="Second step").wait_for()
    page.get_by_label("How do you want to confirm it is you?").select_option("webauthn")
    assert page.get_by_label("Code", exact=True).is_hidden()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="The day").wait_for()
    page.get_by_text("Kim Keyholder at Demo Clinic").wait_for()
    assert page.problems == []
    context.close()


def test_signing_out_everywhere_ends_the_session_of_another_browser(stack, browser, owner_token, axe_source):
    credentials, _ = stack
    sam = enrolled_over_the_api(credentials, owner_token, "Sam Sessions")
    desk_context, desk = open_console(browser, credentials)  # the front desk's computer, with a recovery code
    sign_in(desk, credentials["api"], sam["email"])
    desk.get_by_role("heading", name="Second step").wait_for()
    desk.get_by_label("How do you want to confirm it is you?").select_option("recovery")
    desk.get_by_label("Recovery code", exact=True).fill(sam["recovery_codes"][0])
    desk.get_by_role("button", name="Continue").click()
    desk.get_by_role("heading", name="The day").wait_for()
    left_behind = session_of(desk_context)

    context, page = open_console(browser, credentials, size="phone", locale="es-ES")  # their phone, in Spanish
    sign_in(page, credentials["api"], sam["email"], language="es")
    page.get_by_role("heading", name="Segundo paso").wait_for()
    page.locator("#factor-code").fill(fresh_code(sam["secret"]))
    page.locator("#factor-submit").click()
    page.get_by_role("button", name="Mi cuenta").click()
    page.get_by_role("heading", name="Mi cuenta").wait_for()
    sessions = page.locator("#sessions-rows tr")
    sessions.nth(2).wait_for()  # this phone, the front desk's computer, and the API client it enrolled with
    assert sessions.count() == 3 and page.get_by_text("Este dispositivo", exact=True).count() == 1
    page.get_by_text("Sesión iniciada").first.wait_for()  # recent sign-ins
    clean_by_axe(page, axe_source, "console-account-es-phone")
    mine = session_of(context)

    page.get_by_role("button", name="Cerrar sesión en todas partes").click()
    page.get_by_role("heading", name="Cerrar sesión en todas partes").wait_for()  # first, prove it is you
    page.locator("#stepup-form").get_by_label("Su contraseña", exact=True).fill(PASSWORD)
    page.locator("#stepup-code").fill(fresh_code(sam["secret"]))
    clean_by_axe(page, axe_source, "console-step-up-es-phone")
    page.locator("#stepup-form").get_by_role("button", name="Continuar").click()
    page.get_by_text("Ha cerrado la sesión en todas partes.").wait_for()
    page.get_by_role("heading", name="Iniciar sesión").wait_for()
    for token in (left_behind, mine):
        status, answer = request("GET", f"{credentials['api']}/v1/auth/me", token=token)
        assert (status, answer["error"]["code"]) == (401, "unauthenticated")
    desk.get_by_role("button", name="The day").click()  # the other browser finds itself signed out
    desk.get_by_text("Please sign in.").wait_for()
    assert page.problems == []
    context.close()
    desk_context.close()


def test_forgot_password_mails_a_link_that_opens_the_set_password_page(stack, browser, owner_token, axe_source):
    credentials, _ = stack
    rita = enrolled_over_the_api(credentials, owner_token, "Rita Reset")
    context, page = open_console(browser, credentials, size="phone")
    page.goto(f"{credentials['api']}/console")
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    clean_by_axe(page, axe_source, "console-forgot-password-phone")
    already = len(sent_mail_bodies(credentials))
    page.locator("#screen-forgot").get_by_label("Clinic").fill("demo")
    page.locator("#screen-forgot").get_by_label("E-mail").fill(rita["email"].upper())  # typed as a person types it
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If this address belongs to an account, we have e-mailed it a link").wait_for()

    [link] = mailed_words(credentials, "/console#setup/", after=already)
    page.goto(link)
    page.get_by_role("heading", name="Choose your password").wait_for()
    page.locator("#screen-setup").get_by_label("New password").fill("saffron-glacier-pylon-36")
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("Your password is set. Sign in with it now.").wait_for()
    page.goto(link)  # the link works once
    page.get_by_role("heading", name="Choose your password").wait_for()
    page.locator("#screen-setup").get_by_label("New password").fill("another-meadow-copper-81")
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("This link is no longer valid").wait_for()
    clean_by_axe(page, axe_source, "console-set-password-used-link-phone")
    assert page.problems == []
    context.close()
    status, answer = request("POST", f"{credentials['api']}/v1/auth/login",
                             {"org": "demo", "email": rita["email"], "password": "saffron-glacier-pylon-36"})
    assert status == 200 and answer["mfa_required"]


def test_the_set_password_and_enrolment_screens_speak_spanish_and_the_qr_scans_at_phone_width(
        stack, browser, owner_token, axe_source):
    credentials, _ = stack
    lucia = invite(credentials, owner_token, "Lucía Recepción")
    [link] = [w for w in mailed_words(credentials, "/console#setup/") if w.startswith(credentials["api"])][-1:]
    context, page = open_console(browser, credentials, size="phone", locale="es-ES")
    page.goto(link)
    page.get_by_role("heading", name="Elija su contraseña").wait_for()
    clean_by_axe(page, axe_source, "console-set-password-es-phone")
    page.locator("#screen-setup").get_by_label("Contraseña nueva").fill(PASSWORD)
    page.get_by_role("button", name="Guardar mi contraseña").click()
    page.get_by_text("Su contraseña está guardada.").wait_for()

    sign_in(page, credentials["api"], lucia["email"], language="es")
    page.get_by_role("heading", name="Añadir un método de inicio de sesión").wait_for()
    clean_by_axe(page, axe_source, "console-enrol-step-up-es-phone")
    page.locator("#stepup-form").get_by_label("Su contraseña", exact=True).fill(PASSWORD)
    page.locator("#stepup-form").get_by_role("button", name="Continuar").click()
    page.get_by_role("radio", name="Una aplicación de autenticación en su teléfono").check()
    clean_by_axe(page, axe_source, "console-enrol-choice-es-phone")
    page.locator("#kind-form").get_by_role("button", name="Continuar").click()
    secret = pyotp.parse_uri(decoded_qr(page)).secret  # scannable at a phone's width too
    clean_by_axe(page, axe_source, "console-enrol-authenticator-es-phone")
    page.get_by_label("Código de la aplicación").fill(fresh_code(secret, unconfirmed=True))
    page.get_by_role("button", name="Confirmar").click()
    page.get_by_role("heading", name="Sus códigos de recuperación").wait_for()
    clean_by_axe(page, axe_source, "console-recovery-codes-es-phone")
    page.get_by_role("button", name="Ya los he guardado").click()
    page.get_by_role("heading", name="El día").wait_for()
    assert page.problems == []
    context.close()
