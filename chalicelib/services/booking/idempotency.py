"""Idempotency-Key: a retried POST gets the first answer, never a second booking (decision 4).

The record is written in the booking's own transaction, so either both exist or neither does; the
answer is sealed because it holds the manage link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import IdempotencyKeyReused, ValidationFailed
from chalicelib.models.booking import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyKey:
    record_key: str
    org_id: str
    request_hash: str

    def previous(self) -> Replay | None:
        """The first answer to this key, if there is one; a different request with it is refused."""
        try:
            record = IdempotencyRecord.get(self.record_key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        if record.request_hash != self.request_hash:
            raise IdempotencyKeyReused()
        return Replay(int(record.status_code), record.unseal()["response"])

    def record(self, status_code: int, body: dict[str, Any], customer_id: str | None = None) -> IdempotencyRecord:
        """The (unsaved) record of the first answer, sealed under `customer_id`'s key when there is one."""
        record = IdempotencyRecord(self.record_key, org_id=self.org_id, request_hash=self.request_hash,
                                   status_code=status_code, customer_id=customer_id or None,
                                   ttl=int((clock.now() + KEEP_FOR).timestamp()))
        record.seal({"response": body})
        return record


def idempotency_key(org_id: str, scope: str, key: str | None, request: Any) -> IdempotencyKey | None:
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed("Idempotency-Key must be 1-255 printable characters.", field="Idempotency-Key")
    digest = hashlib.sha256(key.encode()).hexdigest()
    request_hash = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
    return IdempotencyKey(f"{org_id}/{scope}/{digest}", org_id, request_hash)
