"""What SafeSlot owns in AWS, declared once: the CDK stack and the local stack both read this.

Tables come from the PynamoDB models themselves (keys, indexes); buckets and the key are named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.models import Model


@dataclass(frozen=True)
class BucketSpec:
    name: str
    region: str
    purpose: str


def tables() -> tuple[type[Model], ...]:
    """Every table, as its model (import is deferred: models read settings at import)."""
    from chalicelib.models import ALL_MODELS

    return ALL_MODELS


def ttl_tables() -> tuple[tuple[type[Model], str], ...]:
    """(model, attribute) for every table whose rows DynamoDB expires."""
    from chalicelib.models import TTL_ATTRIBUTE, TTL_MODELS

    return tuple((model, TTL_ATTRIBUTE) for model in TTL_MODELS)


def buckets() -> tuple[BucketSpec, ...]:
    from chalicelib.config import settings

    config = settings()
    return (
        BucketSpec(config.backup_bucket, config.region, "primary backups"),
        BucketSpec(config.replica_bucket, config.replica_region, "backup replica in a second region"),
    )


KEY_DESCRIPTION = "SafeSlot data key: envelope encryption of client data and blind-index key wrap"
AUDIT_SIGNING_KEY_DESCRIPTION = "SafeSlot audit digest signing key (ECDSA P-256, sign and verify only)"
AUDIT_DIGEST_RETENTION_YEARS = 6  # HIPAA 164.316(b)(2)(i): six years; each digest is also locked 2,200 days
