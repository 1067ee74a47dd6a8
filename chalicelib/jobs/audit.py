"""The audit trail's jobs: chain what requests left in the outboxes, sign each org's digest, and verify
every chain against its digests (the failure metric alarms)."""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.jobs.runner import SYSTEM_CHAIN, JobReport
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.audit import chain, digests


def chains() -> Iterator[str]:
    """Every org's chain, and the system chain (jobs, operators)."""
    yield SYSTEM_CHAIN
    for org in Organization.scan(attributes_to_get=["org_id"]):
        yield org.org_id


def run_chain_sweep(report: JobReport) -> None:
    """Chain every entry that the requests after their commits did not (lease busy, crash, timeout)."""
    chained, left = 0, 0
    for org_id in chains():
        chained += chain.build(org_id)
        left += len(chain.pending(org_id, limit=1))
    report.details.update(chained=chained, orgs_with_entries_left=left)


def run_digests(report: JobReport) -> None:
    """Chain what is pending, then sign and lock a digest of each org's chain."""
    written = 0
    for org_id in chains():
        chain.build(org_id)
        try:
            digests.write(org_id)
            written += 1
        except digests.DigestRefused as refused:
            report.fail(f"org {org_id}: no digest at event {refused.seq}: {refused.reason}")
    report.details["digests_written"] = written


def run_verification(report: JobReport) -> None:
    """Verify every org's chain against all of its digests; each broken chain is one failure."""
    checked = 0
    for org_id in chains():
        result = audit.verify(org_id)
        checked += result.events_checked
        if not result.ok:
            report.fail(f"org {org_id}: audit chain fails at event {result.failed_at_seq}: {result.reason}")
    report.details["events_checked"] = checked
