"""Account lockout after repeated failures (NIST SP 800-63B 5.2.2, ASVS 6.3.1).

State is keyed by org and the e-mail's blind index, not by user, so an unknown account locks
exactly like a known one and the answers cannot tell them apart.

Every check of a secret (password, any second factor, a re-check inside a session) first takes a try
with one conditional write, before the expensive work: however many requests race, at most
`lockout_threshold` of them are ever evaluated. The try that reaches the threshold takes the lock as it
is taken; a correct password gives its try back, and only a whole successful login clears the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib import clock
from chalicelib.errors import TooManyAttempts
from chalicelib.logs import logger
from chalicelib.models.counter import Counter, update_if
from chalicelib.services import audit
from chalicelib.services.identity.policy import SecurityPolicy

KEEP_SECONDS = 86400  # failures are forgotten a day after the last one
LOCKOUT_LOG_MESSAGE = "account locked"  # infra/stack.py's metric filter matches this message


@dataclass(frozen=True)
class Try:
    """One evaluation the account allows; `last` when it is the one that took the lock."""

    org_id: str
    email_index: str
    last: bool


def _key(org_id: str, email_index: str) -> str:
    return f"lockout/{org_id}/{email_index}"


def take_try(org_id: str, email_index: str, policy: SecurityPolicy) -> Try:
    """Count one try before checking a secret; TooManyAttempts (and nothing counted) when locked."""
    now = _now()
    counter = Counter(_key(org_id, email_index))
    under = Counter.hits.does_not_exist() | (Counter.hits < policy.lockout_threshold - 1)
    unlocked = Counter.locked_until.does_not_exist()
    if update_if(counter, [Counter.hits.add(1), Counter.ttl.set(now + KEEP_SECONDS)], unlocked & under):
        return Try(org_id, email_index, last=False)
    lock_ends = now + policy.lockout_minutes * 60
    last_one = unlocked & (Counter.hits >= policy.lockout_threshold - 1)  # >=: the policy may have dropped
    if update_if(counter, [Counter.hits.add(1), Counter.locked_until.set(lock_ends),
                              Counter.ttl.set(lock_ends + KEEP_SECONDS)], last_one):
        return Try(org_id, email_index, last=True)
    if update_if(counter, [Counter.hits.set(1), Counter.locked_until.remove(),
                              Counter.ttl.set(now + KEEP_SECONDS)], Counter.locked_until <= now):
        return Try(org_id, email_index, last=False)  # the lock ran out: counting starts again
    raise TooManyAttempts(retry_after=seconds_locked(org_id, email_index) or 1)


def give_back(attempt: Try) -> None:
    """The secret was right but the login is not finished (a second step follows): return the try,
    and lift the lock it took, so the next step starts where the failures stood."""
    actions: list[Action] = [Counter.hits.add(-1)]
    if attempt.last:
        actions.append(Counter.locked_until.remove())
    Counter(_key(attempt.org_id, attempt.email_index)).update(actions=actions)


def seconds_locked(org_id: str, email_index: str) -> int:
    """Seconds until the account may try again; 0 when it is not locked."""
    try:
        counter = Counter.get(_key(org_id, email_index), consistent_read=True)
    except Counter.DoesNotExist:
        return 0
    return max(int(counter.locked_until or 0) - _now(), 0)


def locks_of(org_id: str, email_indexes: list[str]) -> dict[str, datetime]:
    """When each locked account of `email_indexes` may try again (one batch read); the unlocked are absent."""
    now = _now()
    keys = {_key(org_id, index): index for index in dict.fromkeys(email_indexes)}
    return {keys[counter.key]: datetime.fromtimestamp(int(counter.locked_until), UTC)
            for counter in Counter.batch_get(list(keys), consistent_read=True)
            if counter.locked_until is not None and int(counter.locked_until) > now}


def claim_refusal_notice(org_id: str, email_index: str) -> bool:
    """True for the first refusal of the current lock only: the audit chain records that one, the
    login-attempt log keeps every refusal (flooding a locked account adds one event per lock period)."""
    try:
        locked_until = Counter.get(_key(org_id, email_index), consistent_read=True).locked_until
    except Counter.DoesNotExist:
        return False
    if locked_until is None:
        return False
    not_yet = Counter.refusal_noticed.does_not_exist() | (Counter.refusal_noticed != locked_until)
    return update_if(Counter(_key(org_id, email_index)), [Counter.refusal_noticed.set(locked_until)],
                        (Counter.locked_until == locked_until) & not_yet)


def clear(org_id: str, email_index: str) -> None:
    """Forget failures: after a whole successful login, a new password, or an admin's unlock."""
    Counter(_key(org_id, email_index)).delete()


def clear_in(tx: TransactWrite, org_id: str, email_index: str) -> None:
    """`clear` as part of the transaction `tx` (a whole login's)."""
    tx.delete(Counter(_key(org_id, email_index)))


def _now() -> int:
    return int(clock.now().timestamp())


def announce(org_id: str, actor: str, origin: audit.Origin) -> None:
    """Audit a lock just taken and log it: the `AccountLockouts` metric (and its spike alarm) counts these."""
    audit.record(org_id, actor, "auth.locked_out", subjects={"user_id": actor}, origin=origin)
    logger.warning(LOCKOUT_LOG_MESSAGE, extra={"org_id": org_id})
