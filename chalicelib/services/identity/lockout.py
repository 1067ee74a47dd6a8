"""Account lockout after repeated failures (NIST SP 800-63B 5.2.2, ASVS 6.3.1).

State is keyed by org and the e-mail's blind index, not by user, so an unknown account locks
exactly like a known one and the answers cannot tell them apart.
"""

from __future__ import annotations

from chalicelib import clock
from chalicelib.models.counter import Counter
from chalicelib.services.identity.policy import SecurityPolicy


def _key(org_id: str, email_index: str) -> str:
    return f"lockout/{org_id}/{email_index}"


def seconds_locked(org_id: str, email_index: str) -> int:
    """Seconds until the account may try again; 0 when it is not locked."""
    try:
        counter = Counter.get(_key(org_id, email_index), consistent_read=True)
    except Counter.DoesNotExist:
        return 0
    left = int(counter.locked_until or 0) - int(clock.now().timestamp())
    return max(left, 0)


def record_failure(org_id: str, email_index: str, policy: SecurityPolicy) -> bool:
    """Count a failure; returns True when this failure locks the account."""
    now = int(clock.now().timestamp())
    lock_seconds = policy.lockout_minutes * 60
    counter = Counter(_key(org_id, email_index))
    counter.update(actions=[Counter.hits.add(1), Counter.ttl.set(now + 86400)])
    if int(counter.hits) < policy.lockout_threshold:
        return False
    counter.update(actions=[Counter.hits.set(0), Counter.locked_until.set(now + lock_seconds),
                            Counter.ttl.set(now + lock_seconds + 86400)])
    return True


def clear(org_id: str, email_index: str) -> None:
    """Forget failures: after a successful login, or an admin's unlock."""
    Counter(_key(org_id, email_index)).delete()
