"""`make run` runs every `@app.schedule` job on its schedule (scripts/local_scheduler.py): the same
functions EventBridge invokes, so an audit entry waiting in an outbox reaches the chain without anyone
running manage.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.api.schedules import DEADLINES
from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.services import audit
from chalicelib.services.organizations import create_org
from scripts import local_scheduler

STARTED = datetime(2026, 12, 6, 2, 58, tzinfo=UTC)  # a Sunday


def _job(name: str) -> local_scheduler.Scheduled:
    return next(job for job in local_scheduler.scheduled_functions() if job.name == name)


def test_the_local_scheduler_runs_every_scheduled_function_of_the_app():
    assert {job.name for job in local_scheduler.scheduled_functions()} == set(DEADLINES)


def test_rates_fire_every_period_and_crons_at_their_utc_times():
    sweep, reminders, backup, drill = (_job(n) for n in ("audit_chain_sweep", "appointment_reminders",
                                                         "daily_backup", "weekly_restore_drill"))
    minutes = [STARTED + timedelta(minutes=n) for n in range(0, 24 * 60)]

    assert [m for m in minutes if sweep.due(m, STARTED)] == minutes[1:]
    assert len([m for m in minutes if reminders.due(m, STARTED)]) == 24 * 4 - 1
    assert [m.strftime("%H:%M") for m in minutes if backup.due(m, STARTED)] == ["03:00"]
    assert [m.strftime("%a %H:%M") for m in minutes if drill.due(m, STARTED)] == ["Sun 05:00"]


def test_an_audit_entry_waiting_in_the_outbox_reaches_the_chain_on_the_next_minute(aws_stack):
    org = create_org("scheduled", "Scheduled clinic")
    waiting = audit.entry(org.org_id, "someone", "customer.read")
    waiting.save()  # committed with its change, chaining deferred (as after a killed request)
    assert AuditOutboxEntry.count(org.org_id) == 1
    jobs = local_scheduler.scheduled_functions()
    started = datetime.now(UTC).replace(second=0, microsecond=0)

    ran = local_scheduler.run_due(jobs, started + timedelta(minutes=1), started, wait=True)

    assert "audit_chain_sweep" in ran
    assert AuditOutboxEntry.count(org.org_id) == 0
    assert [e.entry_id for e in AuditEvent.query(org.org_id) if e.action == "customer.read"] == [waiting.entry_id]
