"""The AWS Encryption SDK half of envelope.py: the Sealer that seals and opens through KMS.

Kept apart so that importing the app does not import the SDK (and the asyncio, attrs and cryptography it
pulls in): `envelope.sealer()` imports this module on the first seal or open of the container.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aws_encryption_sdk
import botocore.exceptions
import botocore.session
from aws_encryption_sdk import CommitmentPolicy
from aws_encryption_sdk.caches.local import LocalCryptoMaterialsCache
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError, DecryptKeyError
from aws_encryption_sdk.identifiers import Algorithm
from aws_encryption_sdk.key_providers.kms import MRKAwareKMSMasterKey, MRKAwareStrictAwsKmsMasterKeyProvider
from aws_encryption_sdk.materials_managers.base import CryptoMaterialsManager
from aws_encryption_sdk.materials_managers.caching import CachingCryptoMaterialsManager
from aws_encryption_sdk.materials_managers.default import DefaultCryptoMaterialsManager
from cryptography.exceptions import InvalidTag

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.errors import EncryptionUnavailable, SealedDataInvalid

if TYPE_CHECKING:
    from chalicelib.crypto.envelope import SealContext

ALGORITHM = Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
CACHE_CAPACITY = 1000
CACHE_MAX_MESSAGES = 10_000
# KMS error codes that mean "the ciphertext is wrong", as opposed to "KMS cannot serve us now".
_BAD_CIPHERTEXT_CODES = {"InvalidCiphertextException", "IncorrectKeyException"}
_SDK_FAILURES = (AWSEncryptionSDKClientError, botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)


class KmsRefused(Exception):
    """KMS answered a Decrypt with an error that is about KMS (disabled, pending deletion, throttled,
    failing), not about the ciphertext. Raised past the SDK's key loop, which would otherwise swallow it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _ReportingKmsMasterKey(MRKAwareKMSMasterKey):
    """The SDK's KMS master key, except that a refusal by KMS is not disguised as an undecryptable key.

    The SDK turns every KMS ClientError into DecryptKeyError, and its provider then drops that error and
    raises a new, causeless DecryptKeyError("Unable to decrypt data key"): a disabled key would look like
    a tampered message. Only KMS's own "this ciphertext is wrong" codes stay DecryptKeyError here.
    """

    def _decrypt_data_key(self, encrypted_data_key: Any, algorithm: Any, encryption_context: Any = None) -> Any:
        try:
            return super()._decrypt_data_key(encrypted_data_key, algorithm, encryption_context)
        except DecryptKeyError as error:
            cause = error.__cause__
            if isinstance(cause, botocore.exceptions.ClientError):
                code = str(cause.response.get("Error", {}).get("Code", ""))
                if code not in _BAD_CIPHERTEXT_CODES:
                    raise KmsRefused(code) from cause
            raise


class _ReportingKmsKeyProvider(MRKAwareStrictAwsKmsMasterKeyProvider):
    master_key_class = _ReportingKmsMasterKey


class Sealer:
    """Seals and opens field dicts with one KMS key. Not thread-safe: use `sealer()` per thread."""

    def __init__(
        self,
        key_arn: str,
        session: botocore.session.Session | None = None,
        cache: bool = True,
    ) -> None:
        if not key_arn:
            raise EncryptionUnavailable("No encryption key is configured.")
        # MRK-aware: a replica of the multi-region data key opens what its primary sealed (the second region)
        provider = _ReportingKmsKeyProvider(key_ids=[key_arn], botocore_session=session or aws.botocore_session())
        self._materials: CryptoMaterialsManager = DefaultCryptoMaterialsManager(provider)
        if cache:
            self._materials = CachingCryptoMaterialsManager(
                master_key_provider=provider,
                cache=LocalCryptoMaterialsCache(capacity=CACHE_CAPACITY),
                # How long a data key is reused without asking KMS: the longest that writes and reads of
                # cached keys go on after the KMS key is disabled or scheduled for deletion.
                max_age=float(settings().data_key_max_age_seconds),
                max_messages_encrypted=CACHE_MAX_MESSAGES,
            )
        self._client = aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
            max_encrypted_data_keys=1,
        )

    def seal(self, fields: Mapping[str, Any], context: SealContext, row_key: str) -> bytes:
        """Encrypt `fields` (JSON-able) for the row `row_key`; raises EncryptionUnavailable."""
        plaintext = json.dumps({"row": row_key, "fields": dict(fields)}, separators=(",", ":"))
        try:
            ciphertext, _header = self._client.encrypt(
                source=plaintext.encode(),
                materials_manager=self._materials,
                encryption_context=context.encryption_context(),
                algorithm=ALGORITHM,
            )
        except _SDK_FAILURES as error:
            raise EncryptionUnavailable() from error
        return bytes(ciphertext)

    def open(self, blob: bytes, context: SealContext, row_key: str) -> dict[str, Any]:
        """Decrypt a sealed value and check that it belongs to `context` and `row_key`."""
        try:
            plaintext, header = self._client.decrypt(source=blob, materials_manager=self._materials)
        except KmsRefused as error:
            raise EncryptionUnavailable() from error
        except (*_SDK_FAILURES, InvalidTag, ValueError) as error:
            raise _classify_open_failure(error) from error
        # With master key providers the SDK does not check the context on decrypt: we do.
        if dict(header.encryption_context) != context.encryption_context():
            raise SealedDataInvalid()
        if not header.algorithm.is_committing():
            raise SealedDataInvalid()
        payload = json.loads(plaintext)
        if payload.get("row") != row_key:
            raise SealedDataInvalid()
        fields: dict[str, Any] = payload["fields"]
        return fields


def _classify_open_failure(error: BaseException) -> Exception:
    """KMS down or refusing -> EncryptionUnavailable; anything wrong with the message -> SealedDataInvalid."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, botocore.exceptions.BotoCoreError):
            return EncryptionUnavailable()
        if isinstance(cause, botocore.exceptions.ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            return SealedDataInvalid() if code in _BAD_CIPHERTEXT_CODES else EncryptionUnavailable()
        cause = cause.__cause__ or cause.__context__
    return SealedDataInvalid()
