"""A real HTTP proxy between SafeSlot and its (local) AWS that injects faults on chosen calls.

Point `AWS_ENDPOINT_URL` at it; it forwards every request to the upstream AWS endpoint unchanged,
except those matching a `Fault`, which it answers with an AWS error, hangs, resets, or forwards and
then drops the answer of (the call is applied, the caller never hears). Calls are identified by
service and operation (`("dynamodb", "TransactWriteItems")`, `("kms", "Decrypt")`) from the
`X-Amz-Target` header or, for the other services, from the SigV4 credential scope.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# X-Amz-Target prefixes -> service names, for the JSON protocols SafeSlot uses.
_TARGET_SERVICES = {"DynamoDB_20120810": "dynamodb", "TrentService": "kms"}
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"}


@dataclass
class Fault:
    """What to do with matching calls, `times` times (None: until cleared).

    kind: "error" (answer `status` with the AWS error `code`), "hang" (say nothing for `seconds`, then
    close), "reset" (close with a TCP reset before forwarding), "drop_response" (forward, let AWS apply
    it, then reset instead of answering), "slow" (wait `seconds`, then forward and answer).
    """

    service: str
    operation: str | None = None  # None: every operation of the service
    kind: str = "error"
    code: str = "ServiceUnavailable"
    status: int = 400
    seconds: float = 60.0
    times: int | None = None
    hits: int = 0
    body_contains: str | None = None  # only calls whose request body holds this text (e.g. a table name)

    def matches(self, service: str, operation: str, body: bytes = b"") -> bool:
        spent = self.times is not None and self.hits >= self.times
        wanted = self.body_contains is None or self.body_contains.encode() in body
        return not spent and wanted and service == self.service and self.operation in (None, operation)


@dataclass
class Call:
    service: str
    operation: str
    body: bytes
    fault: str | None  # the kind of fault injected, None when forwarded untouched


@dataclass
class FaultProxy:
    """The proxy; `start()` serves it on 127.0.0.1 on a free port, `url` is its endpoint."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the proxy first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes every hanging handler
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def calls_to(self, service: str, operation: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.service == service and operation in (None, c.operation)]

    def fault_for(self, service: str, operation: str, body: bytes = b"") -> Fault | None:
        """The first live fault matching the call (and count it as used)."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(service, operation, body):
                    fault.hits += 1
                    return fault
        return None

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def wait_or_stop(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def identify(headers: dict[str, str], path: str) -> tuple[str, str]:
    """(service, operation) of an AWS request."""
    target = headers.get("x-amz-target", "")
    if "." in target:
        prefix, operation = target.split(".", 1)
        return _TARGET_SERVICES.get(prefix, prefix.lower()), operation
    scope = headers.get("authorization", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    service = scope[3] if len(scope) > 3 else "unknown"
    return service, path.split("?", 1)[0]


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    return type("BoundProxyHandler", (_ProxyHandler,), {"proxy": proxy})


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two sends: kept alive, Nagle held each body 40 ms
    proxy: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: tests assert on `proxy.calls`

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        service, operation = identify({k.lower(): v for k, v in self.headers.items()}, self.path)
        fault = self.proxy.fault_for(service, operation, body)
        self.proxy.record(Call(service, operation, body, fault.kind if fault else None))
        if fault is None:
            self._answer(*self._forward(body))
        else:
            getattr(self, f"_inject_{fault.kind}")(fault, body)

    def _inject_error(self, fault: Fault, _body: bytes) -> None:
        error = json.dumps({"__type": fault.code, "message": "injected by the fault proxy"}).encode()
        self._answer(fault.status, {"Content-Type": "application/x-amz-json-1.1"}, error)

    def _inject_hang(self, fault: Fault, _body: bytes) -> None:
        self.proxy.wait_or_stop(fault.seconds)
        self._reset()

    def _inject_slow(self, fault: Fault, body: bytes) -> None:
        self.proxy.wait_or_stop(fault.seconds)
        self._answer(*self._forward(body))

    def _inject_reset(self, _fault: Fault, _body: bytes) -> None:
        self._reset()

    def _inject_drop_response(self, _fault: Fault, body: bytes) -> None:
        self._forward(body)  # AWS applies the request ...
        self._reset()  # ... and its answer never arrives

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        upstream = urlsplit(self.proxy.upstream)
        connection = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            connection.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Close the connection with a TCP RST: the client sees 'connection reset', no answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()
