"""A clinic served in process whose every AWS call passes through the fault proxy (tests/harness)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from tests.functional.booking.helpers import Clinic, make_clinic, next_weekday
from tests.harness.fault_proxy import FaultProxy
from tests.harness.mail_drain import drain_after_each_request
from tests.harness.stack import ProxiedStack, proxied_stack

DATA_KEY_MAX_AGE_SECONDS = 2  # short, so that a test can wait for cached data keys to expire


@pytest.fixture
def stack() -> Iterator[ProxiedStack]:
    with proxied_stack(SAFESLOT_DATA_KEY_MAX_AGE_SECONDS=str(DATA_KEY_MAX_AGE_SECONDS),
                       SAFESLOT_STAGE="test", SAFESLOT_PUBLIC_WRITES_PER_IP="1000") as running:
        yield running


@pytest.fixture
def proxy(stack: ProxiedStack) -> FaultProxy:
    return stack.proxy


@pytest.fixture
def client(stack: ProxiedStack) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="test") as test_client:
        drain_after_each_request(test_client)
        yield test_client


@pytest.fixture
def clinic(stack: ProxiedStack) -> Clinic:
    return make_clinic()


@pytest.fixture
def day():
    return next_weekday()
