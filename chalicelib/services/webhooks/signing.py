"""How a delivery is signed, and how a receiver checks it (docs: README "Signed webhooks").

Header `SafeSlot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, with the
endpoint's own secret (shown once, when the endpoint is registered). A receiver recomputes the HMAC over
the raw body, compares in constant time, refuses a `t` more than REPLAY_WINDOW_SECONDS from its clock, and
remembers the `SafeSlot-Delivery` ids it accepted for that window: a replayed request is refused either way.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "SafeSlot-Signature"
DELIVERY_HEADER = "SafeSlot-Delivery"
EVENT_HEADER = "SafeSlot-Event"
REPLAY_WINDOW_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, window: int = REPLAY_WINDOW_SECONDS) -> bool:
    """A receiver's check: the HMAC matches and the timestamp is within `window` seconds of `now`."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > window:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
