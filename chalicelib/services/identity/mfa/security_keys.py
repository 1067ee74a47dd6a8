"""Security keys (WebAuthn, the `webauthn` library): registration and authentication ceremonies.

Challenges are random (32 bytes) and single use; origin and RP id come from configuration; the
signature counter must move forward (ASVS 6.7.2).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.config import settings
from chalicelib.errors import InvalidCredentials
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.user import User
from chalicelib.services.identity.mfa import factors

RP_NAME = "SafeSlot"

# The `webauthn` library (and the cryptography it brings) is imported by the ceremonies that use it, not by
# every cold start: most requests never touch a security key.


def registration_options(user: User) -> tuple[str, dict[str, Any]]:
    """A pending factor holding the challenge, and the options for navigator.credentials.create()."""
    import webauthn
    from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    config = settings()
    existing = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
                for f in factors.factors_of(user.org_id, user.user_id, factors.WEBAUTHN) if f.credential_id]
    options = webauthn.generate_registration_options(
        rp_id=config.webauthn_rp_id, rp_name=RP_NAME, user_id=user.user_id.encode(),
        user_name=user.unseal()["email"], exclude_credentials=existing,
    )
    row = factors.new_factor(user, factors.WEBAUTHN)
    row.challenge = bytes_to_base64url(options.challenge)
    row.seal({})
    row.save()
    return row.factor_id, json.loads(options_to_json(options))


def register(row: MfaFactor, credential: dict[str, Any], label: str | None) -> None:
    """Check the authenticator's answer to the pending challenge and activate the key."""
    import webauthn
    from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
    from webauthn.helpers.exceptions import WebAuthnException

    if row.status != factors.PENDING or not row.challenge:
        raise InvalidCredentials("This registration was already completed.")
    config = settings()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(row.challenge),
            expected_origin=config.webauthn_origin, expected_rp_id=config.webauthn_rp_id,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:  # any malformed answer too
        raise InvalidCredentials("The security key's answer was not valid.") from error
    row.update(actions=[
        MfaFactor.status.set(factors.ACTIVE), MfaFactor.challenge.remove(),
        MfaFactor.credential_id.set(bytes_to_base64url(verified.credential_id)),
        MfaFactor.public_key.set(verified.credential_public_key),
        MfaFactor.sign_count.set(verified.sign_count), MfaFactor.label.set(label or "Security key"),
    ])


def authentication_options(user: User) -> tuple[str, dict[str, Any]]:
    """A challenge (base64url) and the options for navigator.credentials.get()."""
    import webauthn
    from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor, UserVerificationRequirement

    keys = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(f.credential_id))
            for f in factors.factors_of(user.org_id, user.user_id, factors.WEBAUTHN) if f.credential_id]
    options = webauthn.generate_authentication_options(
        rp_id=settings().webauthn_rp_id, allow_credentials=keys,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return bytes_to_base64url(options.challenge), json.loads(options_to_json(options))


def authenticate(user: User, credential: dict[str, Any], challenge: str) -> MfaFactor:
    """Verify an assertion against the stored key; the counter must advance (clone detection)."""
    import webauthn
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import WebAuthnException

    config = settings()
    row = _key_for(user, credential)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=base64url_to_bytes(challenge),
            expected_origin=config.webauthn_origin, expected_rp_id=config.webauthn_rp_id,
            credential_public_key=row.public_key, credential_current_sign_count=int(row.sign_count or 0),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:  # any malformed answer too
        raise InvalidCredentials("The security key's answer was not valid.") from error
    row.update(actions=[MfaFactor.sign_count.set(verified.new_sign_count)])
    return row


def _key_for(user: User, credential: dict[str, Any]) -> MfaFactor:
    credential_id = str(credential.get("id", ""))
    for row in factors.factors_of(user.org_id, user.user_id, factors.WEBAUTHN):
        if row.credential_id == credential_id:
            return row
    raise InvalidCredentials("This security key is not registered.")
