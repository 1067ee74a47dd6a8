"""The org's own account: its status for every role (a banner while a deletion is scheduled), and the
owner's deletion request and its cancellation."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.org_lifecycle.status import describe
from chalicelib.services.organizations import org_by_id

org_account = Blueprint(__name__)


@org_account.route("/v1/org", methods=["GET"])
def get_org() -> dict[str, Any]:
    principal = principal_of(org_account.current_request)
    require(principal.role, Permission.CATALOG_READ)
    return {"org": describe(org_by_id(principal.org_id))}


@org_account.route("/v1/org/deletion", methods=["POST"])
def request_deletion() -> Response:
    from chalicelib.services.org_lifecycle import deletion  # loaded by the deletion requests it serves

    principal, body = principal_of(org_account.current_request), json_body(org_account.current_request)
    return Response(body=deletion.request_deletion(principal, body), status_code=202)


@org_account.route("/v1/org/deletion", methods=["DELETE"])
def cancel_deletion() -> dict[str, Any]:
    from chalicelib.services.org_lifecycle import deletion

    return deletion.cancel_deletion(principal_of(org_account.current_request))


@org_account.route("/v1/org/evidence", methods=["GET"])
def get_evidence() -> dict[str, Any]:
    from chalicelib.services.evidence import evidence  # loaded by the evidence reads it serves

    return {"evidence": evidence(principal_of(org_account.current_request))}
