"""Who saw my record: a patient's report lists each audited read and change of their record, and
nothing about anyone else."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.booking import Booking
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body, call, token_for
from tests.functional.self_service.helpers import mails_to

BOB = {"name": "Bob Other", "email": "bob@example.org"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("frontdesk", "auditor"))


@pytest.fixture
def people(client, clinic):
    """Alice's and Bob's bookings: {name: (booking id, customer id)}."""
    day = next_weekday()
    found = {}
    for name, customer, hour in (("alice", ALICE, "10:00"), ("bob", BOB, "11:00")):
        booking_id = body(book(client, clinic, at(day, hour), customer=customer))["booking"]["id"]
        found[name] = (booking_id, Booking.get(clinic.org_id, booking_id).customer_id)
    return found


def all_bookings_link_token(client, email: str) -> str:
    client.http.post("/v1/public/orgs/clinic/my-bookings", headers={"Content-Type": "application/json"},
                     body=json.dumps({"email": email}))
    return token_of(next(w for w in mails_to(email)[-1].split() if "/my/bookings#" in w))


def staff_reads(client, clinic, people) -> None:
    """The front desk reads Alice twice (details, booking) and Bob once."""
    desk = token_for(client, clinic.accounts["frontdesk"])
    assert call(client, "GET", f"/v1/customers/{people['alice'][1]}", desk).status_code == 200
    assert call(client, "GET", f"/v1/bookings/{people['alice'][0]}", desk).status_code == 200
    assert call(client, "GET", f"/v1/customers/{people['bob'][1]}", desk).status_code == 200


def test_the_report_shows_each_audited_read_of_that_patient_and_nothing_of_anyone_else(client, clinic, people):
    staff_reads(client, clinic, people)

    answer = manage(client, "GET", "/v1/public/my-access-report", all_bookings_link_token(client, ALICE["email"]))

    assert answer.status_code == 200, answer.body
    entries = body(answer)["entries"]
    reads = [(e["action"], e["by"]) for e in entries if e["kind"] == "read"]
    assert reads == [("booking.read", {"kind": "staff", "role": "front desk"}),
                     ("customer.read", {"kind": "staff", "role": "front desk"})]
    assert ("booking.created", {"kind": "you"}) in [(e["action"], e["by"]) for e in entries]
    text = answer.body.decode() if isinstance(answer.body, bytes) else str(answer.body)
    assert people["bob"][0] not in text and people["bob"][1] not in text and "Bob" not in text
    assert "frontdesk@" not in text and "Frontdesk Person" not in text  # a role, not a name, by default


def test_the_clinic_may_choose_to_name_the_staff_who_read(client, clinic, people):
    owner = token_for(client, clinic.accounts["owner"])
    assert call(client, "PUT", "/v1/org/transparency-settings", owner,
                {"access_report_names_staff": True}).status_code == 200
    staff_reads(client, clinic, people)

    entries = body(manage(client, "GET", "/v1/public/my-access-report",
                          all_bookings_link_token(client, ALICE["email"])))["entries"]

    assert {e["by"].get("name") for e in entries if e["kind"] == "read"} == {"Frontdesk Person"}


def test_a_one_booking_link_or_no_link_gives_no_report(client, clinic, people):
    from chalicelib.services.booking import grants

    token, grant = grants.booking_grant(Booking.get(clinic.org_id, people["alice"][0]))
    grant.save()

    assert manage(client, "GET", "/v1/public/my-access-report", token).status_code == 404
    assert manage(client, "GET", "/v1/public/my-access-report", None).status_code == 401
    assert manage(client, "GET", "/v1/public/my-access-report", "forged").status_code == 404


def test_staff_produce_the_same_report_and_producing_it_is_itself_on_the_report(client, clinic, people):
    staff_reads(client, clinic, people)
    auditor = token_for(client, clinic.accounts["auditor"])
    desk = token_for(client, clinic.accounts["frontdesk"])

    by_staff = call(client, "GET", f"/v1/customers/{people['alice'][1]}/access-report", auditor)
    by_desk = call(client, "GET", f"/v1/customers/{people['alice'][1]}/access-report", desk)
    by_patient = body(manage(client, "GET", "/v1/public/my-access-report",
                             all_bookings_link_token(client, ALICE["email"])))

    assert by_desk.status_code == 403
    reads = [e["action"] for e in body(by_staff)["entries"] if e["kind"] == "read"]
    assert reads == ["booking.read", "customer.read"]
    produced = [e["by"] for e in by_patient["entries"] if e["kind"] == "report"]  # newest first
    assert produced == [{"kind": "you"}, {"kind": "staff", "role": "auditor"}]
