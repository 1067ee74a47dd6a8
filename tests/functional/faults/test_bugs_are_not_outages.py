"""A bug raised while handling a DynamoDB timeout is a 500 with its traceback logged under the answer's
correlation id, not a 503 "dependency unavailable" that a caller would retry and nobody could find."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from chalicelib.api import public
from chalicelib.logs import logger
from chalicelib.models.organization import OrgSlug
from tests.functional.identity.helpers import body
from tests.harness.fault_proxy import Fault


def _org_by_slug_with_a_bug_in_its_timeout_handling(slug: str, even_suspended: bool = False):
    try:
        return OrgSlug.get(slug)  # the proxy hangs: botocore's read timeout, then its retry's
    except OrgSlug.DoesNotExist:
        raise
    except Exception as timeout:
        return timeout.retry_after_seconds  # AttributeError, raised while handling the timeout


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """The app's log lines as production writes them: its own (redacting) formatter, correlation id included."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(handler)
    yield buffer
    logging.getLogger(logger.name).removeHandler(handler)


def test_an_attribute_error_inside_the_handling_of_a_timeout_is_a_logged_500(client, clinic, proxy, monkeypatch,
                                                                               production_log):
    monkeypatch.setattr(public, "org_by_slug", _org_by_slug_with_a_bug_in_its_timeout_handling)
    proxy.inject(Fault("dynamodb", "GetItem", kind="hang", seconds=30, body_contains=OrgSlug.Meta.table_name))

    response = client.http.get(f"/v1/public/orgs/{clinic.slug}")

    error = body(response)["error"]
    assert (response.status_code, error["code"]) == (500, "internal_error")
    assert "Retry-After" not in response.headers
    correlation_id = error["correlation_id"]
    assert correlation_id == response.headers["X-Correlation-Id"]
    logged = [json.loads(line) for line in production_log.getvalue().splitlines() if line.startswith("{")]
    with_traceback = [entry for entry in logged if "AttributeError" in str(entry.get("exception", ""))]
    assert with_traceback, logged
    assert all(entry["correlation_id"] == correlation_id for entry in with_traceback)
    assert "retry_after_seconds" in with_traceback[0]["exception"]  # the line of the bug, to find it
    assert not [entry for entry in logged if entry.get("message") == "dependency unavailable"]
