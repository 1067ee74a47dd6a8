"""The request handler the local fakes share: answers JSON, logs nothing."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any


class QuietJsonHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body are two sends: no 40 ms wait on a kept-alive connection

    def answer(self, status: int, body: dict[str, Any], content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass
