"""SafeSlot in this process, talking HTTP to moto's server through the fault proxy.

    moto server (127.0.0.1, free port)  <-  FaultProxy  <-  AWS_ENDPOINT_URL of the app under test

Resources are created straight on moto; the app's every AWS call (DynamoDB, KMS, S3, SES) then
passes through the proxy, where a test makes it fail.
"""

from __future__ import annotations

import contextlib
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from infra import local_stack
from tests.harness.fault_proxy import FaultProxy


@dataclass
class ProxiedStack:
    proxy: FaultProxy
    aws_url: str  # moto itself, behind the proxy's back (to look at what was really written)
    env: dict[str, str]


@contextlib.contextmanager
def proxied_stack(**settings: str) -> Iterator[ProxiedStack]:
    """Start moto's server and the proxy, create SafeSlot's resources, point the app at the proxy."""
    with local_stack.moto_kms_fixed():
        yield from _proxied_stack(settings)


def _proxied_stack(settings: dict[str, str]) -> Iterator[ProxiedStack]:
    saved = dict(os.environ)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    aws_url = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{aws_url}/moto-api/reset", method="POST"))
    proxy = FaultProxy(aws_url).start()
    try:
        os.environ.update(AWS_ENDPOINT_URL=aws_url, **settings)
        local_stack.forget_cached_state()
        created = local_stack.create_all()
        os.environ.update(created, AWS_ENDPOINT_URL=proxy.url)
        local_stack.forget_cached_state()
        yield ProxiedStack(proxy, aws_url, created)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        local_stack.forget_cached_state()
        proxy.stop()
        moto.stop()
