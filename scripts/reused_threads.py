"""socketserver's threaded servers (`chalice local`, moto's werkzeug server) on a pool of reused threads.

`ThreadingMixIn` starts a thread per connection, and moto's server gets a new connection for every AWS call
(werkzeug closes each one after its answer): starting that thread (and waiting for it to run) was ~7% of
the local AWS's CPU in a 100-caller burst. `chalice local` keeps what each thread builds as a warm Lambda
keeps it per container (scripts/chalice_local.py).
"""

from __future__ import annotations

import socketserver
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def serve_on_reused_threads(workers: ThreadPoolExecutor) -> None:
    """socketserver's ThreadingMixIn hands each connection to a worker of `workers`, not a new thread."""

    def process_request(server: Any, request: Any, client_address: Any) -> None:
        workers.submit(server.process_request_thread, request, client_address)

    socketserver.ThreadingMixIn.process_request = process_request  # type: ignore[method-assign,assignment]
