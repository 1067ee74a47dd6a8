"""Ending orgs' accounts: the daily deletion of orgs whose grace is over, operators' immediate deletion,
suspension and its end, and the restore hook that deletes every deleted org again from restored tables.
Each is audited on the system chain with ids only (`org.deleted`, `org.suspended`, `org.unsuspended`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pynamodb.models import Model

from chalicelib import clock
from chalicelib.errors import DomainError, ValidationFailed
from chalicelib.jobs.runner import SYSTEM_CHAIN, JobReport
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.erasure import ledger
from chalicelib.services.org_lifecycle import deletion, notices, purge, suspension
from chalicelib.services.organizations import org_by_slug

if TYPE_CHECKING:
    from chalicelib.jobs.restore import Restored

ACTOR = "job:org_deletion"


def run_org_deletions(report: JobReport) -> None:
    """Delete every org whose deletion grace has ended."""
    now, deleted = clock.now(), []
    for org in Organization.scan(Organization.deletion_due_at <= now, consistent_read=True):
        if deletion.claim_due(org, now):
            _delete(org, ACTOR, report)
            deleted.append(org.org_id)
    report.details["orgs_deleted"] = deleted


def delete_now(report: JobReport, slug: str, confirm: str | None, actor: str) -> None:
    """An operator deletes an org at once; `confirm` must repeat its slug. Its staff are told."""
    with _refusals(report):
        if confirm != slug:
            raise ValidationFailed("Repeat the org's slug with --confirm to delete it and everything it holds.")
        org = org_by_slug(slug, even_suspended=True)
    if not report.ok:
        return
    org.update(actions=[Organization.suspended_at.set(clock.now()),
                        Organization.suspension_reason.set(suspension.DELETING)],
               condition=Organization.org_id.exists())
    notices.tell_staff(org.org_id, f"{org.name}'s SafeSlot account is deleted",
                       f"SafeSlot's operators deleted {org.name}'s account and every record it held.")
    _delete(org, actor, report)
    report.details["orgs_deleted"] = [org.org_id]


def suspend(report: JobReport, slug: str, reason: str, actor: str) -> None:
    with _refusals(report):
        org = org_by_slug(slug, even_suspended=True)
        suspension.suspend(org, reason)
    if not report.ok:
        return
    audit.record(SYSTEM_CHAIN, actor, "org.suspended", subjects={"org_id": org.org_id})
    report.details.update(org_id=org.org_id, status="suspended")


def unsuspend(report: JobReport, slug: str, actor: str) -> None:
    with _refusals(report):
        org = org_by_slug(slug, even_suspended=True)
        suspension.unsuspend(org)
    if not report.ok:
        return
    audit.record(SYSTEM_CHAIN, actor, "org.unsuspended", subjects={"org_id": org.org_id})
    report.details.update(org_id=org.org_id, status="active")


def replay_org_deletions(restored: Restored) -> None:
    """RESTORE_HOOK: every org the ledger says was deleted is deleted from the restored tables too."""
    tables: dict[type[Model], str] = purge.tables_named(restored.tables)
    deleted, replayed = Counter[str](), 0
    for entry in ledger.entries(source=restored.source):
        if entry.kind == ledger.ORG:
            deleted.update(purge.delete_org_items(entry.subject_id, tables))
            replayed += 1
    restored.hooks["org_deletions"] = {"replayed": replayed, "deleted": dict(sorted(deleted.items()))}


@contextlib.contextmanager
def _refusals(report: JobReport) -> Iterator[None]:
    """An operator's mistake (unknown slug, no confirmation, nothing to undo) fails the run, saying why."""
    try:
        yield
    except DomainError as error:
        report.fail(error.message)


def _delete(org: Organization, actor: str, report: JobReport) -> None:
    counts = deletion.delete_org(org, actor)
    left = purge.org_keys(org.org_id, purge.live_tables())
    if any(left.values()):  # written while the deletion ran: once more, then it is a failure
        counts = {t: counts.get(t, 0) + n for t, n in purge.delete_org_items(org.org_id, purge.live_tables()).items()}
        if any(purge.org_keys(org.org_id, purge.live_tables()).values()):
            report.fail(f"org {org.org_id}: items were left after deleting it twice")
    report.count_deleted(counts)
    audit.record(SYSTEM_CHAIN, actor, "org.deleted",
                 subjects={"org_id": org.org_id, "items": str(sum(counts.values()))})
