"""Operator CLI. Runs against whatever AWS the environment points at (real, or the local stack).

    python manage.py create-org --slug clinic --name "Clinic" --owner-email o@clinic.example [--timezone ...] [--vendor]
    python manage.py verify-audit --org clinic [--export DIR]
    python manage.py audit-chain | audit-digest | audit-verify
    python manage.py backup [--force] | restore-drill | accounts | reminders | policy-notices
    python manage.py retention [--dry-run]
    python manage.py restore --export 2026-11-23 [--from primary|replica] [--prefix NAME]
    python manage.py restore --backup 2026-11-23 [--prefix NAME]
    python manage.py point-in-time-restore --to 2026-11-23T14:05:00Z [--prefix NAME]
    python manage.py erase-customer --org clinic --customer ID --reason patient_request
    python manage.py org-suspend --org SLUG --reason TEXT | org-unsuspend --org SLUG
    python manage.py org-delete --org SLUG --confirm SLUG | org-deletions
    python manage.py reseal [--all]
    python manage.py index-customers --org SLUG
    python manage.py migrate-slot-locks [--dry-run]
    python manage.py break-glass-confirmer --org SAFESLOT-SLUG [--add USER_ID | --remove USER_ID]
    python manage.py evidence [--out DIR] [--html-only]

Jobs print their report as JSON and exit 1 when it says something failed (which also alerts).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.jobs.runner import JobReport

Command = Callable[[argparse.Namespace], int]
OPERATOR = "operator"


def create_org(args: argparse.Namespace) -> int:
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org as create

    org = create(args.slug, args.name, timezone=args.timezone, actor="operator")
    if args.vendor:  # SafeSlot's own support people: their org is marked once, by an operator
        org.update(actions=[type(org).vendor.set(True)])
    owner = create_first_owner(org.org_id, args.owner_email, args.owner_name)
    print(json.dumps({"org_id": org.org_id, "slug": org.slug, "owner_id": owner.user["id"],
                      "owner_setup_token": owner.setup_token}))
    print("Give the owner the setup token; it works once, for 72 hours (POST /v1/auth/setup).",
          file=sys.stderr)
    return 0


def index_customers(args: argparse.Namespace) -> int:
    """Give an org's customers stored before ADR 0021 their search indexes (safe to run again)."""
    from chalicelib.services.organizations import org_by_slug
    from chalicelib.services.patient_search import backfill

    print(json.dumps({"indexed": backfill(org_by_slug(args.org, even_suspended=True).org_id)}))
    return 0


def break_glass_confirmer(args: argparse.Namespace) -> int:
    """The vendor people who may take part in emergency support access; each counts 24 hours after being added."""
    from chalicelib.services.organizations import org_by_slug
    from chalicelib.services.support import confirmers

    org_id = org_by_slug(args.org, even_suspended=True).org_id
    if args.add or args.remove:
        print(json.dumps(confirmers.set_confirmer(org_id, args.add or args.remove, on_list=bool(args.add))))
    print(json.dumps({"confirmers": confirmers.listed(org_id)}))
    return 0


def evidence(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scripts import evidence as report

    for written in report.write(Path(args.out), pdf=not args.html_only):
        print(written)
    return 0


def verify_audit(args: argparse.Namespace) -> int:
    """Verify one org's chain against its signed digests; with --export, also write what an auditor needs."""
    from dataclasses import asdict
    from pathlib import Path

    from chalicelib.services import audit
    from chalicelib.services.organizations import org_by_slug

    org_id = org_by_slug(args.org, even_suspended=True).org_id
    result = audit.export(org_id, Path(args.export)) if args.export else audit.verify(org_id)
    print(json.dumps(asdict(result)))
    return 0 if result.ok else 1


def erase_customer(args: argparse.Namespace) -> int:
    """Erase one customer on a clinic's written request (docs/runbooks/erasure-request.md); prints what went."""
    from chalicelib.errors import NotFound
    from chalicelib.services.erasure.customers import operator_erase
    from chalicelib.services.organizations import org_by_slug

    try:
        report = operator_erase(org_by_slug(args.org).org_id, args.customer, args.reason)
    except NotFound as error:
        print(json.dumps({"ok": False, "error": error.message}))
        return 1
    print(json.dumps({"ok": True, **report}, indent=2))
    return 0


def job(name: str, args: argparse.Namespace) -> int:
    """Run a scheduled job now, as the operator."""
    from chalicelib.jobs import (
        accounts,
        audit,
        backup,
        org_accounts,
        org_exports,
        policy_notices,
        reminders,
        reseal,
        restore,
        retention,
        slot_lock_migration,
    )
    from chalicelib.jobs.runner import run_job

    work: dict[str, Callable[[JobReport], object]] = {
        "audit_chain": audit.run_chain_sweep,
        "audit_digest": audit.run_digests,
        "audit_verify": audit.run_verification,
        "backup": lambda report: backup.run_backup(report, force=args.force),
        "restore_drill": restore.run_drill,
        "accounts": accounts.run_accounts,
        "reminders": reminders.run_reminders,
        "policy_notices": policy_notices.run_policy_notices,
        "org_exports": org_exports.run_org_exports,
        "retention": lambda report: retention.run_retention(report, dry_run=args.dry_run),
        "restore": lambda report: _restore(report, args),
        "point_in_time_restore": lambda report: _point_in_time_restore(report, args),
        "org_deletion": org_accounts.run_org_deletions,
        "org_delete": lambda report: org_accounts.delete_now(report, args.org, args.confirm, OPERATOR),
        "org_suspend": lambda report: org_accounts.suspend(report, args.org, args.reason, OPERATOR),
        "org_unsuspend": lambda report: org_accounts.unsuspend(report, args.org, OPERATOR),
        "reseal": lambda report: reseal.run_reseal(report, every_row=args.all),
        "migrate_slot_locks": lambda report: slot_lock_migration.migrate_slot_locks(report, dry_run=args.dry_run),
    }
    report = run_job(name, work[name], actor=OPERATOR)
    print(json.dumps(report.as_dict(), indent=2, default=str))
    return 0 if report.ok else 1


def _restore(report: JobReport, args: argparse.Namespace) -> object:
    from chalicelib.config import settings
    from chalicelib.jobs import restore

    prefix = args.prefix or f"{settings().table_prefix}restored-{args.export or args.backup}-"
    if args.backup:
        return restore.run_backup_restore(report, args.backup, prefix)
    source = restore.Source.replica() if args.source == "replica" else restore.Source.primary()
    return restore.run_restore(report, args.export, source, prefix)


def _point_in_time_restore(report: JobReport, args: argparse.Namespace) -> object:
    from chalicelib.config import settings
    from chalicelib.jobs import point_in_time

    prefix = args.prefix or f"{settings().table_prefix}pitr-{args.to.strftime('%Y%m%dt%H%M%S')}-"
    return point_in_time.run_point_in_time_restore(report, args.to, prefix)


def instant(value: str) -> datetime:
    """An argument that is an ISO 8601 instant with its offset."""
    from chalicelib import clock
    from chalicelib.errors import ValidationFailed

    try:
        return clock.parse_instant(value, "--to")
    except ValidationFailed as error:
        raise argparse.ArgumentTypeError("an ISO 8601 instant with its offset, e.g. 2026-11-23T14:05:00Z") from error


def parser() -> argparse.ArgumentParser:
    from chalicelib.services.erasure import reasons  # no models: nothing read from the environment yet

    root = argparse.ArgumentParser(prog="manage.py", description="SafeSlot operator commands")
    commands = root.add_subparsers(dest="command", required=True)
    org = commands.add_parser("create-org", help="create an organization")
    org.add_argument("--slug", required=True)
    org.add_argument("--name", required=True)
    org.add_argument("--owner-email", required=True)
    org.add_argument("--owner-name", default="Owner")
    org.add_argument("--timezone", default="UTC")
    org.add_argument("--vendor", action="store_true", help="SafeSlot's own support org (support access)")
    org.set_defaults(run=create_org)
    verify = commands.add_parser("verify-audit", help="check an org's audit chain; exit 1 if broken")
    verify.add_argument("--org", required=True, help="the org's slug")
    verify.add_argument("--export", metavar="DIR",
                        help="write the chain, its digests and the public key here (docs/audit-verification.md)")
    verify.set_defaults(run=verify_audit)
    proof = commands.add_parser("evidence", help="write the security evidence report (HTML and PDF) for an auditor")
    proof.add_argument("--out", default="evidence", metavar="DIR", help="where to write it (default: ./evidence)")
    proof.add_argument("--html-only", action="store_true", help="no PDF (which needs Debian's chromium)")
    proof.set_defaults(run=evidence)
    run_backup = commands.add_parser("backup", help="back up every table to both regions now, and prune")
    run_backup.add_argument("--force", action="store_true", help="a second backup even if today's exists")
    run_backup.set_defaults(run=functools.partial(job, "backup"))
    for name, text in [("restore-drill", "restore the newest backup into scratch tables, verify, delete them"),
                       ("accounts", "password expiry reminders, expired setup tokens, dormant accounts"),
                       ("reminders", "send the appointment reminders that are due"),
                       ("policy-notices", "e-mail the privacy-policy change notices that are due"),
                       ("audit-chain", "chain every audit entry still waiting in an outbox"),
                       ("audit-digest", "sign and lock a digest of every org's audit chain now"),
                       ("audit-verify", "verify every org's audit chain against its digests"),
                       ("org-exports", "make the org exports owners asked for (runs every minute)")]:
        commands.add_parser(name, help=text).set_defaults(run=functools.partial(job, name.replace("-", "_")))
    retention = commands.add_parser("retention", help="delete what the orgs' retention settings say")
    retention.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    retention.set_defaults(run=functools.partial(job, "retention"))
    resealing = commands.add_parser("reseal", help="re-seal rows sealed before crypto-shredding (ADR 0010)")
    resealing.add_argument("--all", action="store_true",
                           help="every row: moves them all under the data key configured now")
    resealing.set_defaults(run=functools.partial(job, "reseal"))
    restore = commands.add_parser("restore", help="restore a backup into new tables and verify it")
    what = restore.add_mutually_exclusive_group(required=True)
    what.add_argument("--export", help="the run (YYYY-MM-DD) whose export to load")
    what.add_argument("--backup", help="the run (YYYY-MM-DD) whose on-demand DynamoDB backups to restore")
    restore.add_argument("--from", dest="source", choices=["primary", "replica"], default="primary")
    restore.add_argument("--prefix", help="name prefix of the new tables (default <prefix>restored-<run>-)")
    restore.set_defaults(run=functools.partial(job, "restore"))
    pitr = commands.add_parser("point-in-time-restore",
                               help="restore every table as it was at one instant into new tables")
    pitr.add_argument("--to", required=True, type=instant,
                      help="the instant, ISO 8601 with its offset (2026-11-23T14:05:00Z)")
    pitr.add_argument("--prefix", help="name prefix of the new tables (default <prefix>pitr-<instant>-)")
    pitr.set_defaults(run=functools.partial(job, "point_in_time_restore"))
    erase = commands.add_parser("erase-customer", help="erase a customer everywhere (a clinic's written request)")
    erase.add_argument("--org", required=True, help="the org's slug")
    erase.add_argument("--customer", required=True, help="the customer's id")
    erase.add_argument("--reason", required=True, choices=reasons.REASONS, help="why (a category, never free text)")
    erase.set_defaults(run=erase_customer)
    _org_commands(commands)
    indexing = commands.add_parser("index-customers", help="give existing customers their search indexes")
    indexing.add_argument("--org", required=True)
    indexing.set_defaults(run=index_customers)
    migrate = commands.add_parser("migrate-slot-locks",
                                  help="move per-granule slot locks into staff-hour items (once, right after deploy)")
    migrate.add_argument("--dry-run", action="store_true", help="count what would move; write nothing")
    migrate.set_defaults(run=functools.partial(job, "migrate_slot_locks"))
    confirmer = commands.add_parser("break-glass-confirmer",
                                    help="list, add or remove the vendor people who may open emergency support access")
    confirmer.add_argument("--org", required=True, help="SafeSlot's own (vendor) org's slug")
    change = confirmer.add_mutually_exclusive_group()
    change.add_argument("--add", metavar="USER_ID", help="put this person on the list (counts 24 hours from now)")
    change.add_argument("--remove", metavar="USER_ID", help="take this person off the list at once")
    confirmer.set_defaults(run=break_glass_confirmer)
    return root


def _org_commands(commands: argparse._SubParsersAction) -> None:
    """Operators end or pause an org's account; each run is audited on the system chain."""
    suspend = commands.add_parser("org-suspend", help="nobody of the org signs in, its pages answer unavailable")
    suspend.add_argument("--org", required=True, help="the org's slug")
    suspend.add_argument("--reason", required=True, help="why (operators see it; no personal data)")
    suspend.set_defaults(run=functools.partial(job, "org_suspend"))
    unsuspend = commands.add_parser("org-unsuspend", help="lift an org's suspension")
    unsuspend.add_argument("--org", required=True, help="the org's slug")
    unsuspend.set_defaults(run=functools.partial(job, "org_unsuspend"))
    delete = commands.add_parser("org-delete", help="delete an org and everything it holds, now, for good")
    delete.add_argument("--org", required=True, help="the org's slug")
    delete.add_argument("--confirm", required=True, metavar="SLUG", help="the same slug again")
    delete.set_defaults(run=functools.partial(job, "org_delete"))
    commands.add_parser("org-deletions", help="delete the orgs whose deletion grace is over").set_defaults(
        run=functools.partial(job, "org_deletion"))


def main(argv: list[str] | None = None) -> int:
    from chalicelib import aws

    args = parser().parse_args(argv)
    run: Command = args.run
    with aws.job_settings():  # an operator's command is a job: the jobs' timeouts and retries
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
