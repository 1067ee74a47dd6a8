"""A small local fake of AWS End User Messaging's voice API (`pinpoint-sms-voice-v2`), which moto does not
serve. It speaks the service's real wire protocol (JSON 1.0, `X-Amz-Target`), so boto3 talks to it through
`AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` exactly as it would to AWS, and it records every call."""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.harness.quiet_json_handler import QuietJsonHandler

TARGET = "PinpointSMSVoiceV2.SendVoiceMessage"
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


class FakeVoiceService:
    """Start with `with FakeVoiceService() as voice:`; `voice.url` is the endpoint, `voice.calls` what was sent."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failure: str | None = None  # e.g. "ThrottlingException": every call answers that error
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeVoiceService:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def spoken_to(self, phone: str) -> list[str]:
        return [call["MessageBody"] for call in self.calls if call["DestinationPhoneNumber"] == phone]

    def _answer(self, target: str | None, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if target != TARGET:
            return 400, {"__type": "UnknownOperationException", "message": str(target)}
        if self.failure:
            return 400, {"__type": self.failure, "message": "injected by the test"}
        problems = [name for name in ("DestinationPhoneNumber", "OriginationIdentity") if not request.get(name)]
        if problems or not E164.match(request["DestinationPhoneNumber"]):
            return 400, {"__type": "ValidationException", "message": f"invalid: {problems or 'number'}"}
        self.calls.append(request)
        return 200, {"MessageId": str(uuid.uuid4())}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(QuietJsonHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, answer = service._answer(self.headers.get("X-Amz-Target"),
                                                 json.loads(self.rfile.read(length) or b"{}"))
                self.answer(status, answer, "application/x-amz-json-1.0")

        return Handler
