"""The claims that scheduled notices leave behind (jobs/once.py), named in one place: the jobs write them
when they send a reminder or a privacy-policy notice, and a patient's export reads them back."""

from __future__ import annotations

from chalicelib.models.counter import Counter

ONCE_PREFIX = "once/"  # jobs/once.py keeps its markers under this prefix


def reminder_key(org_id: str, booking_id: str, sequence: int, offset_minutes: int) -> str:
    return f"reminder/{org_id}/{booking_id}/{sequence}/{offset_minutes}"


def policy_notice_key(org_id: str, version: int, recipient: str) -> str:
    return f"policy-notice/{org_id}/{version}/{recipient}"


def claimed(keys: list[str]) -> set[str]:
    """Which of `keys` have a claim (one BatchGetItem per 100 keys)."""
    if not keys:
        return set()
    found = Counter.batch_get([ONCE_PREFIX + key for key in keys], attributes_to_get=["key"])
    return {item.key.removeprefix(ONCE_PREFIX) for item in found}
