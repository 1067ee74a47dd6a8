"""`chalice local` with a listen backlog of 128 instead of socketserver's 5.

With 5, a burst of concurrent requests (the booking race tests send 50 at once) overflows the queue
and the kernel resets connections before the app sees them; API Gateway has no such limit.
"""

from __future__ import annotations

import socketserver
import sys

from chalice.cli import main

if __name__ == "__main__":
    socketserver.TCPServer.request_queue_size = 128
    sys.argv = ["chalice", "local", *sys.argv[1:]]
    sys.exit(main())
