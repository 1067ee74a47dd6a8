"""Jobs have their own client settings: a scan page slower than the API's 3 s read timeout does not fail a
job (restore, backup, point-in-time counts all scan through `tables.scan`), and a page that still fails
after the client's retries is asked for again from where the scan stood."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest

from chalicelib import aws
from chalicelib.jobs import tables
from chalicelib.jobs.runner import run_job
from chalicelib.models.audit import AuditOutboxEntry
from tests.harness.fault_proxy import Fault

TABLE = AuditOutboxEntry.Meta.table_name
ITEMS = 5


@pytest.fixture
def filled(stack) -> list[str]:
    """ITEMS raw items in one table, written behind the proxy's back."""
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_url, region_name="us-east-1")
    ids = [f"entry-{n}" for n in range(ITEMS)]
    for entry_id in ids:
        dynamodb.put_item(TableName=TABLE, Item={"org_id": {"S": "org"}, "entry_id": {"S": entry_id},
                                                 "at": {"S": "2026-01-01T00:00:00Z"}, "actor": {"S": "a"},
                                                 "action": {"S": "x"}, "outcome": {"S": "success"}})
    return ids


def _scans(proxy) -> int:
    return sum(1 for call in proxy.calls_to("dynamodb", "Scan") if TABLE.encode() in call.body)


def test_a_scan_page_slower_than_the_apis_read_timeout_does_not_fail_a_job(proxy, filled):
    slow = aws.READ_TIMEOUT_SECONDS + 2
    proxy.inject(Fault("dynamodb", "Scan", kind="slow", seconds=slow, times=aws.TOTAL_ATTEMPTS))
    with pytest.raises(botocore.exceptions.ReadTimeoutError):  # the API's client gives up on it ...
        aws.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)
    proxy.clear()
    proxy.inject(Fault("dynamodb", "Scan", kind="slow", seconds=slow, times=1))
    before = _scans(proxy)

    with aws.job_settings():  # ... a job's waits for it
        found = [item["entry_id"]["S"] for item in tables.scan(TABLE)]

    assert sorted(found) == filled
    assert _scans(proxy) - before == 1  # answered on the first try, not retried


def test_a_page_that_fails_past_the_clients_retries_resumes_where_the_scan_stood(proxy, filled, monkeypatch):
    monkeypatch.setattr(aws, "JOB_CLIENT_CONFIG", botocore.config.Config(  # fewer, faster tries for the test
        connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 2, "mode": "standard"}))
    monkeypatch.setattr(tables, "SCAN_RETRY_PAUSE_SECONDS", 0.0)
    aws.reset()
    proxy.inject(Fault("dynamodb", "Scan", kind="reset", times=2, body_contains="ExclusiveStartKey"))

    with aws.job_settings():
        found = [item["entry_id"]["S"] for item in tables.scan(TABLE, page_size=2)]

    assert sorted(found) == filled  # every item once: no page read twice, none skipped
    first_pages = [c for c in proxy.calls_to("dynamodb", "Scan") if b"ExclusiveStartKey" not in c.body]
    assert len(first_pages) == 1  # the scan did not start over
    aws.reset()


def test_scheduled_jobs_and_manage_py_run_with_the_jobs_settings(stack, monkeypatch):
    import manage

    seen: list[bool] = []
    run_job("probe", lambda report: seen.append(aws.in_job()), audited=False)
    monkeypatch.setattr(manage, "parser", lambda: _Parser(lambda args: seen.append(aws.in_job()) or 0))
    manage.main([])

    assert seen == [True, True] and not aws.in_job()


class _Parser:
    def __init__(self, run):
        self._run = run

    def parse_args(self, argv):
        return type("Args", (), {"run": staticmethod(self._run)})()
