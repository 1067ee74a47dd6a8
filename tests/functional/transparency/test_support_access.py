"""Vendor support sees a clinic's data only by the clinic's grant, reads only, and every read is audited."""

from __future__ import annotations

import pytest

from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.services.support.grants import support_actor
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, login, post_json, token_for
from tests.functional.jobs.helpers import alerts, mail_to
from tests.functional.transparency.helpers import ask_access, enroll_totp, fresh_code, make_vendor, with_password


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("admin", "staff", "auditor"))


@pytest.fixture
def vendor(aws_stack):
    return make_vendor()


@pytest.fixture
def booked(client, clinic):
    answer = body(book(client, clinic, at(next_weekday(), "10:00"), notes="Allergic to latex"))
    return answer["booking"]["id"], Booking.get(clinic.org_id, answer["booking"]["id"]).customer_id


@pytest.fixture
def owner(client, clinic):
    token = token_for(client, clinic.accounts["owner"])
    return token, enroll_totp(client, token)


def read_routes(booking_id: str, customer_id: str) -> list[str]:
    day = next_weekday()
    return [f"/v1/support/bookings?from={day}T00:00:00Z&to={day}T23:59:00Z", f"/v1/support/bookings/{booking_id}",
            f"/v1/support/customers/{customer_id}", "/v1/support/services"]


def approved_session(client, clinic, vendor, owner, hours=4):
    """Ask, approve with the owner's fresh code, open a support session: (grant id, support token)."""
    agent = vendor.token(vendor.first)
    grant = body(ask_access(client, agent, clinic.slug, hours))["grant"]
    approved = post_json(client, f"/v1/org/support-grants/{grant['id']}/approve", with_password(fresh_code(owner[1])),
                         owner[0])
    assert approved.status_code == 200, approved.body
    opened = call(client, "POST", f"/v1/support/grants/{grant['id']}/session", agent)
    assert opened.status_code == 201, opened.body
    return grant["id"], body(opened)["token"]


def test_support_without_a_grant_sees_nothing_anywhere(client, clinic, vendor, booked):
    booking_id, customer_id = booked
    agent = vendor.token(vendor.first)
    pending = body(ask_access(client, agent, clinic.slug))["grant"]

    for path in read_routes(booking_id, customer_id):
        assert call(client, "GET", path, agent).status_code == 404, path  # a vendor session is no support token
    assert call(client, "POST", f"/v1/support/grants/{pending['id']}/session", agent).status_code == 404
    for path in (f"/v1/bookings/{booking_id}", f"/v1/customers/{customer_id}"):
        assert call(client, "GET", path, agent).status_code == 404, path  # the clinic's ids lead nowhere
    assert pending["status"] == "requested"


def test_clinic_staff_cannot_use_support_routes_or_ask_for_access(client, clinic, booked):
    owner = token_for(client, clinic.accounts["owner"])

    assert call(client, "GET", "/v1/support/services", owner).status_code == 404
    assert ask_access(client, owner, clinic.slug).status_code == 404


def test_asking_needs_a_second_factor_a_reason_and_at_most_72_hours(client, clinic, vendor):
    one_factor = ask_access(client, vendor.token(vendor.first, assurance=1), clinic.slug)
    too_long = ask_access(client, vendor.token(vendor.first), clinic.slug, hours=73)

    assert (one_factor.status_code, body(one_factor)["error"]["code"]) == (403, "step_up_required")
    assert (too_long.status_code, body(too_long)["error"]["code"]) == (422, "validation_failed")


def test_the_clinic_is_told_of_a_request_and_only_owners_and_admins_approve_with_a_fresh_code(
        client, clinic, vendor, owner):
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    staff = token_for(client, clinic.accounts["staff"])
    path = f"/v1/org/support-grants/{grant['id']}/approve"

    assert post_json(client, path, with_password("000000"), staff).status_code == 403
    assert post_json(client, path, with_password("000000"), owner[0]).status_code == 401  # wrong code: still requested
    seen = body(call(client, "GET", f"/v1/org/support-grants/{grant['id']}", owner[0]))
    assert seen["grant"]["status"] == "requested"
    assert post_json(client, path, with_password(fresh_code(owner[1])), owner[0]).status_code == 200
    assert mail_to(clinic.accounts["owner"].email) and mail_to(clinic.accounts["admin"].email)
    assert not [m for m in mail_to(clinic.accounts["staff"].email) if "support" in m.subject.lower()]


def test_a_stolen_session_cannot_guess_the_approval_code(client, clinic, vendor, owner):
    # wrong codes count toward the approver's lockout: the tenth locks the account and ends its sessions
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    path = f"/v1/org/support-grants/{grant['id']}/approve"

    answers = [post_json(client, path, with_password(f"{n:06d}"), owner[0]).status_code for n in range(10)]

    assert answers == [401] * 9 + [429]
    assert call(client, "GET", f"/v1/org/support-grants/{grant['id']}", owner[0]).status_code == 401
    assert login(client, clinic.accounts["owner"]).status_code == 429
    status = call(client, "GET", f"/v1/org/support-grants/{grant['id']}", token_for(client, clinic.accounts["admin"]))
    assert body(status)["grant"]["status"] == "requested"


def test_approving_a_grant_already_decided_is_a_409_that_spends_no_code(client, clinic, vendor, owner, fake_clock):
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    path = f"/v1/org/support-grants/{grant['id']}/approve"
    assert post_json(client, "/v1/org/support-grants/" + grant["id"] + "/refuse", {}, owner[0]).status_code == 200
    code = fresh_code(owner[1])

    late = post_json(client, path, with_password(code), owner[0])

    assert (late.status_code, body(late)["error"]["code"]) == (409, "conflict")
    second = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    approved = post_json(client, f"/v1/org/support-grants/{second['id']}/approve", with_password(code), owner[0])
    assert approved.status_code == 200  # the code was not spent on the refused grant


def test_with_a_grant_support_reads_and_each_read_is_audited_under_its_own_id(client, clinic, vendor, owner, booked):
    booking_id, customer_id = booked
    grant_id, support = approved_session(client, clinic, vendor, owner)

    answers = [call(client, "GET", path, support) for path in read_routes(booking_id, customer_id)]

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert body(answers[1])["booking"]["notes"] == "Allergic to latex"
    assert body(answers[2])["customer"]["email"] == ALICE["email"]
    seen = body(call(client, "GET", f"/v1/org/support-grants/{grant_id}", owner[0]))["activity"]
    reads = [e for e in seen if e["action"] in ("support.read", "booking.read", "customer.read")]
    assert len(reads) == 4
    assert {e["subjects"]["grant_id"] for e in reads} == {grant_id}
    trail = body(call(client, "GET", "/v1/audit-events?action=customer.read", owner[0]))["events"]
    assert trail[0]["actor"] == support_actor(vendor.first.user_id)


def test_a_support_token_changes_nothing(client, clinic, vendor, owner, booked):
    booking_id, customer_id = booked
    _, support = approved_session(client, clinic, vendor, owner)
    before = (Booking.get(clinic.org_id, booking_id).status, Customer.get(clinic.org_id, customer_id).sealed)

    writes = [call(client, "POST", f"/v1/bookings/{booking_id}/cancel", support, {}),
              call(client, "PATCH", f"/v1/customers/{customer_id}", support, {"name": "Mallory"}),
              call(client, "POST", "/v1/customers", support, {"name": "M", "email": "m@example.org"}),
              call(client, "POST", f"/v1/public/bookings/{booking_id}/cancel", support, {})]

    assert all(w.status_code in (401, 404) for w in writes), [w.status_code for w in writes]
    assert (Booking.get(clinic.org_id, booking_id).status, Customer.get(clinic.org_id, customer_id).sealed) == before


def test_after_expiry_support_sees_nothing(client, clinic, vendor, owner, booked, fake_clock):
    booking_id, customer_id = booked
    grant_id, support = approved_session(client, clinic, vendor, owner, hours=2)

    fake_clock.advance(hours=2, seconds=1)

    for path in read_routes(booking_id, customer_id):
        assert call(client, "GET", path, support).status_code == 404, path
    assert call(client, "POST", f"/v1/support/grants/{grant_id}/session", vendor.token(vendor.first)).status_code == 404
    auditor = token_for(client, clinic.accounts["auditor"])  # the owner's session idled out meanwhile
    assert body(call(client, "GET", "/v1/org/support-grants", auditor))["grants"][0]["status"] == "expired"


def test_revocation_ends_access_at_once(client, clinic, vendor, owner, booked):
    booking_id, customer_id = booked
    grant_id, support = approved_session(client, clinic, vendor, owner)
    assert call(client, "GET", "/v1/support/services", support).status_code == 200

    revoked = call(client, "POST", f"/v1/org/support-grants/{grant_id}/revoke", owner[0])

    assert body(revoked)["grant"]["status"] == "revoked"
    for path in read_routes(booking_id, customer_id):
        assert call(client, "GET", path, support).status_code == 404, path


def test_a_grant_opens_only_for_the_person_who_asked(client, clinic, vendor, owner):
    grant_id, _ = approved_session(client, clinic, vendor, owner)
    other = vendor.token(vendor.second)

    assert call(client, "POST", f"/v1/support/grants/{grant_id}/session", other).status_code == 404


def test_another_orgs_admin_cannot_see_or_decide_a_grant(client, clinic, vendor):
    from tests.functional.identity.helpers import make_org

    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    intruder = token_for(client, make_org("globex")["owner"])

    assert call(client, "GET", f"/v1/org/support-grants/{grant['id']}", intruder).status_code == 404
    assert call(client, "POST", f"/v1/org/support-grants/{grant['id']}/revoke", intruder).status_code == 404
    assert body(call(client, "GET", "/v1/org/support-grants", intruder))["grants"] == []


def test_break_glass_needs_two_different_vendor_people_and_alerts_the_clinic_at_once(
        client, clinic, vendor, owner, booked):
    first, second = vendor.token(vendor.first), vendor.token(vendor.second)
    grant = body(ask_access(client, first, clinic.slug, path="/v1/support/break-glass"))["grant"]
    told_before = len(mail_to(clinic.accounts["owner"].email))

    alone = call(client, "POST", f"/v1/support/break-glass/{grant['id']}/confirm", first)
    assert alone.status_code == 403
    assert call(client, "POST", f"/v1/support/grants/{grant['id']}/session", first).status_code == 404

    opened = call(client, "POST", f"/v1/support/break-glass/{grant['id']}/confirm", second)

    assert body(opened)["grant"]["status"] == "active"
    assert len(mail_to(clinic.accounts["owner"].email)) == told_before + 1
    assert any(grant["id"] in text for text in alerts())
    support = body(call(client, "POST", f"/v1/support/grants/{grant['id']}/session", first))["token"]
    assert call(client, "GET", f"/v1/support/bookings/{booked[0]}", support).status_code == 200
    reviewed = call(client, "POST", f"/v1/org/support-grants/{grant['id']}/review", owner[0])
    assert body(reviewed)["grant"]["reviewed_by"] == clinic.accounts["owner"].user_id
