"""Catalog input that was accepted but wrong: blank or control-laden names, zones that are not IANA names
(`localtime`), staff linked to users that do not exist or belong to another org. Each is a 422
`validation_failed` naming its field, and nothing is written."""

from __future__ import annotations

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.services.booking import catalog
from tests.functional.booking.helpers import make_clinic
from tests.functional.identity.helpers import body, call, make_org, post_json, token_for

BAD_NAMES = ["", " ", "   ", "\t\n", "\u00a0\u2003", "Consultation\r\nBcc: all@example.org", "Dr\x00Ada",
             "\u202egnp.exe", "Line\u2028break"]
NOT_IANA_ZONES = ["localtime", "Factory", "posixrules", "right/UTC", "posix/Europe/Paris", "america/new_york",
                  "Europe/Paris ", "../../etc/passwd", "Mars/Base", "EST+5"]


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "staff"))


@pytest.fixture
def admin(client, clinic):
    return token_for(client, clinic.accounts["admin"])


def error_of(response) -> tuple[int, str, str]:
    error = body(response)["error"]
    return response.status_code, error["code"], error.get("field", "")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_blank_or_control_laden_service_name_is_422_and_nothing_is_written(client, clinic, admin, name):
    before = {s.service_id for s in Service.query(clinic.org_id)}

    created = post_json(client, "/v1/services", {"name": name, "duration_minutes": 30}, admin)
    renamed = call(client, "PATCH", f"/v1/services/{clinic.service['id']}", admin, {"name": name})

    assert error_of(created) == error_of(renamed) == (422, "validation_failed", "name")
    assert {s.service_id for s in Service.query(clinic.org_id)} == before
    assert catalog.get_service(clinic.org_id, clinic.service["id"]).name == "Consultation"


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_blank_staff_name_is_422(client, clinic, admin, name):
    created = post_json(client, "/v1/staff", {"display_name": name, "timezone": "UTC"}, admin)

    assert error_of(created) == (422, "validation_failed", "display_name")


@pytest.mark.parametrize("name", ["  ", "\u3000", "Visit\nnow"])
def test_the_service_layer_refuses_blank_names_whatever_calls_it(clinic, name):
    with pytest.raises(ValidationFailed) as refused:
        catalog.create_service(clinic.owner, {"name": name, "duration_minutes": 30})
    with pytest.raises(ValidationFailed):
        catalog.create_staff(clinic.owner, {"display_name": name, "timezone": "UTC"})

    assert refused.value.details == {"field": "name"}


def test_names_are_stored_trimmed(client, clinic, admin):
    created = post_json(client, "/v1/services", {"name": "  Follow-up  ", "duration_minutes": 15}, admin)

    assert created.status_code == 201 and body(created)["service"]["name"] == "Follow-up"


@pytest.mark.parametrize("zone", NOT_IANA_ZONES)
def test_a_zone_that_is_not_an_iana_name_is_422(client, clinic, admin, zone):
    created = post_json(client, "/v1/staff", {"display_name": "Dr Zone", "timezone": zone}, admin)
    moved = call(client, "PATCH", f"/v1/staff/{clinic.staff[0]['id']}", admin, {"timezone": zone})
    slots = client.http.get(f"/v1/public/orgs/{clinic.slug}/slots?service_id={clinic.service['id']}"
                            f"&from=2030-01-07&to=2030-01-08&tz={zone}")

    assert error_of(created) == error_of(moved) == (422, "validation_failed", "timezone")
    assert error_of(slots)[:2] == (422, "validation_failed")
    assert catalog.get_staff(clinic.org_id, clinic.staff[0]["id"]).timezone == "UTC"


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC", "Etc/GMT+5"])
def test_iana_zones_are_accepted(client, clinic, admin, zone):
    created = post_json(client, "/v1/staff", {"display_name": "Dr Zone", "timezone": zone}, admin)

    assert created.status_code == 201 and body(created)["staff"]["timezone"] == zone


def test_staff_linked_to_a_user_that_does_not_exist_is_422(client, clinic, admin):
    before = {m.staff_id for m in StaffMember.query(clinic.org_id)}

    for user_id in ("no-such-user", ""):
        created = post_json(client, "/v1/staff", {"display_name": "Dr Ghost", "timezone": "UTC",
                                                  "user_id": user_id}, admin)
        linked = call(client, "PATCH", f"/v1/staff/{clinic.staff[0]['id']}", admin, {"user_id": user_id})

        assert error_of(created) == error_of(linked) == (422, "validation_failed", "user_id")
    assert {m.staff_id for m in StaffMember.query(clinic.org_id)} == before
    assert catalog.get_staff(clinic.org_id, clinic.staff[0]["id"]).user_id is None


def test_staff_linked_to_another_orgs_user_is_422_like_an_unknown_one(client, clinic, admin):
    stranger = make_org("elsewhere", ("staff",))["staff"]

    created = post_json(client, "/v1/staff", {"display_name": "Dr Borrowed", "timezone": "UTC",
                                              "user_id": stranger.user_id}, admin)

    assert error_of(created) == (422, "validation_failed", "user_id")
    assert body(created)["error"]["message"] == "No user with this id in your organization."


def test_staff_linked_to_a_user_of_the_org_or_to_nobody_is_accepted(client, clinic, admin):
    own = clinic.accounts["staff"].user_id

    linked = post_json(client, "/v1/staff", {"display_name": "Dr Own", "timezone": "UTC", "user_id": own}, admin)
    unlinked = call(client, "PATCH", f"/v1/staff/{body(linked)['staff']['id']}", admin, {"user_id": None})

    assert (linked.status_code, body(linked)["staff"]["user_id"]) == (201, own)
    assert (unlinked.status_code, body(unlinked)["staff"]["user_id"]) == (200, None)
