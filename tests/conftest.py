"""One place that makes every test's world: fake credentials, moto, the tables, a KMS key, a client.

The environment is set before anything from chalicelib is imported: PynamoDB reads table names then.
"""

from __future__ import annotations

import os

for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]  # mock_aws does not intercept calls sent to a server
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    SAFESLOT_STAGE="test",
    SAFESLOT_TABLE_PREFIX="safeslot-test-",
    SAFESLOT_ALLOWED_ORIGINS="https://clinic.example",
    POWERTOOLS_LOG_LEVEL="INFO",
)

import io  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC  # noqa: E402

import pytest  # noqa: E402
from chalice.test import Client  # noqa: E402

from infra import local_stack  # noqa: E402
from tests.harness import fast_argon2  # noqa: E402
from tests.harness.mail_drain import drain_after_each_request  # noqa: E402

fast_argon2.use(fast_argon2.FAST)  # ~0.05 ms a hash, not ~70 (tests/harness/fast_argon2.py)


@pytest.fixture
def aws_stack() -> Iterator[dict[str, str]]:
    """moto with SafeSlot's key, tables and buckets; yields the SAFESLOT_* variables set."""
    with local_stack.mocked_stack() as created:
        yield created


@pytest.fixture
def production_argon2() -> Iterator[None]:
    """The app's own argon2 parameters for this test (the suite uses the smallest: harness/fast_argon2.py)."""
    fast_argon2.use(fast_argon2.PRODUCTION)
    yield
    fast_argon2.use(fast_argon2.FAST)


@pytest.fixture
def client(aws_stack: dict[str, str]) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="test") as test_client:
        drain_after_each_request(test_client)
        yield test_client


@pytest.fixture
def drain_mail_queue():
    """Run the mail queue's consumer now (for tests that call a service without the client)."""
    from scripts.queue_consumer import drain

    return drain


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's in-process DynamoDB apply each request atomically, as DynamoDB does (and as the local
    stack's server does: scripts/local_aws.py). Threads still interleave between their requests."""
    from scripts.local_aws import atomic_dynamodb_patches

    for owner, name, replacement in atomic_dynamodb_patches():
        monkeypatch.setattr(owner, name, replacement)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        from datetime import datetime

        self.now = datetime.now(UTC)  # starts at the real time, so earlier writes stay in the past

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def fake_clock(aws_stack: dict[str, str]) -> FakeClock:
    from chalicelib import clock

    fake = FakeClock()
    clock.set_source(lambda: fake.now)
    return fake


@pytest.fixture
def from_ip(monkeypatch: pytest.MonkeyPatch):
    """Make the Chalice test client report `ip` as the caller's source IP (as API Gateway would)."""
    from chalice.local import LambdaEventConverter

    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)

    return use


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Every line the app logs during the test, formatted (and redacted) exactly as in production."""
    import logging

    from chalicelib.logs import RedactingFormatter, logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter())
    app_logger = logging.getLogger(logger.name)
    app_logger.addHandler(handler)
    yield buffer
    app_logger.removeHandler(handler)
