"""An owner ends the clinic's account: a fresh second factor, 30 days of grace that can be cancelled,
staff and patients told, then every item of the org in every table deleted (HIPAA 164.310(d)(2)(i),
GDPR Art. 17 as the model). Operators can delete at once, and a restore never brings a deleted org back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import app
from chalicelib import clock
from chalicelib.models.customer import Customer
from chalicelib.models.organization import Organization
from chalicelib.models.shred_key import ShredKey
from chalicelib.models.support import SupportGrant, SupportSession
from chalicelib.services.audit import SYSTEM
from chalicelib.services.erasure import ledger
from chalicelib.services.identity import sessions
from chalicelib.services.identity.policy import policy_of
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.ending.helpers import mentioning, run
from tests.functional.identity.helpers import body, call, post_json, token_for
from tests.functional.jobs.helpers import invoke, mails_without_attachments_to
from tests.functional.transparency.helpers import enroll_totp, fresh_code, with_password

BOB = {"name": "Bob Okafor", "email": "bob.okafor@example.org", "phone": "+14155550199"}


def owner_session(client, clinic, secret: str | None = None) -> tuple[str, str]:
    """A session of the owner that began with a second factor (login is tested elsewhere), and the
    secret of their authenticator app (enrolled now unless given)."""
    owner = clinic.accounts["owner"]
    policy = policy_of(Organization.get(clinic.org_id))
    token = sessions.start_session(clinic.org_id, owner.user_id, "owner", policy, SYSTEM, assurance=2).token
    return token, secret or enroll_totp(client, token)


def support_session_into(org_id: str) -> str:
    """A vendor support person's live session into the org (the grant steps are tested elsewhere)."""
    import secrets

    grant = SupportGrant("g-ending", org_id=org_id, agent_id="vendor-agent", kind="request", reason="ticket 1",
                         hours=8, status="active", requested_at=clock.now(),
                         expires_at=clock.now() + timedelta(days=60))
    grant.save()
    token = secrets.token_urlsafe(32)
    SupportSession(sessions.token_hash(token), grant_id=grant.grant_id, expires_at=grant.expires_at,
                   ttl=int(grant.expires_at.timestamp())).save()
    return token


def mails_to(address: str) -> list:
    """The e-mails with no attachment (not the booking confirmations) sent to `address`."""
    return mails_without_attachments_to(address)


def ask_deletion(client, token: str, secret: str):
    return post_json(client, "/v1/org/deletion", with_password(fresh_code(secret)), token)


def left_behind(org_id: str, tables: list[str] | None = None) -> dict[str, list[str]]:
    """Items that still name the org, but the ledger entry, the system chain's ids-only events and the
    tombstones of destroyed keys (no key material: `wrapped` is gone)."""
    found = mentioning(org_id, tables)
    return {table: kept for table, items in found.items() if not table.endswith("erasures")
            if (kept := [i for i in items if '"_system"' not in i
                         and not (table.endswith("shred_keys") and '"wrapped"' not in i)])}


@pytest.fixture
def clinic(client, fake_clock):
    clinic = make_clinic(roles=("admin", "staff"))
    clinic.day = next_weekday()
    assert book(client, clinic, at(clinic.day, "10:00"), notes="knee pain").status_code == 201
    return clinic


def test_only_an_owner_with_a_fresh_code_from_their_authenticator_asks_for_deletion(client, clinic):
    admin = token_for(client, clinic.accounts["admin"])
    password_only = token_for(client, clinic.accounts["owner"])
    token, secret = owner_session(client, clinic)

    forbidden = post_json(client, "/v1/org/deletion", {"code": "123456"}, admin)
    no_step_up = post_json(client, "/v1/org/deletion", {"code": "123456"}, password_only)
    wrong_code = post_json(client, "/v1/org/deletion", with_password("000000"), token)
    fuzzed = "\u00f6|\U000f3a2e\u00fbh\u00af"
    not_digits = post_json(client, "/v1/org/deletion", with_password(fuzzed), token)  # as fuzzed

    assert (forbidden.status_code, body(forbidden)["error"]["code"]) == (403, "forbidden")
    assert (no_step_up.status_code, body(no_step_up)["error"]["code"]) == (403, "step_up_required")
    assert (wrong_code.status_code, body(wrong_code)["error"]["code"]) == (401, "invalid_credentials")
    assert (not_digits.status_code, body(not_digits)["error"]["code"]) == (401, "invalid_credentials")
    assert Organization.get(clinic.org_id).deletion_due_at is None
    asked = ask_deletion(client, token, secret)
    assert asked.status_code == 202, asked.body
    answer = body(asked)
    assert answer["org"]["status"] == "deletion_scheduled"
    assert answer["org"]["deletion"]["deletes_at"] == clock.isoformat(clock.now() + timedelta(days=30))
    assert answer["export"] == "POST /v1/org/exports" and answer["told"] == {"staff": 3, "patients": 1}
    method, path = answer["export"].split()
    assert method in app.routes[path]  # the route it points the owner at is served
    again = post_json(client, "/v1/org/deletion", with_password(fresh_code(secret)), token)
    assert (again.status_code, body(again)["error"]["code"]) == (409, "conflict")


def test_every_role_sees_the_scheduled_deletion_and_staff_and_patients_are_told_once(client, clinic):
    token, secret = owner_session(client, clinic)
    ask_deletion(client, token, secret)

    staff_view = body(call(client, "GET", "/v1/org", token_for(client, clinic.accounts["staff"])))["org"]

    assert staff_view["status"] == "deletion_scheduled" and staff_view["deletion"]["deletes_at"]
    for role in ("owner", "admin", "staff"):
        mails = mails_to(clinic.accounts[role].email)
        assert [m.subject for m in mails].count("Clinic Clinic's SafeSlot account will be deleted") == 1
    owner_mail = [m for m in mails_to(clinic.accounts["owner"].email) if "deleted" in m.subject][-1]
    assert "POST /v1/org/exports" in owner_mail.body and "DELETE /v1/org/deletion" in owner_mail.body
    patient_mails = mails_to(ALICE["email"])
    told = [m for m in patient_mails if m.subject == "Clinic Clinic closes its online booking"]
    assert len(told) == 1 and "knee" not in told[0].body
    assert call(client, "DELETE", "/v1/org/deletion", token).status_code == 200
    assert [m.subject for m in mails_to(ALICE["email"])].count("Clinic Clinic keeps its online booking") == 1
    assert [m.subject for m in mails_to(clinic.accounts["admin"].email)].count(
        "Clinic Clinic's SafeSlot account will not be deleted") == 1


def test_a_deletion_is_cancellable_and_nothing_is_deleted_before_the_grace_ends(client, clinic, fake_clock):
    token, secret = owner_session(client, clinic)
    ask_deletion(client, token, secret)
    before = mentioning(clinic.org_id)

    fake_clock.advance(days=30, seconds=-60)
    report = invoke(client, "daily_org_deletions")

    assert report["ok"] and report["orgs_deleted"] == []
    assert set(mentioning(clinic.org_id)) == set(before) and Customer.count(clinic.org_id) == 1
    token, _ = owner_session(client, clinic, secret)
    cancelled = call(client, "DELETE", "/v1/org/deletion", token)
    assert cancelled.status_code == 200 and body(cancelled)["org"] == {**body(cancelled)["org"], "status": "active",
                                                                        "deletion": None}
    fake_clock.advance(days=2)
    assert invoke(client, "daily_org_deletions")["orgs_deleted"] == []
    assert Customer.count(clinic.org_id) == 1 and Organization.get(clinic.org_id).deletion_due_at is None
    again = call(client, "DELETE", "/v1/org/deletion", owner_session(client, clinic, secret)[0])
    assert (again.status_code, body(again)["error"]["code"]) == (409, "conflict")


def test_a_job_holding_a_stale_view_of_the_org_never_deletes_a_rescheduled_deletion(client, clinic, fake_clock):
    from chalicelib.services.org_lifecycle import deletion

    token, secret = owner_session(client, clinic)
    ask_deletion(client, token, secret)
    fake_clock.advance(days=31)
    stale = Organization.get(clinic.org_id)  # what the job's scan saw
    token, _ = owner_session(client, clinic, secret)
    call(client, "DELETE", "/v1/org/deletion", token)
    ask_deletion(client, token, secret)  # meanwhile the owner cancelled and asked again: 30 more days

    assert deletion.claim_due(stale, clock.now()) is False
    assert Organization.get(clinic.org_id).suspended_at is None and Customer.count(clinic.org_id) == 1


def test_after_the_grace_a_deleted_org_leaves_no_item_in_any_table(client, clinic, fake_clock):
    other = make_clinic("other")
    book(client, other, at(next_weekday(), "10:00"))
    token, secret = owner_session(client, clinic)
    post_json(client, "/v1/auth/mfa/recovery-codes", {"password": "violet-harbor-tundra-41"}, token)
    support_token = support_session_into(clinic.org_id)  # a vendor's support session into the clinic
    ask_deletion(client, token, secret)
    fake_clock.advance(days=10)  # a patient books during the grace, for after the deletion
    later = next_weekday(clock.now().date() + timedelta(days=25))
    assert book(client, clinic, at(later, "10:00"), customer=BOB).status_code == 201

    fake_clock.advance(days=20, seconds=1)
    report = invoke(client, "daily_org_deletions")

    assert report["ok"], report
    assert report["orgs_deleted"] == [clinic.org_id]
    assert left_behind(clinic.org_id) == {}
    assert SupportGrant.count() == SupportSession.count() == 0  # the session names only its grant
    keys = list(ShredKey.query(clinic.org_id))
    assert keys and all(key.wrapped is None and key.destroyed_at for key in keys)  # its key material is gone
    assert call(client, "GET", "/v1/support/services", support_token).status_code in (401, 404)
    assert report["deleted_items"]["bookings"] == 2 and report["deleted_items"]["customers"] == 2
    assert report["deleted_items"]["users"] == 3 and report["deleted_items"]["orgs"] == 1
    assert [(e.kind, e.subject_id) for e in ledger.entries(clinic.org_id)] == [("org", clinic.org_id)]
    assert set(mentioning(other.org_id)) >= {"safeslot-test-bookings", "safeslot-test-customers"}
    assert [m.subject for m in mails_to(BOB["email"])].count("Your appointment with Clinic Clinic is cancelled") == 1
    assert not [m for m in mails_to(ALICE["email"]) if "cancelled" in m.subject]  # told at the request, once
    login = post_json(client, "/v1/auth/login", {"org": "clinic", "email": clinic.accounts["owner"].email,
                                                 "password": "violet-harbor-tundra-41"})
    assert login.status_code == 401


def test_the_system_chain_keeps_an_ids_only_record_of_the_deletion(client, clinic, fake_clock, capsys):
    from chalicelib.jobs.runner import SYSTEM_CHAIN
    from chalicelib.models.audit import AuditEvent
    from chalicelib.services.audit.chain import plain_subjects

    run(capsys, "org-delete", "--org", "clinic", "--confirm", "clinic")

    deleted = [e for e in AuditEvent.query(SYSTEM_CHAIN) if e.action == "org.deleted"]
    assert len(deleted) == 1 and deleted[0].actor == "operator"
    assert set(plain_subjects(deleted[0].subjects)) == {"org_id", "items"}
    assert plain_subjects(deleted[0].subjects)["org_id"] == clinic.org_id


def test_an_operator_deletes_an_org_at_once_only_with_its_slug_repeated(client, clinic, capsys):
    code, refused = run(capsys, "org-delete", "--org", "clinic", "--confirm", "clinc")

    assert code == 1 and refused["failures"] == [
        "Repeat the org's slug with --confirm to delete it and everything it holds."]
    assert Customer.count(clinic.org_id) == 1
    code, report = run(capsys, "org-delete", "--org", "clinic", "--confirm", "clinic")
    assert code == 0 and report["orgs_deleted"] == [clinic.org_id]
    assert left_behind(clinic.org_id) == {}
    assert [m.subject for m in mails_to(clinic.accounts["staff"].email)].count(
        "Clinic Clinic's SafeSlot account is deleted") == 1
    assert [m.subject for m in mails_to(ALICE["email"])].count("Your appointment with Clinic Clinic is cancelled") == 1


def test_the_restore_hook_removes_a_deleted_org_from_restored_tables(client, clinic, fake_clock, capsys):
    other = make_clinic("other")
    book(client, other, at(next_weekday(), "11:00"))
    assert invoke(client, "daily_backup")["ok"]
    run(capsys, "org-delete", "--org", "clinic", "--confirm", "clinic")

    code, report = run(capsys, "restore", "--export", fake_clock.now.strftime("%Y-%m-%d"), "--prefix", "dr-")

    assert code == 0, report
    restored = list(report["tables"].values())
    assert report["counts"]["orgs"] == 2  # the backup held both orgs
    assert left_behind(clinic.org_id, restored) == {}
    assert set(mentioning(other.org_id, restored)) >= {"dr-bookings", "dr-customers", "dr-orgs"}


def test_patients_are_told_of_the_closing_in_their_language_and_zone_by_a_letter_from_the_clinic(client, clinic):
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time

    from chalicelib.services.booking import profile as clinic_profile

    clinic_profile.change_profile(clinic.owner, {"email": "front.desk@clinic.example"})
    start = at(clinic.day, "15:00")
    book(client, clinic, start, customer={"name": "Sofía Ruiz", "email": "sofia@example.org"}, locale="es-MX",
         timezone="America/Mexico_City")
    book(client, clinic, at(clinic.day, "16:00"), customer={"name": "Amal Haddad", "email": "amal@example.org"},
         locale="ar", timezone="Asia/Dubai")
    token, secret = owner_session(client, clinic)
    ask_deletion(client, token, secret)
    due = Organization.get(clinic.org_id).deletion_due_at

    [spanish], [arabic] = mails_to("sofia@example.org"), mails_to("amal@example.org")
    mexico, dubai = ZoneInfo("America/Mexico_City"), ZoneInfo("Asia/Dubai")
    spanish_day, arabic_day = (format_date(due.astimezone(mexico), "long", locale="es_MX"),
                               format_date(due.astimezone(dubai), "long", locale="ar"))
    assert spanish.subject == "Clinic Clinic cierra sus citas en línea"
    assert f"Clinic Clinic cierra sus citas en línea con SafeSlot el {spanish_day}." in spanish.body
    assert "Sus citas:" in spanish.body.replace("\u202f", " ")
    assert format_time(clock.parse_instant(start, "start").astimezone(mexico), "short", locale="es_MX") in spanish.body
    assert arabic.subject == "Clinic Clinic تُغلق الحجز عبر الإنترنت"
    assert f"تُغلق Clinic Clinic الحجز عبر الإنترنت لدى SafeSlot في {arabic_day}." in arabic.body
    assert '<html lang="ar" dir="rtl">' in arabic.html and '<html lang="es" dir="ltr">' in spanish.html
    for mail in (spanish, arabic):
        assert mail.message is not None and mail.message["From"].addresses[0].display_name == "Clinic Clinic"
        assert mail.message["Reply-To"].addresses[0].addr_spec == "front.desk@clinic.example"
        assert "/my/data/clinic" in mail.body and "closing" not in mail.body and "knee" not in mail.body
