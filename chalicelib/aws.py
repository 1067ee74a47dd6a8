"""boto3 clients, built lazily in one place, and the time budget every AWS call of a request shares.

`AWS_ENDPOINT_URL` (the local stack's moto server) is honoured by botocore itself. Each attempt is
bounded (`CONNECT_TIMEOUT` + `READ_TIMEOUT`) and retried once, and an attempt that could not finish
before the request's deadline is not started (`RequestDeadlineExceeded`): API Gateway gives up on a
Lambda after 29 s, so a request that waits on a hanging service answers 503 well before that.

Jobs (`@app.schedule` functions, manage.py) have no caller waiting and minutes to run: inside
`job_settings()` the clients of `client()` wait `JOB_READ_TIMEOUT_SECONDS` for an answer and try
`JOB_TOTAL_ATTEMPTS` times, so one slow scan page does not fail a restore or a backup.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from chalicelib.built_once import built_once

CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
TOTAL_ATTEMPTS = 2  # the first try and one retry (botocore's standard mode: throttling, 5xx, resets)
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS  # the longest one attempt can take
REQUEST_BUDGET_SECONDS = 24.0  # every AWS call of one API request ends within this (API Gateway: 29 s)

CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
    retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
)
JOB_CONNECT_TIMEOUT_SECONDS = 5
JOB_READ_TIMEOUT_SECONDS = 60  # a scan page of a large table, a CopyObject, a restore's DescribeTable
JOB_TOTAL_ATTEMPTS = 8  # botocore's standard mode backs off exponentially (up to 20 s) between them
JOB_CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=JOB_CONNECT_TIMEOUT_SECONDS, read_timeout=JOB_READ_TIMEOUT_SECONDS,
    retries={"total_max_attempts": JOB_TOTAL_ATTEMPTS, "mode": "standard"},
)


class RequestDeadlineExceeded(botocore.exceptions.BotoCoreError):
    """An AWS call was not started: it could not have finished within the request's time budget."""

    fmt = "The request's time budget for AWS calls is spent."


class _Deadline(threading.local):
    at: float | None = None


_deadline = _Deadline()


class _Profile(threading.local):
    job: bool = False


_profile = _Profile()


@contextlib.contextmanager
def job_settings() -> Iterator[None]:
    """Within this block (a job, on this thread), `client()` gives clients with the jobs' timeouts and retries."""
    was, _profile.job = _profile.job, True
    try:
        yield
    finally:
        _profile.job = was


def in_job() -> bool:
    return _profile.job


@contextlib.contextmanager
def deadline(seconds: float | None = None) -> Iterator[None]:
    """Within this block (one API request, on this thread), AWS calls end within `seconds` from now
    (default `REQUEST_BUDGET_SECONDS`)."""
    _deadline.at = time.monotonic() + (seconds or REQUEST_BUDGET_SECONDS)
    try:
        yield
    finally:
        _deadline.at = None


def _respect_deadline(**_kwargs: Any) -> None:
    """botocore `before-send` hook: refuse an attempt that could outlast this thread's deadline."""
    if _deadline.at is not None and time.monotonic() + ATTEMPT_SECONDS > _deadline.at:
        raise RequestDeadlineExceeded()


# S3 serves the jobs (backups move large objects; a CopyObject can be quiet for seconds): a longer read
# timeout there. API requests are still bounded by their deadline.
_SLOW_SERVICES = {"s3": CLIENT_CONFIG.merge(botocore.config.Config(read_timeout=60, signature_version="s3v4"))}


def client(service: str, region: str | None = None) -> Any:
    """A boto3 client for `service` (cached per service, region and settings: the API's, or the jobs' inside
    `job_settings()`; `reset()` forgets them)."""
    return _client(service, region, _profile.job)


@built_once
def _client(service: str, region: str | None, for_job: bool) -> Any:
    session = boto3.session.Session(botocore_session=botocore_session())  # its before-send hook included
    config = _SLOW_SERVICES.get(service, CLIENT_CONFIG)
    if for_job:
        config = config.merge(JOB_CLIENT_CONFIG)
    return session.client(service, region_name=region, config=config)


@built_once
def _data_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def botocore_session() -> botocore.session.Session:
    """A fresh botocore session with the bounded client config, for SDKs that build their own clients.

    Sessions share one data loader, so each service's model is parsed once per process instead of
    once per client (~100 ms each on a cold start).
    """
    session = botocore.session.Session()
    session.register_component("data_loader", _data_loader())
    session.set_default_client_config(CLIENT_CONFIG)
    session.register("before-send", _respect_deadline)
    return session


def reset() -> None:
    """Forget every cached client (tests switch between mocked backends)."""
    _client.cache_clear()
