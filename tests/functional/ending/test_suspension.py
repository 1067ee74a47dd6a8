"""Operators suspend an org: nobody of it signs in, its sessions and pages are refused, its data stays."""

from __future__ import annotations

from chalicelib.jobs.runner import SYSTEM_CHAIN
from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from chalicelib.services.audit.chain import plain_subjects
from tests.functional.booking.helpers import at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.ending.helpers import every_item, run
from tests.functional.identity.helpers import body, call, login, make_org, token_for


def test_a_suspended_orgs_staff_cannot_sign_in_and_their_sessions_are_refused(client, capsys):
    acme = make_org("acme", roles=("admin",))
    session = token_for(client, acme["admin"])

    code, report = run(capsys, "org-suspend", "--org", "acme", "--reason", "Invoice 2026-11 unpaid")

    assert code == 0 and report["status"] == "suspended"
    refused = login(client, acme["owner"])
    assert (refused.status_code, body(refused)["error"]["code"]) == (423, "org_suspended")
    resumed = call(client, "GET", "/v1/auth/me", session)
    assert (resumed.status_code, body(resumed)["error"]["code"]) == (423, "org_suspended")
    assert body(call(client, "GET", "/v1/users", session))["error"]["code"] == "org_suspended"


def test_lifting_a_suspension_lets_the_same_people_back_in_with_their_data(client, capsys):
    acme = make_org("acme", roles=("admin",))
    run(capsys, "org-suspend", "--org", "acme", "--reason", "Abuse report 17 under review")

    code, _ = run(capsys, "org-unsuspend", "--org", "acme")

    assert code == 0
    token = token_for(client, acme["admin"])
    assert {u["email"] for u in body(call(client, "GET", "/v1/users", token))["users"]} == {
        "owner@acme.example", "admin@acme.example"}


def test_a_suspended_orgs_pages_and_public_endpoints_answer_unavailable_and_keep_the_data(client, capsys):
    clinic = make_clinic()
    day = next_weekday()
    booked = body(book(client, clinic, at(day, "10:00")))
    link = token_of(booked["manage_url"])
    before = every_item()

    run(capsys, "org-suspend", "--org", clinic.slug, "--reason", "Invoice 2026-11 unpaid")

    page = client.http.get(f"/book/{clinic.slug}")
    assert page.status_code == 423 and page.headers["Content-Type"].startswith("text/html")
    assert 'id="org-suspended"' in page.body.decode() and "unavailable" in page.body.decode()
    assert '<select id="language">' in page.body.decode()  # the patient can read it in their language
    assert clinic.service["name"].encode() not in page.body
    for response in [client.http.get(f"/v1/public/orgs/{clinic.slug}"),
                     client.http.get(f"/v1/public/orgs/{clinic.slug}/slots?service_id=x&from=2030-01-01&to=2030-01-02"),
                     book(client, clinic, at(day, "11:00")),
                     manage(client, "GET", f"/v1/public/bookings/{booked['booking']['id']}", link),
                     manage(client, "POST", f"/v1/public/bookings/{booked['booking']['id']}/cancel", link, {}),
                     manage(client, "GET", "/v1/public/my-bookings", link)]:
        assert (response.status_code, body(response)["error"]["code"]) == (423, "org_suspended"), response.body
    assert Booking.get(clinic.org_id, booked["booking"]["id"]).status == "confirmed"
    unchanged = [t for t in before if not t.endswith(("counters", "audit_events", "audit_outbox", "orgs"))]
    assert {t: every_item([t])[t] for t in unchanged} == {t: before[t] for t in unchanged}


def test_suspensions_are_audited_on_the_system_chain_with_ids_only(client, capsys):
    acme = make_org("acme")

    run(capsys, "org-suspend", "--org", "acme", "--reason", "Invoice 2026-11 unpaid")
    run(capsys, "org-unsuspend", "--org", "acme")

    events = [e for e in AuditEvent.query(SYSTEM_CHAIN) if (e.action or "").startswith("org.")]
    assert [(e.action, e.actor, plain_subjects(e.subjects)) for e in events] == [
        ("org.suspended", "operator", {"org_id": acme["owner"].org_id}),
        ("org.unsuspended", "operator", {"org_id": acme["owner"].org_id})]


def test_a_suspension_needs_a_reason_and_an_org_that_exists(client, capsys):
    make_org("acme")

    assert run(capsys, "org-suspend", "--org", "acme", "--reason", "  ")[1]["failures"] == [
        "A reason of 1 to 200 printable characters is required."]
    assert run(capsys, "org-suspend", "--org", "nobody", "--reason", "x")[1]["failures"] == [
        "No such organization."]
    assert run(capsys, "org-unsuspend", "--org", "acme")[1]["failures"] == ["The organization is not suspended."]
