"""Vendor support sees a clinic's data only by the clinic's grant, reads only, and every read is audited."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.support import SupportGrant
from chalicelib.models.user import User
from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from chalicelib.services.support.grants import support_actor
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, login, post_json, step_up, token_for
from tests.functional.jobs.helpers import alerts, mail_to
from tests.functional.transparency.helpers import (
    ask_access,
    enroll_totp,
    fresh_code,
    list_as_confirmer,
    make_vendor,
    with_password,
)


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


def approved_session(client, clinic, vendor, owner, hours=4, person=None, **ask):
    """Ask, approve with the owner's fresh code, open a support session: (grant id, support token)."""
    agent = vendor.token(person or vendor.first)
    grant = body(ask_access(client, agent, clinic.slug, hours, **ask))["grant"]
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
    grant_id, support = approved_session(client, clinic, vendor, owner, notes=True)

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


# --- issue 22: access ends with the person, the org and the grant; notes only by the grant's word -----------

def test_support_sees_no_notes_unless_the_grant_includes_them(client, clinic, vendor, owner, booked, fake_clock):
    booking_id, customer_id = booked
    call(client, "PATCH", f"/v1/customers/{customer_id}", owner[0], {"notes": "hepatitis B"})
    ask = body(ask_access(client, vendor.token(vendor.first), clinic.slug))["grant"]
    assert ask["notes"] is False
    assert "do not ask to read notes" in mail_to(clinic.accounts["owner"].email)[-1].body
    _, support = approved_session(client, clinic, vendor, owner)

    seen_booking = call(client, "GET", f"/v1/support/bookings/{booking_id}", support)
    seen_customer = call(client, "GET", f"/v1/support/customers/{customer_id}", support)

    assert seen_booking.status_code == seen_customer.status_code == 200
    assert "Allergic to latex" not in seen_booking.body.decode() and "notes" not in body(seen_booking)["booking"]
    assert "hepatitis" not in seen_customer.body.decode() and "notes" not in body(seen_customer)["customer"]
    fake_clock.advance(seconds=30)  # the owner's next code
    _, with_notes = approved_session(client, clinic, vendor, owner, notes=True)
    assert body(call(client, "GET", f"/v1/support/customers/{customer_id}", with_notes))["customer"]["notes"] == \
        "hepatitis B"


def vendor_owner(client, vendor):
    """The vendor's owner, stepped up: handing out or taking away power needs it (ADR 0015)."""
    token = token_for(client, vendor.first)
    step_up(client, token)
    return token


@pytest.mark.parametrize("cut_off", [
    lambda client, token, user_id: call(client, "PATCH", f"/v1/users/{user_id}", token, {"disabled": True}),
    lambda client, token, user_id: call(client, "PATCH", f"/v1/users/{user_id}", token, {"role": "staff"}),
    lambda client, token, user_id: call(client, "DELETE", f"/v1/users/{user_id}/sessions", token),
], ids=["disabled", "role_changed", "sessions_ended"])
def test_a_support_token_stops_the_moment_the_vendor_cuts_its_person_off(
        client, clinic, vendor, owner, booked, cut_off):
    booking_id, customer_id = booked
    _, support = approved_session(client, clinic, vendor, owner, person=vendor.second)
    assert call(client, "GET", f"/v1/support/customers/{customer_id}", support).status_code == 200

    assert cut_off(client, vendor_owner(client, vendor), vendor.second.user_id).status_code in (200, 204)

    for path in read_routes(booking_id, customer_id):
        assert call(client, "GET", path, support).status_code == 404, path


def test_a_support_token_stops_when_its_person_is_gone_or_no_longer_in_the_vendor_org(
        client, clinic, vendor, owner, booked, fake_clock):
    _, customer_id = booked
    _, support = approved_session(client, clinic, vendor, owner)
    fake_clock.advance(seconds=30)  # the owner's next code
    _, other = approved_session(client, clinic, vendor, owner, person=vendor.second)

    Organization(vendor.org_id).update(actions=[Organization.vendor.set(False)])
    assert call(client, "GET", "/v1/support/services", support).status_code == 404
    Organization(vendor.org_id).update(actions=[Organization.vendor.set(True)])
    User(vendor.org_id, vendor.second.user_id).delete()

    assert call(client, "GET", f"/v1/support/customers/{customer_id}", other).status_code == 404


def test_a_suspended_clinic_is_closed_to_support_reads_and_new_sessions(client, clinic, vendor, owner, booked, capsys):
    from tests.functional.ending.helpers import run

    booking_id, customer_id = booked
    grant_id, support = approved_session(client, clinic, vendor, owner)

    code, _ = run(capsys, "org-suspend", "--org", clinic.slug, "--reason", "Invoice 2026-11 unpaid")

    assert code == 0
    for path in read_routes(booking_id, customer_id):
        refused = call(client, "GET", path, support)
        assert (refused.status_code, body(refused)["error"]["code"]) == (423, "org_suspended"), path
    opened = call(client, "POST", f"/v1/support/grants/{grant_id}/session", vendor.token(vendor.first))
    assert (opened.status_code, body(opened)["error"]["code"]) == (423, "org_suspended")


def test_one_person_cannot_be_both_break_glass_people_with_a_second_account_made_on_the_spot(
        client, clinic, vendor, booked):
    # the vendor's owner makes himself a second account and confirms his own emergency access with it
    owner = vendor_owner(client, vendor)
    second_me = {"email": "second.me@example.org", "name": "Me Again", "role": "admin"}
    made = post_json(client, "/v1/users", second_me, owner)
    assert made.status_code == 201, made.body
    puppet_id = body(made)["user"]["id"]
    policy = policy_of(Organization.get(vendor.org_id))
    puppet = sessions.start_session(vendor.org_id, puppet_id, "admin", policy, SYSTEM, assurance=2).token
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug, path="/v1/support/break-glass"))["grant"]

    refused = call(client, "POST", f"/v1/support/break-glass/{grant['id']}/confirm", puppet)

    assert refused.status_code == 403
    assert call(client, "POST", f"/v1/support/grants/{grant['id']}/session", vendor.token(vendor.first)).status_code \
        == 404


def test_a_confirmer_added_less_than_a_day_ago_does_not_count(client, clinic, vendor, fake_clock):
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug, path="/v1/support/break-glass"))["grant"]
    list_as_confirmer(vendor, vendor.second, hours_ago=23)
    path = f"/v1/support/break-glass/{grant['id']}/confirm"

    assert call(client, "POST", path, vendor.token(vendor.second)).status_code == 403
    fake_clock.advance(hours=1, seconds=1)
    assert body(call(client, "POST", path, vendor.token(vendor.second)))["grant"]["status"] == "active"


def test_someone_off_the_list_cannot_even_start_an_emergency_access(client, clinic, vendor):
    User(vendor.org_id, vendor.first.user_id).update(actions=[User.break_glass_confirmer_since.remove()])

    started = ask_access(client, vendor.token(vendor.first), clinic.slug, path="/v1/support/break-glass")

    assert started.status_code == 403


@pytest.mark.parametrize("reason", [
    "Ticket 4711\nPlease call our security desk now",
    "Your data is at risk: sign in at https://safeslot-support.example/login",
    "Urgent: verify your account at safeslot-help.example today",
    "Call SafeSlot security on +1 (415) 555-0123 right away",
    "Reply to security@safeslot-help.example with your code",
    "Go to \uff53\uff41\uff46\uff45\uff0e\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45 now to keep access",  # full-width
    # an outside attack slipped these past the first version: dots NFKC keeps, spelled or spaced dots, an IP
    "Verify at safeslot-verify\u3002com right now",
    "Verify at safeslot-verify dot com right now",
    "Verify at safeslot-verify \uff0e com right now",
    "Go to 1.2.3.4 to keep your access",
])
def test_a_reason_that_could_phish_the_clinic_is_refused_and_nobody_is_mailed(client, clinic, vendor, reason):
    told = len(mail_to(clinic.accounts["owner"].email))

    for path in ("/v1/support/access-requests", "/v1/support/break-glass"):
        asked = {"org": clinic.slug, "reason": reason, "hours": 4}
        refused = post_json(client, path, asked, vendor.token(vendor.first))
        assert (refused.status_code, body(refused)["error"]["code"], body(refused)["error"]["field"]) == \
            (422, "validation_failed", "reason")

    assert len(mail_to(clinic.accounts["owner"].email)) == told
    assert list(SupportGrant.scan()) == []


def test_a_plain_reason_reaches_the_clinic_as_one_line(client, clinic, vendor):
    reason = "Ticket 4711: reminders not sent since 2026-12-06 (about 30 patients)"

    asked = post_json(client, "/v1/support/access-requests", {"org": clinic.slug, "reason": reason, "hours": 4},
                      vendor.token(vendor.first))

    assert asked.status_code == 201
    assert f"Reason given: {reason}\n" in mail_to(clinic.accounts["owner"].email)[-1].body


def test_an_operator_keeps_the_break_glass_list_and_a_new_name_counts_only_a_day_later(
        client, clinic, vendor, capsys, fake_clock):
    import manage

    made = post_json(client, "/v1/users", {"email": "night.shift@example.org", "name": "Night", "role": "admin"},
                     vendor_owner(client, vendor))
    newcomer = body(made)["user"]["id"]
    assert manage.main(["break-glass-confirmer", "--org", "safeslot-support", "--add", newcomer]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])["confirmers"]
    assert {p["user_id"] for p in listed} == {vendor.first.user_id, vendor.second.user_id, newcomer}
    policy = policy_of(Organization.get(vendor.org_id))
    grant = body(ask_access(client, vendor.token(vendor.first), clinic.slug, path="/v1/support/break-glass"))["grant"]

    def confirm() -> int:
        token = sessions.start_session(vendor.org_id, newcomer, "admin", policy, SYSTEM, assurance=2).token
        return call(client, "POST", f"/v1/support/break-glass/{grant['id']}/confirm", token).status_code

    assert confirm() == 403
    fake_clock.advance(hours=24, seconds=1)
    assert confirm() == 200


def test_a_support_calendar_read_is_on_each_shown_patients_access_report_and_no_one_elses(
        client, clinic, vendor, owner, booked):
    booking_id, customer_id = booked
    later = body(book(client, clinic, at(next_weekday(), "11:00"), customer={"name": "Bob", "email": "bob@x.example"}))
    bob = Booking.get(clinic.org_id, later["booking"]["id"]).customer_id
    cys = {"name": "Cy", "email": "cy@x.example"}
    other_day = body(book(client, clinic, at(next_weekday(), "12:00"), customer=cys))
    cy = Booking.get(clinic.org_id, other_day["booking"]["id"]).customer_id
    Booking(clinic.org_id, other_day["booking"]["id"]).update(actions=[Booking.starts_at.set(
        Booking.get(clinic.org_id, other_day["booking"]["id"]).starts_at.replace(year=2099))])  # not in the window
    _, support = approved_session(client, clinic, vendor, owner)

    assert call(client, "GET", read_routes(booking_id, customer_id)[0], support).status_code == 200

    def calendar_lines(who: str) -> list[dict]:
        report = body(call(client, "GET", f"/v1/customers/{who}/access-report", owner[0]))["entries"]
        return [e for e in report if e["action"] == "support.read"]

    for shown in (customer_id, bob):
        [line] = calendar_lines(shown)
        assert line["kind"] == "read" and line["by"]["kind"] == "vendor_support"
    assert calendar_lines(cy) == []
