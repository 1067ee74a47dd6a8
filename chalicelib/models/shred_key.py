"""Crypto-shredding keys (crypto/shred_keys.py): one row per key, kept outside the backed-up tables.

A row holds its key wrapped (the org key sealed through KMS, a subject key under the org key) or, once
destroyed, only a tombstone: the key is gone and no new one is made for that subject again.
"""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import table_meta


class ShredKey(Model):
    """The key of `subject` ("org" or "customer/<id>") in `org_id`; `wrapped` is None once destroyed."""

    # Point-in-time recovery keeps a destroyed key restorable this long (DynamoDB's default is 35 days);
    # one day still covers a table lost by mistake, with the backups' key file behind it.
    PITR_RECOVERY_DAYS: ClassVar[int] = 1

    Meta = table_meta("shred_keys", home=True)  # the same keys whichever tables the application serves

    org_id = UnicodeAttribute(hash_key=True)
    subject = UnicodeAttribute(range_key=True)
    wrapped = BinaryAttribute(legacy_encoding=False, null=True)
    created_at = UTCDateTimeAttribute()
    destroyed_at = UTCDateTimeAttribute(null=True)
