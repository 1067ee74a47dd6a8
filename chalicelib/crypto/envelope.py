"""Seal a dict of sensitive fields into one AWS Encryption SDK message, and open it again.

Architecture decision 1: one committing, unsigned message per item under the customer KMS key,
through a caching materials manager. The encryption context names app, org, table and purpose and
nothing else (it is plaintext in the message header and in CloudTrail, and the cache is keyed on it);
the row binding travels inside the message and is checked on open.

The SDK itself lives in kms_sealer.py, imported by the first seal or open, so a cold start that serves a
request needing no sealed field never pays for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.config import APP_NAME, settings

if TYPE_CHECKING:
    from chalicelib.crypto.kms_sealer import Sealer


@dataclass(frozen=True)
class SealContext:
    """Where a sealed value belongs: the encryption context, minus anything per item or personal."""

    org_id: str
    table: str
    purpose: str

    def encryption_context(self) -> dict[str, str]:
        return {"app": APP_NAME, "org": self.org_id, "table": self.table, "purpose": self.purpose}


class _PerThreadSealers(threading.local):
    generation = -1
    sealer: Sealer | None = None


_sealers = _PerThreadSealers()
_generation = 0


def sealer() -> Sealer:
    """This thread's Sealer for the configured key (key providers must not be shared across threads)."""
    if _sealers.sealer is None or _sealers.generation != _generation:
        from chalicelib.crypto.kms_sealer import Sealer  # the SDK loads on first use, not on every cold start

        _sealers.sealer = Sealer(settings().key_arn)
        _sealers.generation = _generation
    return _sealers.sealer


def __getattr__(name: str) -> object:
    """`envelope.Sealer` still names the class, imported (with the SDK) when first asked for."""
    if name == "Sealer":
        from chalicelib.crypto import kms_sealer

        return kms_sealer.Sealer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reset_sealers() -> None:
    """Make every thread build a new Sealer on next use (tests, key rotation in configuration)."""
    global _generation
    _generation += 1
    from chalicelib.crypto import opened_envelopes

    opened_envelopes.clear()
