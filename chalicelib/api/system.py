"""Routes about the service itself: health and the API description."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import __version__
from chalicelib.api import spec

system = Blueprint(__name__)


@system.route("/v1/health", methods=["GET"])
def health() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@system.route("/v1/openapi.json", methods=["GET"])
def openapi() -> dict[str, Any]:
    return spec.document()
