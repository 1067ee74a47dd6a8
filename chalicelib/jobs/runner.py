"""One run of a job: its report, a metric (aws-lambda-powertools, EMF), an SNS alert when it failed, an
event on the system audit chain and a log line. A job never raises: what failed is in its report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.logs import logger
from chalicelib.services import audit

SYSTEM_CHAIN = "_system"  # the audit chain of events that belong to no org (jobs, operators)
METRIC_NAMESPACE = "SafeSlot"
METRIC_SERVICE = "safeslot-jobs"  # the `service` dimension powertools adds to every metric
# The metric each job's failures count in (0 or 1 per run); infra/stack.py alarms on each of them.
FAILURE_METRICS = {"backup": "BackupFailures", "restore_drill": "RestoreDrillFailures",
                   "audit_verify": "AuditChainFailures", "audit_digest": "AuditDigestFailures"}
DELETED_METRIC = "ItemsDeleted"  # per run, and per run and table: what retention and deletions removed
SUCCESS_METRIC = "JobSucceeded"  # 1 per successful run: the dead man's switch alarms when it stops coming


def failure_metric(job: str) -> str:
    return FAILURE_METRICS.get(job, "JobFailures")


def metric_dimensions(job: str) -> dict[str, str]:
    """The exact dimensions of every metric a run of `job` emits (an alarm must name all of them)."""
    return {"service": METRIC_SERVICE, "job": job}


@dataclass
class JobReport:
    job: str
    failures: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)  # items deleted per table (retention, erasure)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, what: str) -> None:
        """Record a failure: a short description with ids, never personal data."""
        self.failures.append(what)

    def count_deleted(self, counts: dict[str, int]) -> None:
        """Add items deleted per table (logical names) to what this run reports and emits."""
        for table, count in counts.items():
            self.deleted[table] = self.deleted.get(table, 0) + count

    def as_dict(self) -> dict[str, Any]:
        deleted = {"deleted_items": dict(sorted(self.deleted.items()))} if self.deleted else {}
        return {"job": self.job, "ok": self.ok, "failures": self.failures, **self.details, **deleted}


def run_job(job: str, work: Callable[[JobReport], object], actor: str = "scheduler",
            audited: bool = True) -> JobReport:
    """Run `work` and report on it (metrics, alert, audit, log) whatever happens inside. `audited=False`
    leaves successful runs off the system chain (the minutely audit sweep); failures are always on it."""
    report = JobReport(job)
    started = time.perf_counter()
    try:
        with aws.job_settings():  # no caller waits: longer read timeouts, more retries
            work(report)
    except Exception as error:
        logger.exception("job failed", extra={"job": job})
        report.fail(f"unexpected {type(error).__name__}")
    report.details["seconds"] = round(time.perf_counter() - started, 3)
    _emit_metrics(report)
    if not report.ok:
        _alert(report)
    if audited or not report.ok:
        audit.record(SYSTEM_CHAIN, actor, f"job.{job}", outcome="success" if report.ok else "failure",
                     subjects={"failures": str(len(report.failures))})
    logger.info("job finished", extra={"job": job, "ok": report.ok, "failures": report.failures})
    return report


def _emit_metrics(report: JobReport) -> None:
    metrics = EphemeralMetrics(namespace=METRIC_NAMESPACE, service=METRIC_SERVICE)
    metrics.add_dimension(name="job", value=report.job)
    metrics.add_metric(name=failure_metric(report.job), unit=MetricUnit.Count, value=0 if report.ok else 1)
    metrics.add_metric(name=SUCCESS_METRIC, unit=MetricUnit.Count, value=1 if report.ok else 0)
    metrics.add_metric(name="JobSeconds", unit=MetricUnit.Seconds, value=report.details["seconds"])
    if report.deleted:
        metrics.add_metric(name=DELETED_METRIC, unit=MetricUnit.Count, value=sum(report.deleted.values()))
    metrics.flush_metrics()
    for table, count in sorted(report.deleted.items()):  # one document per table: its own dimension set
        per_table = EphemeralMetrics(namespace=METRIC_NAMESPACE, service=METRIC_SERVICE)
        per_table.add_dimension(name="job", value=report.job)
        per_table.add_dimension(name="table", value=table)
        per_table.add_metric(name=DELETED_METRIC, unit=MetricUnit.Count, value=count)
        per_table.flush_metrics()


def _alert(report: JobReport) -> None:
    topic = settings().alert_topic_arn
    if not topic:
        logger.error("job failed and no alert topic is set", extra={"job": report.job})
        return
    aws.client("sns").publish(TopicArn=topic, Subject=f"SafeSlot {report.job} failed"[:100],
                              Message="\n".join([f"{report.job} failed at {report.details.get('run_id', '')}:",
                                                 *report.failures]))
