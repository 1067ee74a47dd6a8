"""Authenticator apps (RFC 6238): enrollment with a QR code, and codes that are never accepted twice."""

from __future__ import annotations

import hmac
import io
from dataclasses import dataclass

import pyotp
from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.errors import InvalidCredentials
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors

ISSUER = "SafeSlot"
WINDOW = 1  # steps either side of the server's time (RFC 6238 section 5.2)


@dataclass(frozen=True)
class Enrollment:
    factor_id: str
    secret: str
    otpauth_uri: str
    qr_svg: str


def start_enrollment(user: User) -> Enrollment:
    """A new 160-bit secret, sealed at rest, shown this once as text, URI and QR code."""
    secret = pyotp.random_base32(32)
    row = factors.new_factor(user, factors.TOTP, label="Authenticator app")
    row.seal({"secret": secret})
    row.save()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.unseal()["email"], issuer_name=ISSUER)
    return Enrollment(row.factor_id, secret, uri, _qr_svg(uri))


def confirm(row: MfaFactor, code: str) -> None:
    """Activate a pending factor with its first code."""
    accept_code(row, code)
    row.update(actions=[MfaFactor.status.set(factors.ACTIVE)])


def accept_code(row: MfaFactor, code: str) -> None:
    """Accept `code` once: a step at or before the last accepted one is refused (no replay)."""
    totp = pyotp.TOTP(row.unseal()["secret"])
    current = totp.timecode(clock.now())
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step > int(row.last_step or 0) and hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            try:  # conditional: of two requests with the same code, only one moves the step
                row.update(actions=[MfaFactor.last_step.set(step)], condition=MfaFactor.last_step < step)
            except UpdateError as error:
                raise InvalidCredentials("The code is not correct.") from error
            return
    raise InvalidCredentials("The code is not correct.")


def accept_any(user: User, code: str) -> MfaFactor:
    """Accept `code` from any of the user's authenticator apps; returns the factor it matched."""
    for row in factors.factors_of(user.org_id, user.user_id, factors.TOTP):
        try:
            accept_code(row, code)
            return row
        except InvalidCredentials:
            continue
    raise InvalidCredentials("The code is not correct.")


def _qr_svg(uri: str) -> str:
    import segno  # only enrolment draws a QR code: not every cold start

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode()
