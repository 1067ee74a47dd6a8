"""Blind indexes: equality lookups on encrypted values without storing them in plaintext.

Architecture decision 2: HMAC-SHA256 of the normalized value under a per-org key, derived with
HKDF from one index key. The index key is a KMS data key whose wrapped form is configured
(`SAFESLOT_INDEX_KEY_BLOB`); KMS unwraps it once per container.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import unicodedata

import botocore.exceptions
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chalicelib import aws
from chalicelib.built_once import built_once
from chalicelib.config import APP_NAME, settings
from chalicelib.errors import EncryptionUnavailable

INDEX_KEY_CONTEXT = {"app": APP_NAME, "purpose": "blind-index-key"}


def normalize_email(value: str) -> str:
    """The form an e-mail address is compared in: NFKC, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


@built_once  # one KMS Decrypt per container, however many requests ask at once
def _index_key() -> bytes:
    blob = settings().index_key_blob
    if not blob:
        raise EncryptionUnavailable("No blind-index key is configured.")
    try:
        answer = aws.client("kms").decrypt(
            CiphertextBlob=base64.b64decode(blob), EncryptionContext=INDEX_KEY_CONTEXT
        )
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise EncryptionUnavailable() from error
    key: bytes = answer["Plaintext"]
    return key


@functools.cache
def _org_key(org_id: str, purpose: str) -> bytes:
    info = f"{APP_NAME}/blind-index/v1/{org_id}/{purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(_index_key())


def blind_index(org_id: str, purpose: str, normalized_value: str) -> str:
    """Hex HMAC of an already normalized value, distinct per org and per purpose."""
    key = _org_key(org_id, purpose)
    return hmac.new(key, normalized_value.encode(), hashlib.sha256).hexdigest()


def reset_index_keys() -> None:
    """Forget the unwrapped index key and derived keys (tests, key rotation)."""
    _index_key.cache_clear()
    _org_key.cache_clear()
