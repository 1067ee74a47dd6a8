"""Envelopes already opened in this process, so that reading a row again costs no SDK decrypt (issue 24).

Since crypto-shredding (ADR 0010) what the KMS envelope holds is itself ciphertext: the row's fields
encrypted under its subject's key (the "shred box"). This cache maps a message (its SHA-256, its
encryption context and its row binding, all three) to that box, never to anything in the clear: the
box still needs the subject's key, whose destruction stops it opening at once in the destroying process
(ADR 0010's key cache), whatever this cache holds. Envelopes sealed before crypto-shredding hold the
fields themselves and are never cached. Bounded like the SDK's own materials cache: at most CAPACITY
entries, each at most `data_key_max_age_seconds` old, so KMS refusing the key stops reads here as soon
as it stops them through the materials cache; `reset_sealers` empties it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

from chalicelib.config import settings

CAPACITY = 10_000  # boxes of ~0.5 KB: at most a few MB per process

_Key = tuple[str, str, str, bytes]
_entries: OrderedDict[_Key, tuple[float, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def key_of(context: dict[str, str], row: str, message: bytes) -> _Key:
    return (context["org"], context["table"] + "/" + context["purpose"], row, hashlib.sha256(message).digest())


def get(key: _Key) -> dict[str, Any] | None:
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry[0] > settings().data_key_max_age_seconds:
            del _entries[key]
            return None
        _entries.move_to_end(key)
        return dict(entry[1])


def put(key: _Key, box: dict[str, Any]) -> None:
    with _lock:
        _entries[key] = (time.monotonic(), dict(box))
        _entries.move_to_end(key)
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()
