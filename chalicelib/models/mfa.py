"""Second factors (TOTP, SMS, security keys, recovery codes) and pending MFA challenges."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.models.base import SealedModel, table_meta


class MfaFactor(SealedModel):
    """One factor of one user. Secrets (TOTP seed, phone number) are sealed; the rest is not secret."""

    TABLE = "mfa_factors"
    SEALED_FIELDS = frozenset({"secret", "phone"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    factor_key = UnicodeAttribute(range_key=True)  # "<user_id>#<factor_id>"
    kind = UnicodeAttribute()  # totp | sms | voice | webauthn | recovery
    status = UnicodeAttribute()  # pending | active
    label = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    activated_at = UTCDateTimeAttribute(null=True)  # when it began to count (a new one is not a fresh factor)
    last_step = NumberAttribute(default=0)  # TOTP: the last accepted time step
    language = UnicodeAttribute(null=True)  # SMS and voice: the language codes are sent in
    code_hash = UnicodeAttribute(null=True)  # SMS and voice enrollment: the code sent, hashed
    code_expires_at = UTCDateTimeAttribute(null=True)
    challenge = UnicodeAttribute(null=True)  # WebAuthn registration challenge (base64url)
    credential_id = UnicodeAttribute(null=True)  # WebAuthn, base64url
    public_key = BinaryAttribute(legacy_encoding=False, null=True)
    sign_count = NumberAttribute(default=0)
    code_hashes: ListAttribute[str] = ListAttribute(null=True)  # recovery codes still unused, hashed

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/{self.factor_key}"

    @property
    def user_id(self) -> str:
        return self.factor_key.split("#", 1)[0]

    @property
    def factor_id(self) -> str:
        return self.factor_key.split("#", 1)[1]


class MfaChallenge(Model):
    """The second step of a login: `mfa_token` (stored hashed), 5 minutes, single use."""

    Meta = table_meta("mfa_challenges")

    token_hash = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    expires_at = UTCDateTimeAttribute()
    methods: ListAttribute[str] = ListAttribute(null=True)  # the methods this sign-in accepts
    webauthn_challenge = UnicodeAttribute(null=True)
    phone_code_hash = UnicodeAttribute(null=True)  # the code last texted or spoken, bound to its channel
    phone_code_expires_at = UTCDateTimeAttribute(null=True)
    duo_state_hash = UnicodeAttribute(null=True)  # Duo: the state sent to the prompt, hashed
    duo_nonce = UnicodeAttribute(null=True)  # Duo: the OIDC nonce the id_token must carry
    duo_fallback = UnicodeAttribute(null=True)  # Duo was down and the org falls back: when that was seen
    access_version = NumberAttribute(default=0)  # the user's access_version when the password was checked
    ttl = NumberAttribute()


class DuoIntegration(SealedModel):
    """An org's Duo application (Universal Prompt): its client secret is sealed, the rest is not secret."""

    TABLE = "duo_integrations"
    SEALED_FIELDS = frozenset({"client_secret"})
    Meta = table_meta(TABLE)

    org_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute()
    api_host = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    failmode = UnicodeAttribute()  # closed: refuse sign-ins while Duo is down | open: fall back to own factors
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()

    @property
    def tenant(self) -> str:
        return self.org_id

    def row_key(self) -> str:
        return f"{self.org_id}/duo"
