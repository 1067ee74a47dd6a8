"""Where a webhook may post: public HTTPS addresses only (SSRF, OWASP API7:2023; ASVS 1.3.6, 15.3.2).

A URL is checked when it is registered and again before every delivery: its host is resolved and every
address must be global (no loopback, private, link-local such as the instance metadata service at
169.254.169.254, carrier-grade NAT, multicast or reserved range). The delivery then connects to the very
address that was checked, with TLS verified against the URL's host name: a DNS answer that changes between
the check and the connection (rebinding) cannot steer it inside. Redirects are not followed.

Only the local and test stages, with SAFESLOT_WEBHOOKS_ALLOW_LOCAL=1, may post to http:// and loopback
(a receiver on the developer's machine or in a test).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.config import settings
from chalicelib.errors import ValidationFailed

MAX_URL_LENGTH = 2048
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the delivery connects to


def checked(url: str) -> Destination:
    """The destination of `url` if it may be posted to; ValidationFailed (field `url`) otherwise."""
    allow_local = settings().webhooks_allow_local
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise _refused("'url' must be an https URL.")
    try:  # a malformed host ("[::1", a bad port) is a refusal, not a 500
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise _refused("'url' must be an https URL.") from error
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        raise _refused("'url' must be an https URL.")
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise _refused("'url' must name a host, without credentials or a fragment.")
    address = _public_address(host, port, allow_local)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, path, address)


def post(destination: Destination, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to the checked address; the status code (redirects are answers, not followed)."""
    connection: http.client.HTTPConnection
    if destination.scheme == "https":
        connection = _PinnedHTTPSConnection(destination.host, destination.port, destination.address)
    else:
        connection = http.client.HTTPConnection(destination.address, destination.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.path, body=body,
                           headers={**headers, "Host": _host_header(destination)})
        response = connection.getresponse()
        response.read(4096)  # a little of the answer, then close: its body is never stored or logged
        return int(response.status)
    finally:
        connection.close()


def _public_address(host: str, port: int, allow_local: bool) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # unknown host, a NUL, a label too long
        raise _refused("'url' names a host that does not resolve.") from error
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise _refused("'url' names a host that does not resolve.")
    for address in addresses:
        if not _is_public(address) and not (allow_local and ipaddress.ip_address(address).is_loopback):
            raise _refused("'url' must reach a public address, not a private, loopback or link-local one.")
    return addresses[0]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip.sixtofour or ip.teredo):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and not _is_public(str(inner)):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def _host_header(destination: Destination) -> str:
    default = 443 if destination.scheme == "https" else 80
    return destination.host if destination.port == default else f"{destination.host}:{destination.port}"


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, field="url")


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address, the certificate verified against the URL's host name."""

    def __init__(self, host: str, port: int, address: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]
