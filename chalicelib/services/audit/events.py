"""Reading the chain: an org's events, newest first, filtered for a person looking for something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib import clock
from chalicelib.models.audit import HEAD_SEQ, AuditEvent
from chalicelib.services.audit.chain import plain_subjects
from chalicelib.services.audit.outbox import Origin, record
from chalicelib.services.audit.shown import names_customer


@dataclass(frozen=True)
class EventFilter:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    customer_id: str | None = None  # events naming this patient (alone or among those shown)


def list_events(org_id: str, query: EventFilter, reader: str, origin: Origin) -> list[dict[str, object]]:
    """The org's events, newest first, filtered by actor, action and time. The read is itself an event."""
    found = matching_events(org_id, query)
    filters = {name: value for name, value in (("actor", query.actor), ("action", query.action),
                                               ("customer_id", query.customer_id)) if value}
    record(org_id, reader, "audit.listed", subjects={**filters, "results": str(len(found))}, origin=origin)
    return found


def matching_events(org_id: str, query: EventFilter) -> list[dict[str, object]]:
    """The org's events, newest first, filtered by actor, action and time (callers audit their own read)."""
    matches = (
        event for event in AuditEvent.query(org_id, AuditEvent.seq > HEAD_SEQ, scan_index_forward=False)
        if _matches(event, query)
    )
    return [describe(event) for _, event in zip(range(query.limit), matches, strict=False)]


def describe(event: AuditEvent) -> dict[str, object]:
    return {
        "seq": int(event.seq), "at": event.at, "actor": event.actor, "action": event.action,
        "subjects": plain_subjects(event.subjects), "outcome": event.outcome,
        "source_ip": event.source_ip, "user_agent": event.user_agent, "hash": event.hash,
    }


def _matches(event: AuditEvent, query: EventFilter) -> bool:
    at = event.at or ""  # UTC ISO 8601 strings sort as instants
    return (
        (query.actor is None or event.actor == query.actor)
        and (query.action is None or event.action == query.action)
        and (query.since is None or at >= clock.isoformat(query.since))
        and (query.until is None or at <= clock.isoformat(query.until))
        and (query.customer_id is None or names_customer(plain_subjects(event.subjects), query.customer_id))
    )
