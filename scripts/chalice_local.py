"""`chalice local` with a listen backlog of 128 instead of socketserver's 5, serving on reused threads.

With 5, a burst of concurrent requests (the booking race tests send 50 at once) overflows the queue
and the kernel resets connections before the app sees them; API Gateway has no such limit.

socketserver starts a new thread per connection, so everything the app keeps per thread as a warm Lambda
keeps it per container (each thread's Sealer with its data-key cache and KMS client, PynamoDB's botocore
session) was built again for every request: in a 100-caller burst, a KMS GenerateDataKey and a new KMS
client per booking. Here a pool of REQUEST_THREADS threads serves the connections, each thread like one
warm Lambda container serving one request at a time.

Its handler writes an answer's headers and its body in two sends. On a kept-alive connection (browsers,
schemathesis, any HTTP session) Nagle's algorithm held the body until the client's delayed ACK of the
headers: 40 ms more per request (a health check: 44 ms kept alive, 1.7 ms on a new connection). The
handler sets TCP_NODELAY, as API Gateway's answers arrive.
"""

from __future__ import annotations

import socketserver
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalice.cli import main

REQUEST_THREADS = 128  # as many as the backlog: a burst's callers are all served at once, none queued behind
# an idle keep-alive connection (a browser holds about six)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from chalice.local import ChaliceRequestHandler

    from scripts.reused_threads import serve_on_reused_threads

    socketserver.TCPServer.request_queue_size = 128
    ChaliceRequestHandler.disable_nagle_algorithm = True  # socketserver's StreamRequestHandler option
    serve_on_reused_threads(ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="request"))
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
