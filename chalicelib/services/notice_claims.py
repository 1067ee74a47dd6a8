"""The claims that scheduled notices leave behind (jobs/once.py), named in one place: the jobs write them
when they send a reminder or a privacy-policy notice, and a patient's export reads them back. A policy
notice's claim also keeps when its mail went, for the owner's "who has been told" (policy_audience.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.expressions.update import Action

from chalicelib.models.counter import Counter, update_if

ONCE_PREFIX = "once/"  # jobs/once.py keeps its markers under this prefix


def reminder_key(org_id: str, booking_id: str, sequence: int, offset_minutes: int) -> str:
    return f"reminder/{org_id}/{booking_id}/{sequence}/{offset_minutes}"


def policy_notice_key(org_id: str, version: int, recipient: str) -> str:
    return f"policy-notice/{org_id}/{version}/{recipient}"


def claimed(keys: list[str]) -> set[str]:
    """Which of `keys` have a claim (one BatchGetItem per 100 keys)."""
    return set(claims_of(keys))


SENT, NO_ADDRESS = "sent", "no_address"  # how a notice's claim ended (a claim with neither: sent before these)


@dataclass(frozen=True)
class Claim:
    outcome: str  # SENT or NO_ADDRESS
    sent_at: datetime | None  # None for NO_ADDRESS, and for claims written before the time was kept


def record_outcome(key: str, outcome: str, at: datetime) -> None:
    """Stamp a held claim with how its notice ended: mailed at `at`, or nobody's address to mail to."""
    actions: list[Action] = [Counter.outcome.set(outcome)]
    if outcome == SENT:
        actions.append(Counter.sent_at.set(at))
    update_if(Counter(ONCE_PREFIX + key), actions, Counter.key.exists())


def claims_of(keys: list[str]) -> dict[str, Claim]:
    """The claims among `keys` (one BatchGetItem per 100 keys), with how each notice ended."""
    found = Counter.batch_get([ONCE_PREFIX + key for key in keys],
                              attributes_to_get=["key", "outcome", "sent_at"]) if keys else []
    return {item.key.removeprefix(ONCE_PREFIX): Claim(item.outcome or SENT, item.sent_at) for item in found}
