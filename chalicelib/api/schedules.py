"""The scheduled Lambdas (EventBridge rules): each runs one job through `run_job` and returns its report.
The same jobs run on demand with `python manage.py <job>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalice import Blueprint, Cron, Rate
from chalice.app import CloudWatchEvent

from chalicelib.jobs.runner import run_job

schedules = Blueprint(__name__)
# Each function imports its job when it runs: an HTTP cold start (same package) never loads the jobs.


@dataclass(frozen=True)
class Deadline:
    """A scheduled function's job, and how many hours it may go without a successful run before its
    dead man's switch alarms (infra/stack.py): the schedule's period plus slack for a late start."""

    job: str
    hours: int


# Every scheduled function, by its name: synthesis refuses a schedule without one.
DEADLINES = {
    "daily_backup": Deadline("backup", 26),
    "weekly_restore_drill": Deadline("restore_drill", 168),  # 7 days: CloudWatch's longest alarm window
    "daily_accounts": Deadline("accounts", 26),
    "daily_retention": Deadline("retention", 26),
    "appointment_reminders": Deadline("reminders", 1),
    "policy_notices": Deadline("policy_notices", 2),
    "audit_chain_sweep": Deadline("audit_chain", 1),
    "daily_audit_digest": Deadline("audit_digest", 26),
    "daily_audit_verify": Deadline("audit_verify", 26),
    "org_exports": Deadline("org_exports", 1),
    "daily_org_deletions": Deadline("org_deletion", 26),
}


@schedules.schedule(Cron(0, 3, "*", "*", "?", "*"), name="daily_backup")
def daily_backup(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import backup

    return run_job("backup", backup.run_backup).as_dict()


@schedules.schedule(Cron(0, 5, "?", "*", "SUN", "*"), name="weekly_restore_drill")
def weekly_restore_drill(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import restore

    return run_job("restore_drill", restore.run_drill).as_dict()


@schedules.schedule(Cron(30, 3, "*", "*", "?", "*"), name="daily_accounts")
def daily_accounts(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import accounts

    return run_job("accounts", accounts.run_accounts).as_dict()


@schedules.schedule(Cron(0, 4, "*", "*", "?", "*"), name="daily_retention")
def daily_retention(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import retention

    return run_job("retention", retention.run_retention).as_dict()


@schedules.schedule(Rate(15, unit=Rate.MINUTES), name="appointment_reminders")
def appointment_reminders(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import reminders

    return run_job("reminders", reminders.run_reminders).as_dict()


@schedules.schedule(Rate(1, unit=Rate.HOURS), name="policy_notices")
def privacy_policy_notices(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import policy_notices

    return run_job("policy_notices", policy_notices.run_policy_notices).as_dict()


@schedules.schedule(Rate(1, unit=Rate.MINUTES), name="audit_chain_sweep")
def audit_chain_sweep(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import audit

    return run_job("audit_chain", audit.run_chain_sweep, audited=False).as_dict()


@schedules.schedule(Cron(15, 0, "*", "*", "?", "*"), name="daily_audit_digest")
def daily_audit_digest(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import audit

    return run_job("audit_digest", audit.run_digests).as_dict()


@schedules.schedule(Cron(45, 0, "*", "*", "?", "*"), name="daily_audit_verify")
def daily_audit_verify(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import audit

    return run_job("audit_verify", audit.run_verification).as_dict()


@schedules.schedule(Rate(1, unit=Rate.MINUTES), name="org_exports")
def org_export_builds(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import org_exports

    # Successful runs stay off the system chain (one a minute); each export is on its org's chain.
    return run_job("org_exports", org_exports.run_org_exports, audited=False).as_dict()


@schedules.schedule(Cron(30, 4, "*", "*", "?", "*"), name="daily_org_deletions")
def daily_org_deletions(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.jobs import org_accounts

    return run_job("org_deletion", org_accounts.run_org_deletions).as_dict()
