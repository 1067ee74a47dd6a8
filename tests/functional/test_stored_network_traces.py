"""What is stored of where a request came from is the network and the browser's product, never the
address or the device (issue 22, item 8); limits and the allowlist still judge the full address."""

from __future__ import annotations

import json

import boto3
import pytest

from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.counter import Counter
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.services.audit import build
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, login, put_policy, token_for

PATIENT_IP = "198.51.100.23"
NEIGHBOUR_IP = "198.51.100.24"  # the same /24
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("staff",))


def _stored_rows() -> str:
    """Every row of the tables that keep where requests came from, as raw DynamoDB JSON."""
    dynamodb = boto3.client("dynamodb")
    rows = []
    for model in (AuditEvent, AuditOutboxEntry, LoginAttempt, Counter):
        rows += dynamodb.scan(TableName=model.Meta.table_name)["Items"]
    return json.dumps(rows)


def _ask_link(client, email: str = ALICE["email"]):
    return client.http.post("/v1/public/orgs/clinic/self-service/link", headers={**JSON, "User-Agent": IPHONE},
                            body=json.dumps({"email": email}))


def test_a_patients_address_and_device_are_kept_nowhere_only_their_network(client, clinic, from_ip):
    book(client, clinic, at(next_weekday(), "10:00"))
    from_ip(PATIENT_IP)
    assert _ask_link(client).status_code == 202
    login(client, clinic.accounts["staff"], password="wrong-password-123")  # a login attempt from there too
    build(clinic.org_id)

    stored = _stored_rows()

    assert PATIENT_IP not in stored and "iPhone" not in stored and "17_1_2" not in stored
    issued = [e for e in AuditEvent.query(clinic.org_id) if e.action == "customer.self_service_link_issued"]
    assert [(e.source_ip, e.user_agent) for e in issued] == [
        ("198.51.100.0/24", "Mozilla/5.0 AppleWebKit/605.1.15 Version/17.1 Mobile/15E148 Safari/604.1")]
    assert {a.source_ip for a in LoginAttempt.query(clinic.org_id)} == {"198.51.100.0/24"}


def test_an_ipv6_address_is_kept_as_its_48_bit_network(client, clinic, from_ip):
    from_ip("2001:db8:abcd:12:34::99")
    login(client, clinic.accounts["staff"], password="wrong-password-123")

    assert {a.source_ip for a in LoginAttempt.query(clinic.org_id)} == {"2001:db8:abcd::/48"}
    assert "2001:db8:abcd:12" not in _stored_rows()


def test_per_address_limits_still_count_each_full_address(client, clinic, from_ip):
    from_ip(PATIENT_IP)
    answers = [_ask_link(client, f"p{n}@example.org").status_code for n in range(6)]
    from_ip(NEIGHBOUR_IP)

    neighbour = _ask_link(client, "someone@example.org")

    assert answers == [202] * 5 + [429]  # SELF_SERVICE_LINKS_PER_IP: 5 in 15 minutes
    assert neighbour.status_code == 202  # a neighbour in the same /24 has a limit of their own


def test_the_allowlist_still_judges_the_full_address(client, clinic, from_ip):
    from_ip(PATIENT_IP)
    owner = token_for(client, clinic.accounts["owner"])
    allowed = put_policy(client, owner, {"ip_allowlist": [f"{PATIENT_IP}/32"]})
    assert allowed.status_code == 200, allowed.body

    from_ip(NEIGHBOUR_IP)  # same stored network, another address
    denied = login(client, clinic.accounts["staff"])

    assert (denied.status_code, body(denied)["error"]["code"]) == (403, "ip_not_allowed")
