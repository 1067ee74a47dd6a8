"""A clinic takes its data with it: the owner, with a fresh second factor, exports all of the org's data.

The request makes a key pair for the export and answers at once with its secret half (shown this once;
never stored, logged or e-mailed) and the export's id; the `org_exports` job, every minute, builds the
archive and encrypts it to the public half. A 10,000-booking org takes longer than API Gateway's 29 s
allows a request (bench `exports`, ADR 0013), so the owner polls the export until it is ready and then
gets 15-minute download links for an hour; the bucket deletes it within a day. Audited
(`org.export_requested`, `org.exported` with ids and counts), one export per org per clock hour.

Every owner is e-mailed at once when one is asked for, and the archive is released only after the
org's cooling-off delay (default 1 hour), which any owner can end for good with a stop (`cooling_off`).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import ExportStopped, NotFound, StepUpRequired
from chalicelib.models.counter import Counter, update_if
from chalicelib.models.user import User
from chalicelib.services import audit, notify, rate_limits
from chalicelib.services.exports import archive, bundle, cooling_off, storage
from chalicelib.services.exports.storage import FAILED, QUEUED, READY, RUNNING, STOPPED, ExportRecord
from chalicelib.services.identity import reauth, users
from chalicelib.services.identity.roles import Permission, Role, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.organizations import org_by_id

EXPORTS_PER_ORG = rate_limits.Limit("org-export", max_hits=1, window_seconds=3600)
RUN_LIMIT = timedelta(minutes=20)  # the job's Lambda stops after 15: a run older than this died
DOWNLOADABLE_FOR = timedelta(hours=1)  # links are given this long after it is ready; the bucket deletes it in a day
_EXPORT_ID = re.compile(r"^[0-9a-f]{32}$")


def request_export(principal: Principal, proof: dict[str, Any]) -> dict[str, Any]:
    """Queue an export of everything of the caller's org; the answer holds its decryption key, this once."""
    require(principal.role, Permission.ORG_EXPORT)
    reauth.require_fresh_factor(principal, "org.export", proof)
    rate_limits.take(EXPORTS_PER_ORG, principal.org_id)
    key, now = archive.new_key(), clock.now()
    record = ExportRecord(uuid.uuid4().hex, principal.org_id, QUEUED, clock.isoformat(now),
                          principal.user_id, archive.recipient_of(key), principal.origin.source_ip,
                          principal.origin.user_agent,
                          release_at=clock.isoformat(now + cooling_off.delay_of(principal.org_id)))
    try:
        storage.save(record)
    except Exception:
        rate_limits.give_back(EXPORTS_PER_ORG, principal.org_id)  # nothing was queued: the hour is not used up
        raise
    audit.record(principal.org_id, principal.user_id, "org.export_requested", origin=principal.origin,
                 subjects={"export_id": record.export_id})
    _tell_owners_asked(record)
    return {**describe(record), "decryption_key": key}


def stop_export(principal: Principal, export_id: str) -> dict[str, Any]:
    """Any owner ends an export for good (during its cooling-off, or after): its archive is deleted and
    never given; the job does not make it. Needs no step-up: stopping only takes away."""
    require(principal.role, Permission.ORG_EXPORT)
    record = _find(principal.org_id, export_id)
    cooling_off.stop(record)
    stopped = record.moved(status=STOPPED, stopped_at=clock.isoformat(clock.now()), stopped_by=principal.user_id)
    storage.save(stopped)
    storage.delete_archive(stopped)
    audit.record(principal.org_id, principal.user_id, "org.export_stopped", origin=principal.origin,
                 subjects={"export_id": export_id})
    return describe(stopped)


def _find(org_id: str, export_id: str) -> ExportRecord:
    record = storage.find(org_id, export_id) if _EXPORT_ID.match(export_id) else None
    if record is None:
        raise NotFound("No such export.")
    return record


def export_status(principal: Principal, export_id: str) -> dict[str, Any]:
    """An export of the caller's org; once ready, with a new 15-minute download link (for an hour)."""
    require(principal.role, Permission.ORG_EXPORT)
    if principal.assurance < 2:
        raise StepUpRequired()
    record = _find(principal.org_id, export_id)
    if cooling_off.stopped(record):
        raise ExportStopped()
    if record.status == RUNNING and clock.now() >= clock.parse_instant(record.started_at or record.created_at,
                                                                        "started_at") + RUN_LIMIT:
        record = record.moved(status=FAILED)  # its run was stopped (the claim keeps it from running again)
        storage.save(record)
    if record.status == READY and clock.now() >= available_until(record):
        storage.delete(record)
        raise NotFound("This export is no longer available; make a new one.")
    if record.status == READY:
        cooling_off.require_downloadable(record)
        audit.record(principal.org_id, principal.user_id, "org.export_link_issued", origin=principal.origin,
                     subjects={"export_id": export_id})
    return describe(record)


def produce(record: ExportRecord) -> ExportRecord | None:
    """Build, encrypt and store one queued export; audited and announced to the owners. A failure marks
    it failed (and is audited) before it propagates. None when another run of the job claimed it first."""
    if not _claim(record) or cooling_off.stopped(record):
        return None
    running = record.moved(status=RUNNING, started_at=clock.isoformat(clock.now()))
    storage.save(running)
    origin = audit.Origin(record.source_ip, record.user_agent)
    try:
        made = bundle.build(org_by_id(record.org_id), bundle.ExportHeader(
            record.export_id, record.org_id, record.created_at, record.created_by))
        sealed = archive.seal(made.data, record.recipient)
        storage.put_archive(record, sealed)
        if cooling_off.stopped(record):  # stopped while it was being made: it never becomes ready
            storage.delete_archive(record)
            return None
    except Exception:
        storage.save(running.moved(status=FAILED, finished_at=clock.isoformat(clock.now())))
        audit.record(record.org_id, record.created_by, "org.exported", outcome="failure", origin=origin,
                     subjects={"export_id": record.export_id})
        raise
    ready = running.moved(status=READY, finished_at=clock.isoformat(clock.now()), size_bytes=len(sealed),
                          sha256=hashlib.sha256(sealed).hexdigest(), counts=made.counts)
    storage.save(ready)
    audit.record_shown(record.org_id, record.created_by, "org.exported", made.customer_ids, origin=origin,
                       subjects={"export_id": record.export_id, **_counted(made.counts)})
    _tell_owners(ready)
    return ready


def _claim(record: ExportRecord) -> bool:
    """One conditional write: of two job runs that found the same queued export, one makes it."""
    claim = Counter(f"org-export-claim/{record.export_id}")
    expires = int((clock.now() + timedelta(days=2)).timestamp())
    return update_if(claim, [Counter.hits.set(1), Counter.ttl.set(expires)], Counter.hits.does_not_exist())


def describe(record: ExportRecord) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": record.export_id, "status": record.status, "created_at": record.created_at,
                             "format": "age-encrypted zip",
                             "release_at": clock.isoformat(cooling_off.release_of(record))}
    if record.status == READY and clock.now() >= cooling_off.release_of(record) and not cooling_off.stopped(record):
        url, expires = storage.download_link(record)
        shown.update(finished_at=record.finished_at, available_until=clock.isoformat(available_until(record)),
                     file_name=storage.file_name(record), size_bytes=record.size_bytes, sha256=record.sha256,
                     counts=record.counts, download={"url": url, "expires_at": clock.isoformat(expires)})
    return shown


def available_until(record: ExportRecord) -> datetime:
    made = clock.parse_instant(record.finished_at or record.created_at, "finished_at")
    return max(made, cooling_off.release_of(record)) + DOWNLOADABLE_FOR


def _counted(counts: dict[str, int]) -> dict[str, str]:
    """{"customers.json": 12} -> {"customers_count": "12"}: the audit subjects of an export are ids and counts."""
    return {name.removesuffix(".json").replace("-", "_") + "_count": str(count)
            for name, count in counts.items() if name.endswith(".json")}


def _tell_owners(record: ExportRecord) -> None:
    """Every active owner hears of the export: when, by whom, from where; never the link or the key."""
    org = org_by_id(record.org_id)
    maker = users.find_user(record.org_id, record.created_by).unseal()["name"]
    text = "\n".join([
        f"An export of all of {org.name}'s data in SafeSlot was asked for on {record.created_at} (UTC)",
        f"by {maker}, from the network address {record.source_ip or 'unknown'}, and made on {record.finished_at}.",
        "",
        f"It can be downloaded from {clock.isoformat(cooling_off.release_of(record))} until "
        f"{clock.isoformat(available_until(record))} by the organization's owners, and the file is deleted "
        f"within a day. Any owner can stop it: POST /v1/org/exports/{record.export_id}/stop.",
        "",
        "If you did not expect this, sign in, end the sessions of your account and change your password, "
        "and review the audit trail (events org.export_requested and org.exported).",
    ])
    for owner in User.query(record.org_id, filter_condition=User.role == Role.OWNER.value):
        if not owner.disabled:
            notify.send_email(owner.unseal()["email"], f"An export of {org.name}'s data was made", text)


def _tell_owners_asked(record: ExportRecord) -> None:
    """Every active owner hears at once that an export was asked for, when it will be released and how to
    stop it; never the link or the key."""
    org = org_by_id(record.org_id)
    maker = users.find_user(record.org_id, record.created_by).unseal()["name"]
    release = clock.isoformat(cooling_off.release_of(record))
    text = "\n".join([
        f"An export of all of {org.name}'s data in SafeSlot was asked for on {record.created_at} (UTC)",
        f"by {maker}, from the network address {record.source_ip or 'unknown'}.", "",
        f"It will not be released before {release} (UTC). If you did not expect it, stop it now: sign in and",
        f"POST /v1/org/exports/{record.export_id}/stop (any owner can; a stopped export is never released).",
        "Then end the sessions of the account that asked for it and review the audit trail.",
    ])
    for owner in User.query(record.org_id, filter_condition=User.role == Role.OWNER.value):
        if not owner.disabled:
            notify.send_email(owner.unseal()["email"], f"An export of {org.name}'s data was asked for", text)
