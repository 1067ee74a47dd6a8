"""An export's cooling-off (ADR 0013): its archive is released only the org's `export_cooling_off_minutes`
(default 60) after it was asked for, and every owner, told at once, may stop it until then (and after);
a stopped export is never downloaded. The stop is a permanent marker written with one conditional write,
so no later save of the export's record (the job's, racing the stop) can bring it back."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.errors import ExportNotReleased, ExportStopped
from chalicelib.models.counter import Counter, update_if
from chalicelib.models.organization import Organization
from chalicelib.services.exports.storage import ExportRecord
from chalicelib.services.identity.policy import SecurityPolicy, policy_of

KEEP_MARKER = timedelta(days=2)  # the bucket deletes every export within a day


def delay_of(org_id: str) -> timedelta:
    return timedelta(minutes=policy_of(Organization.get(org_id)).export_cooling_off_minutes)


def release_of(record: ExportRecord) -> datetime:
    """When the archive may first be downloaded (records older than the delay: the default after asking)."""
    if record.release_at:
        return clock.parse_instant(record.release_at, "release_at")
    default = timedelta(minutes=SecurityPolicy().export_cooling_off_minutes)
    return clock.parse_instant(record.created_at, "created_at") + default


def stop(record: ExportRecord) -> bool:
    """Mark the export stopped for good; False when it already was."""
    expires = int((clock.now() + KEEP_MARKER).timestamp())
    return update_if(Counter(_key(record)), [Counter.hits.set(1), Counter.ttl.set(expires)],
                     Counter.hits.does_not_exist())


def stopped(record: ExportRecord) -> bool:
    try:
        Counter.get(_key(record), consistent_read=True)
    except Counter.DoesNotExist:
        return False
    return True


def require_downloadable(record: ExportRecord) -> None:
    """410 export_stopped once stopped; 409 export_not_released (with Retry-After) during the cooling-off."""
    if stopped(record):
        raise ExportStopped()
    release = release_of(record)
    if clock.now() < release:
        raise ExportNotReleased(f"This export is released at {clock.isoformat(release)} (UTC); any owner can "
                                "stop it until then.", retry_after=int((release - clock.now()).total_seconds()) + 1)


def _key(record: ExportRecord) -> str:
    return f"org-export-stop/{record.org_id}/{record.export_id}"
