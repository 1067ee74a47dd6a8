"""Staff routes for what an org offers: services and staff members with their hours."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.principal import principal_of
from chalicelib.api.requests import json_body
from chalicelib.services.booking import catalog as offer
from chalicelib.services.booking import profile as clinic_profile
from chalicelib.services.identity.roles import Permission, require

catalog = Blueprint(__name__)


@catalog.route("/v1/services", methods=["GET"])
def list_services() -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    require(principal.role, Permission.CATALOG_READ)
    return {"services": [offer.service_view(s) for s in offer.list_services(principal.org_id)]}


@catalog.route("/v1/services", methods=["POST"])
def create_service() -> Response:
    principal = principal_of(catalog.current_request)
    created = offer.create_service(principal, json_body(catalog.current_request))
    return Response(body={"service": created}, status_code=201)


@catalog.route("/v1/services/{service_id}", methods=["GET"])
def get_service(service_id: str) -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    require(principal.role, Permission.CATALOG_READ)
    return {"service": offer.service_view(offer.get_service(principal.org_id, service_id))}


@catalog.route("/v1/services/{service_id}", methods=["PATCH"])
def update_service(service_id: str) -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    return {"service": offer.update_service(principal, service_id, json_body(catalog.current_request))}


@catalog.route("/v1/staff", methods=["GET"])
def list_staff() -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    require(principal.role, Permission.CATALOG_READ)
    return {"staff": [offer.staff_view(m) for m in offer.list_staff(principal.org_id)]}


@catalog.route("/v1/staff", methods=["POST"])
def create_staff() -> Response:
    principal = principal_of(catalog.current_request)
    created = offer.create_staff(principal, json_body(catalog.current_request))
    return Response(body={"staff": created}, status_code=201)


@catalog.route("/v1/staff/{staff_id}", methods=["GET"])
def get_staff(staff_id: str) -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    require(principal.role, Permission.CATALOG_READ)
    return {"staff": offer.staff_view(offer.get_staff(principal.org_id, staff_id))}


@catalog.route("/v1/staff/{staff_id}", methods=["PATCH"])
def update_staff(staff_id: str) -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    return {"staff": offer.update_staff(principal, staff_id, json_body(catalog.current_request))}


@catalog.route("/v1/org/profile", methods=["GET"])
def get_profile() -> dict[str, Any]:
    return {"profile": clinic_profile.read_profile(principal_of(catalog.current_request))}


@catalog.route("/v1/org/profile", methods=["PUT"])
def put_profile() -> dict[str, Any]:
    principal = principal_of(catalog.current_request)
    return {"profile": clinic_profile.change_profile(principal, json_body(catalog.current_request))}
