"""Events that name every patient whose data a read showed at once (an org export, a support calendar
read): HIPAA 164.528's accounting of disclosures needs each patient to find them in their access report.

The ids go into the event's subjects as one sorted, space-separated `customer_ids` value; more than
IDS_PER_EVENT ids are split over several events of the same action ("part": "2/3"), so that an event
stays far below DynamoDB's 400 KB item and each patient is named in exactly one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.services.audit.outbox import Origin, record

CUSTOMER_IDS = "customer_ids"
IDS_PER_EVENT = 1000  # 33 bytes each: about 33 KB of subjects per event


def record_shown(org_id: str, actor: str, action: str, customer_ids: Iterable[str], *,
                 subjects: Mapping[str, str], origin: Origin, outcome: str = "success") -> int:
    """Record `action` naming every customer it showed; returns the number of events written."""
    ids = sorted(set(customer_ids))
    parts = [ids[i:i + IDS_PER_EVENT] for i in range(0, len(ids), IDS_PER_EVENT)] or [[]]
    for number, part in enumerate(parts, start=1):
        named = {CUSTOMER_IDS: " ".join(part)} if part else {}
        numbered = {"part": f"{number}/{len(parts)}"} if len(parts) > 1 else {}
        record(org_id, actor, action, outcome=outcome, subjects={**subjects, **named, **numbered}, origin=origin)
    return len(parts)


def names_customer(subjects: Mapping[str, Any], customer_id: str) -> bool:
    """Whether an event's subjects name `customer_id`, alone or among the customers it showed."""
    return subjects.get("customer_id") == customer_id or customer_id in str(subjects.get(CUSTOMER_IDS, "")).split()
