"""boto3 clients, built lazily in one place.

`AWS_ENDPOINT_URL` (the local stack's moto server) is honoured by botocore itself; timeouts and
retries are bounded so that an unreachable service fails a request in seconds, not minutes.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
import botocore.config
import botocore.loaders
import botocore.session

CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
)


@functools.cache
def client(service: str, region: str | None = None) -> Any:
    """A boto3 client for `service` (cached per service and region; `client.cache_clear()` resets)."""
    return boto3.client(service, region_name=region, config=CLIENT_CONFIG)


@functools.cache
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
    return session


def reset() -> None:
    """Forget every cached client (tests switch between mocked backends)."""
    client.cache_clear()
