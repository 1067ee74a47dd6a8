"""A local fake of Duo's Universal Prompt endpoints over TLS (its own certificate authority), enough for
duo-universal: health check, the authorize redirect, and the token endpoint that signs an id_token with
the application's client secret. Tests switch it to misbehave: down, a forged or expired token, a denial."""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.harness.quiet_json_handler import QuietJsonHandler

CLIENT_ID = "DIXXXXXXXXXXXXXXXXXX"
CLIENT_SECRET = "duo-test-secret-" + "x" * 24


class FakeDuo:
    """`with FakeDuo(tmp_path) as duo:`; `duo.api_host` and `duo.ca_path` configure the client."""

    def __init__(self, folder: Path) -> None:
        self.down = False
        self.id_token = "valid"  # valid | forged | expired | deny | other_nonce
        self.codes: dict[str, dict[str, Any]] = {}  # duo_code -> what the prompt was asked, and whether used
        self.ca_path = str(folder / "fake-duo-ca.pem")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.socket = _tls_context(folder, self.ca_path).wrap_socket(self._server.socket, server_side=True)
        self.api_host = f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeDuo:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def approve(self, auth_url: str) -> dict[str, str]:
        """What the user's browser does at the prompt: the redirect's `duo_code` and `state`."""
        import requests

        answer = requests.get(auth_url, allow_redirects=False, verify=self.ca_path, timeout=5)
        query = parse_qs(urlparse(answer.headers["Location"]).query)
        return {"duo_code": query["duo_code"][0], "state": query["state"][0]}

    # --- the endpoints -------------------------------------------------------------------------------

    def _health_check(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 503, {"stat": "FAIL", "message": "service unavailable"}
        self._check_assertion(form, "/oauth/v1/health_check")
        return 200, {"stat": "OK", "response": {"timestamp": int(time.time())}}

    def _authorize(self, query: dict[str, str]) -> str:
        request = jwt.decode(query["request"], CLIENT_SECRET, algorithms=["HS512"],
                             audience=f"https://{self.api_host}")
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"username": request["duo_uname"], "nonce": query.get("nonce"), "used": False}
        return f"{request['redirect_uri']}?{urlencode({'duo_code': code, 'state': request['state']})}"

    def _token(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self._check_assertion(query, "/oauth/v1/token")
        grant = self.codes.get(query.get("code", ""))
        if grant is None or grant["used"]:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        grant["used"] = True
        now = int(time.time()) - (3600 if self.id_token == "expired" else 0)
        claims = {"iss": f"https://{self.api_host}/oauth/v1/token", "aud": CLIENT_ID, "iat": now,
                  "exp": now + 300, "preferred_username": grant["username"], "nonce": self._nonce(grant),
                  "auth_result": {"result": "deny" if self.id_token == "deny" else "allow"}}
        key = "forged-" + CLIENT_SECRET if self.id_token == "forged" else CLIENT_SECRET
        return 200, {"id_token": jwt.encode(claims, key, algorithm="HS512"), "access_token": "x",
                     "token_type": "Bearer", "expires_in": 3600}

    def _nonce(self, grant: dict[str, Any]) -> str | None:
        """The prompt's own nonce, or (`other_nonce`) one minted for another prompt: a token signed with the
        right secret, for the right user, allowed and fresh, that belongs to another sign-in."""
        return secrets.token_urlsafe(27) if self.id_token == "other_nonce" else grant["nonce"]

    def _check_assertion(self, args: dict[str, str], path: str) -> None:
        jwt.decode(args["client_assertion"], CLIENT_SECRET, algorithms=["HS512"],
                   audience=f"https://{self.api_host}{path}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        duo = self

        class Handler(QuietJsonHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                self.send_response(302)
                self.send_header("Location", duo._authorize(_single(parse_qs(url.query))))
                self.end_headers()

            def do_POST(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                args = _single(parse_qs(url.query)) | _single(parse_qs(self.rfile.read(length).decode()))
                try:
                    status, answer = (duo._health_check(args) if url.path.endswith("health_check")
                                      else duo._token(args))
                except jwt.PyJWTError:
                    status, answer = 401, {"stat": "FAIL", "message": "invalid client assertion"}
                self.answer(status, answer)

        return Handler


def _single(query: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[0] for name, values in query.items()}


def _tls_context(folder: Path, ca_path: str) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, written where the client can trust it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake duo")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    Path(ca_path).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = folder / "fake-duo-key.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca_path, key_path)
    return context
