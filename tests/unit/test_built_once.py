"""What a threaded server's first burst builds, it builds once (issue 23: the first burst after `make run`
started answered 19-43 x 503 while a hundred threads each parsed the OpenAPI document and built each client).

Each test sends its callers at once, as the burst did, into a build slowed down enough that every caller
arrives before the first build ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

CALLERS = 16


def all_at_once(call: Callable[[], Any]) -> list[Any]:
    ready = threading.Barrier(CALLERS)

    def caller(_: int) -> Any:
        ready.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        return list(pool.map(caller, range(CALLERS)))


def slowly(build: Callable[..., Any], builds: list[int]) -> Callable[..., Any]:
    def slow_build(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        time.sleep(0.2)
        return build(*args, **kwargs)

    return slow_build


def test_racing_callers_share_one_build_and_a_failed_build_is_not_kept():
    from chalicelib.built_once import built_once

    builds: list[int] = []
    failures = iter([True])

    @built_once
    def key(name: str) -> object:
        builds.append(1)
        time.sleep(0.2)
        if next(failures, False):
            raise RuntimeError("KMS unavailable")
        return object()

    with pytest.raises(RuntimeError):
        key("index")
    values = all_at_once(lambda: key("index"))

    assert len(builds) == 2 and all(value is values[0] for value in values)


def test_the_openapi_document_is_parsed_and_a_body_validator_compiled_once_however_many_ask(monkeypatch):
    import fastjsonschema
    import yaml

    from chalicelib.api import spec

    parses: list[int] = []
    compiles: list[int] = []
    monkeypatch.setattr(yaml, "load", slowly(yaml.load, parses))
    monkeypatch.setattr(fastjsonschema, "compile", slowly(fastjsonschema.compile, compiles))
    spec.document.cache_clear()
    spec.body_validator.cache_clear()
    try:
        validators = all_at_once(lambda: spec.body_validator("/v1/public/orgs/{slug}/bookings", "POST"))
    finally:
        spec.body_validator.cache_clear()
        spec.document.cache_clear()

    assert (len(parses), len(compiles)) == (1, 1) and all(v is validators[0] for v in validators)


def test_a_models_botocore_client_is_built_once_however_many_threads_make_its_first_call(monkeypatch):
    import botocore.session
    from pynamodb.connection import Connection

    import chalicelib.models  # noqa: F401 (its base module mends PynamoDB's connection)

    builds: list[int] = []
    monkeypatch.setattr(botocore.session.Session, "create_client",
                        slowly(botocore.session.Session.create_client, builds))
    connection = Connection(region="us-east-1", host="http://127.0.0.1:9")

    clients = all_at_once(lambda: connection.client)

    assert len(builds) == 1 and all(c is clients[0] for c in clients)


def test_every_model_shares_one_botocore_client_and_a_connection_with_its_own_headers_keeps_its_own(monkeypatch):
    import botocore.session
    from pynamodb.connection import Connection

    from chalicelib.models import base
    from chalicelib.models.booking import Booking
    from chalicelib.models.customer import Customer

    builds: list[int] = []
    monkeypatch.setattr(botocore.session.Session, "create_client",
                        slowly(botocore.session.Session.create_client, builds))
    base.reset_connections()  # a cold Lambda: no model has called DynamoDB yet

    booking, customer = Booking._get_connection().connection.client, Customer._get_connection().connection.client
    own = Connection(region="us-east-1", host="http://127.0.0.1:9", extra_headers={"x-trace": "1"}).client

    assert booking is customer and own is not booking and len(builds) == 2  # ~150 ms of CPU each
    base.reset_connections()  # the AWS behind it changed (tests): built again
    assert Booking._get_connection().connection.client is not booking
