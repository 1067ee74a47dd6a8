"""Fixed-window counters in DynamoDB: per-IP limits on login and public routes (ASVS 2.4.1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.crypto.blind_index import blind_index
from chalicelib.errors import RateLimited, TooManyAttempts
from chalicelib.models.counter import Counter, update_if

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

COUNTER_SCOPE = "_counters"  # the blind-index key scope of counters' subjects (no org: some span orgs)


@dataclass(frozen=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


# The public booking API, per source address (API Gateway's WAF rules sit in front of these).
PUBLIC_READS_PER_IP = Limit("public-read-ip", max_hits=120, window_seconds=60)
LINK_REQUESTS_PER_IP = Limit("link-request-ip", max_hits=5, window_seconds=900)
LINK_REQUESTS_PER_EMAIL = Limit("link-request-email", max_hits=3, window_seconds=3600)
# Pending holds (public bookings waiting for the mailbox's proof): a few addresses cannot fill a calendar.
HOLDS_PER_EMAIL = Limit("hold-email", max_hits=3, window_seconds=3600)
HOLDS_PER_ORG = Limit("hold-org", max_hits=200, window_seconds=3600)
# Confirming a hold is not a new write (the hold counted): its own bucket, so a patient's confirm never
# answers 429 after they booked; each hold's code guesses are bounded too (holds.MAX_CODE_ATTEMPTS).
HOLD_CONFIRMS_PER_IP = Limit("hold-confirm-ip", max_hits=60, window_seconds=900)
# Patients' self-service links: per source address, per address asked for (its blind index), per org.
SELF_SERVICE_LINKS_PER_IP = Limit("self-service-link-ip", max_hits=5, window_seconds=900)
SELF_SERVICE_LINKS_PER_EMAIL = Limit("self-service-link-email", max_hits=3, window_seconds=3600)
SELF_SERVICE_LINKS_PER_ORG = Limit("self-service-link-org", max_hits=100, window_seconds=3600)
# Codes sent to a new address a patient wants to use, per customer.
EMAIL_CHANGE_CODES_PER_CUSTOMER = Limit("email-change-customer", max_hits=3, window_seconds=3600)


def login_failures_per_ip() -> Limit:
    """Failed or refused sign-in steps from one address, across every account and org: stops password
    spraying (a setting: a clinic behind one NAT may need more)."""
    return Limit("login-failures-ip", max_hits=settings().login_failures_per_ip, window_seconds=900)


def public_writes_per_ip() -> Limit:
    """Bookings and changes per address in 15 minutes (a setting: clinics behind one NAT may need more)."""
    return Limit("public-write-ip", max_hits=settings().public_writes_per_ip, window_seconds=900)


def holds_per_ip() -> Limit:
    """Holds per source address an hour: the public-writes setting (clinics behind one NAT need more)."""
    return Limit("hold-ip", max_hits=settings().public_writes_per_ip, window_seconds=3600)


def retry_after(limit: Limit, subject: str) -> int:
    """Seconds until `subject` may try again, or 0 if it is under the limit now."""
    window_start, key = _window(limit, subject)
    try:
        hits = int(Counter.get(key, consistent_read=True).hits)
    except Counter.DoesNotExist:
        return 0
    return _seconds_left(limit, window_start) if hits >= limit.max_hits else 0


def hit(limit: Limit, subject: str) -> int:
    """Count one hit; returns the count in the current window (atomic across concurrent requests)."""
    window_start, key = _window(limit, subject)
    counter = Counter(key)
    counter.update(actions=[Counter.hits.add(1), Counter.ttl.set(window_start + 2 * limit.window_seconds)])
    return int(counter.hits)


def throttle(limit: Limit, subject: str) -> None:
    """Take one hit before the work (a conditional write, as `take`); past the limit nothing is counted
    and RateLimited says how many seconds to wait."""
    try:
        take(limit, subject)
    except TooManyAttempts as refused:
        raise RateLimited(**refused.details) from refused


def take_all(counted: list[tuple[Limit, str]]) -> None:
    """Take one hit of each (limit, subject) before the work, each with a conditional write; when one
    refuses, the hits already taken are given back and RateLimited says how long to wait."""
    taken: list[tuple[Limit, str]] = []
    try:
        for limit, subject in counted:
            throttle(limit, subject)
            taken.append((limit, subject))
    except RateLimited:
        give_back_all(taken)
        raise


def give_back_all(counted: list[tuple[Limit, str]]) -> None:
    """Return the hits `take_all` took (the work they paid for did not happen)."""
    for limit, subject in counted:
        give_back(limit, subject)


def take(limit: Limit, subject: str) -> str:
    """Take one hit before the expensive work, with a conditional write: past the limit nothing is
    counted and TooManyAttempts says how long to wait. However many requests race, at most
    `max_hits` of them get through in a window. Returns the counter's key (`give_back_in` returns the hit
    to that window's counter, even when the request ends in the next window)."""
    window_start, key = _window(limit, subject)
    under = Counter.hits.does_not_exist() | (Counter.hits < limit.max_hits)
    if not update_if(Counter(key), [Counter.hits.add(1),
                                       Counter.ttl.set(window_start + 2 * limit.window_seconds)], under):
        raise TooManyAttempts(retry_after=_seconds_left(limit, window_start))
    return key


def give_back_key(key: str) -> None:
    """`give_back` of the hit `take` counted under `key` (its own window's counter)."""
    update_if(Counter(key), [Counter.hits.add(-1)], Counter.hits > 0)


def give_back_in(tx: TransactWrite, key: str) -> None:
    """`give_back` of the hit `take` counted under `key`, as part of the transaction `tx` (no condition:
    the row holds that hit; should its TTL have removed it, the -1 lands on a row that expires too)."""
    expires = int(clock.now().timestamp()) + 86400
    tx.update(Counter(key), actions=[Counter.hits.add(-1), Counter.ttl.set(Counter.ttl | expires)])


def give_back(limit: Limit, subject: str) -> None:
    """Return a hit taken by `take` (the attempt succeeded, so it was not a failure, or the work it paid
    for did not happen)."""
    _, key = _window(limit, subject)
    update_if(Counter(key), [Counter.hits.add(-1)], Counter.hits > 0)


def claim_refusal_notice(limit: Limit, subject: str) -> bool:
    """True for the first refusal of the current window only (that one goes on the audit chain)."""
    window_start, key = _window(limit, subject)
    return update_if(Counter(key), [Counter.refusal_noticed.set(window_start)],
                        Counter.hits.exists() & Counter.refusal_noticed.does_not_exist())


def _window(limit: Limit, subject: str) -> tuple[int, str]:
    now = int(clock.now().timestamp())
    start = now - now % limit.window_seconds
    return start, f"{limit.name}/{counter_subject(subject)}/{start}"


def counter_subject(subject: str) -> str:
    """How a counter names what it counts: a keyed hash, never the source address (or anything else) as
    typed; the limit still tells every full address apart, and the row dies with its window (TTL)."""
    return blind_index(COUNTER_SCOPE, "rate-limit-subject", subject)[:32]


def _seconds_left(limit: Limit, window_start: int) -> int:
    return max(1, window_start + limit.window_seconds - int(clock.now().timestamp()))
