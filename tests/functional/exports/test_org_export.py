"""A clinic takes its data with it (issue 14, item 3): the owner, with a fresh second factor, exports all
of the org's data; the archive opens with the standard `age` CLI and holds exactly that org's data."""

from __future__ import annotations

import csv
import io
import json
import logging
from urllib.parse import parse_qs, urlsplit

import boto3
import icalendar
import pytest

from chalicelib.config import settings
from chalicelib.services.audit import EventFilter, build, matching_events
from chalicelib.services.exports import formats, layout
from chalicelib.services.exports.storage import PREFIX
from tests.functional.exports.helpers import (
    HOSTILE_NAME,
    download,
    filled_clinic,
    json_file,
    made_export,
    opened_with_age,
    owner_with_second_factor,
    run_export_job,
    signed_in_again,
    start_export,
    wait_for_release,
)
from tests.functional.identity.helpers import body, call, mails_to, token_for
from tests.harness.age_cli import age_decrypt


@pytest.fixture
def two_clinics(client, fake_clock):
    """Clinic A (tricky data) and clinic B, each with patients, bookings and notes."""
    return filled_clinic(client, "alpha", patients=3, tricky=True), filled_clinic(client, "bravo", patients=2)


@pytest.fixture
def owner(client, two_clinics, fake_clock):
    return owner_with_second_factor(client, two_clinics[0].clinic.accounts["owner"], fake_clock)


@pytest.fixture
def exported(client, owner, fake_clock, tmp_path):
    """Clinic A's export, made, downloaded through its link and opened with the age CLI."""
    answer = made_export(client, owner, fake_clock)
    files = opened_with_age(download(answer["download"]["url"]), answer["decryption_key"], tmp_path)
    return answer, files


def exported_objects() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().export_bucket, Prefix=PREFIX)
    return [item["Key"] for item in listed.get("Contents", [])]


def next_hour(client, owner, fake_clock):
    """Move the clock into the next hourly window, keeping the owner's session alive (30 idle minutes)."""
    for _ in range(3):
        fake_clock.advance(minutes=22)
        assert call(client, "GET", "/v1/auth/me", owner.token).status_code == 200


# --- what the archive holds -----------------------------------------------------------------------------

def test_an_export_opens_with_age_and_holds_every_customer_and_booking_of_the_org_and_nothing_else(
        exported, two_clinics):
    answer, files = exported
    alpha, bravo = two_clinics

    assert {c["customer_id"] for c in json_file(files, "customers.json")} == alpha.customer_ids
    assert {b["booking_id"] for b in json_file(files, "bookings.json")} == alpha.booking_ids
    assert {c["name"] for c in json_file(files, "customers.json")} == alpha.names
    assert {c["notes"] for c in json_file(files, "customers.json")} == alpha.notes
    assert json_file(files, "organization.json")["org_id"] == alpha.clinic.org_id
    everything = b"".join(files.values())
    for secret in bravo.names | bravo.emails | bravo.notes | bravo.customer_ids | bravo.booking_ids | {
            bravo.clinic.org_id}:
        assert secret.encode() not in everything, secret
    assert answer["counts"]["bookings.json"] == len(alpha.booking_ids)
    assert "decryption_key" not in json.dumps(files["manifest.json"].decode())


def test_every_file_and_every_field_is_documented_in_the_readme(exported):
    _, files = exported
    readme = files["README.txt"].decode()
    documented = {doc.name: {name for name, _ in doc.fields} for doc in layout.FILES}

    assert set(files) == set(documented)
    for name in files:
        assert f"\n{name}: " in readme, name
    for name, fields in documented.items():
        if name.endswith(".json") and name not in ("organization.json", "manifest.json"):
            for record in json_file(files, name):
                assert set(record) <= fields, (name, set(record) - fields)
        for field_name in fields:
            assert f"    {field_name}: " in readme, (name, field_name)


def test_the_manifest_proves_each_file(exported):
    import hashlib

    _, files = exported
    manifest = json_file(files, "manifest.json")

    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert set(manifest["sha256"]) == set(files) - {"manifest.json", "README.txt"}


def test_users_come_without_password_hashes_second_factor_secrets_or_sessions(exported, owner):
    from chalicelib.models.user import User

    _, files = exported
    stored = User.get(owner.account.org_id, owner.account.user_id)
    everything = b"".join(files.values())

    assert {u["email"] for u in json_file(files, "users.json")} >= {owner.account.email}
    assert stored.password_hash.encode() not in everything
    assert owner.secret.encode() not in everything
    assert owner.token.encode() not in everything
    assert all(not ({"password_hash", "secret", "token"} & set(u)) for u in json_file(files, "users.json"))


def test_audit_events_are_exported_as_stored(exported, owner):
    _, files = exported
    events = json_file(files, "audit-events.json")

    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    actions = {e["action"] for e in events}
    assert "booking.created" in actions and any(a.startswith("customer.") for a in actions)
    assert all(e["org_id"] == owner.account.org_id for e in events)


# --- CSV and calendar ----------------------------------------------------------------------------------

def test_csv_cells_never_start_a_formula(exported):
    _, files = exported
    for name in ("customers.csv", "bookings.csv"):
        rows = list(csv.reader(io.StringIO(files[name].decode())))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(formats.FORMULA_STARTS), (name, cell)
    customers = list(csv.DictReader(io.StringIO(files["customers.csv"].decode())))
    assert f"'{HOSTILE_NAME}" in {row["name"] for row in customers}
    assert any(row["notes"].startswith("'@SUM") for row in customers)
    assert all(row["phone"].startswith("'+1415555") for row in customers)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_each_formula_start_is_neutralized(start):
    assert formats.safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert formats.safe_cell(f"a{start}") == f"a{start}"


def test_the_calendar_parses_with_one_event_per_booking(exported, two_clinics):
    _, files = exported
    calendar = icalendar.Calendar.from_ical(files["bookings.ics"])
    events = calendar.walk("VEVENT")

    assert {str(e["uid"]).removesuffix("@safeslot") for e in events} == two_clinics[0].booking_ids
    assert str(calendar["method"]) == "PUBLISH"
    assert all(e.decoded("dtstart").tzinfo is not None for e in events)


# --- who may, and how -----------------------------------------------------------------------------------

def test_only_the_owner_exports(client, two_clinics, owner, fake_clock):
    admin = owner_with_second_factor(client, two_clinics[0].clinic.accounts["admin"], fake_clock)

    refused = start_export(client, admin, admin.code(fake_clock))

    assert (refused.status_code, body(refused)["error"]["code"]) == (403, "forbidden")
    assert exported_objects() == []


def test_without_a_fresh_second_factor_the_answer_is_step_up_required(client, two_clinics, owner, fake_clock):
    password_only = token_for(client, two_clinics[1].clinic.accounts["owner"])  # bravo's owner has no factor
    no_code = start_export(client, owner, None)
    password_session = call(client, "POST", "/v1/org/exports", password_only, {"code": "123456"})
    wrong = start_export(client, owner, "000000")

    assert (no_code.status_code, body(no_code)["error"]["code"]) == (403, "step_up_required")
    assert (password_session.status_code, body(password_session)["error"]["code"]) == (403, "step_up_required")
    assert (wrong.status_code, body(wrong)["error"]["code"]) == (401, "invalid_credentials")
    assert exported_objects() == []


def test_a_code_is_accepted_once(client, owner, fake_clock):
    code = owner.code(fake_clock)
    fake_clock.advance(hours=2)  # past the hourly limit, still the same code... but not the same step
    replayed = start_export(client, owner, code)

    assert replayed.status_code == 401


def test_one_export_per_org_per_hour(client, owner, fake_clock):
    first = start_export(client, owner, owner.code(fake_clock))
    second = start_export(client, owner, owner.code(fake_clock))

    assert first.status_code == 202
    assert (second.status_code, body(second)["error"]["code"]) == (429, "too_many_attempts")
    assert int(second.headers["Retry-After"]) > 0
    assert len(exported_objects()) == 1  # the first one's record; nothing of the second


# --- the passphrase and the link ------------------------------------------------------------------------

def test_the_decryption_key_is_fresh_each_time_and_in_no_log_line_or_stored_object(
        client, owner, fake_clock, log_output, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    made = made_export(client, owner, fake_clock)
    key = made["decryption_key"]
    secret_part = key.removeprefix("AGE-SECRET-KEY-1")

    assert key.startswith("AGE-SECRET-KEY-1") and len(secret_part) * 5 >= 256
    for text in (log_output.getvalue(), caplog.text):
        assert secret_part not in text.upper()
    for stored_key in exported_objects():
        stored = boto3.client("s3").get_object(Bucket=settings().export_bucket, Key=stored_key)
        assert secret_part.encode() not in stored["Body"].read().upper()
    next_hour(client, owner, fake_clock)
    second = made_export(client, owner, fake_clock)
    assert second["decryption_key"] != key
    wrong_key = tmp_path / "wrong.zip"
    sealed = tmp_path / "second.zip.age"
    sealed.write_bytes(download(second["download"]["url"]))
    assert age_decrypt(sealed, wrong_key, key).returncode != 0  # one export's key opens no other


def test_the_owners_are_told_without_link_or_key_and_the_export_is_audited(client, owner, fake_clock):
    made = made_export(client, owner, fake_clock)
    build(owner.account.org_id)

    mail = mails_to(owner.account.email)[-1]
    assert "export" in mail.subject.lower()
    assert made["decryption_key"] not in mail.body and "http" not in mail.body
    assert made["created_at"] in mail.body
    assert len(matching_events(owner.account.org_id, EventFilter(action="org.export_requested"))) == 1
    events = matching_events(owner.account.org_id, EventFilter(action="org.exported"))
    assert len(events) == 1
    subjects = events[0]["subjects"]
    assert subjects["export_id"] == made["id"]
    assert subjects["customers_count"] == str(made["counts"]["customers.json"])
    shown = subjects.pop("customer_ids")
    assert all(value.isdigit() or value == made["id"] for value in subjects.values())
    assert shown.split() == sorted(shown.split()) and len(shown.split()) == made["counts"]["customers.json"]


def test_each_exported_patient_finds_the_export_in_their_access_report_once_and_others_do_not(
        client, two_clinics, owner, fake_clock):
    alpha, bravo = two_clinics
    made = made_export(client, owner, fake_clock)

    for customer_id in alpha.customer_ids:
        report = body(call(client, "GET", f"/v1/customers/{customer_id}/access-report", owner.token))
        exports = [e for e in report["entries"] if e["action"] == "org.exported"]
        assert len(exports) == 1 and exports[0]["kind"] == "read", report
        assert exports[0]["by"]["kind"] == "staff" and made["id"] not in json.dumps(report)
    events = matching_events(owner.account.org_id, EventFilter(action="org.exported"))
    assert not (bravo.customer_ids & set(events[0]["subjects"]["customer_ids"].split()))  # another clinic's


def test_an_export_of_many_patients_names_each_in_exactly_one_event(aws_stack, monkeypatch):
    from chalicelib.services.audit import build, shown

    monkeypatch.setattr(shown, "IDS_PER_EVENT", 2)
    ids = [f"{n:032x}" for n in range(5)]

    written = shown.record_shown("org-many", "user-1", "org.exported", reversed(ids), origin=shown.Origin(),
                                 subjects={"export_id": "e" * 32})

    build("org-many")
    events = matching_events("org-many", EventFilter(action="org.exported"))
    named = [i for e in events for i in e["subjects"]["customer_ids"].split()]
    assert written == 3 and sorted(named) == ids
    assert sorted(e["subjects"]["part"] for e in events) == ["1/3", "2/3", "3/3"]


def test_the_link_lives_fifteen_minutes_and_new_ones_end_after_an_hour(client, owner, fake_clock):
    made = made_export(client, owner, fake_clock)
    query = parse_qs(urlsplit(made["download"]["url"]).query)

    assert query["X-Amz-Expires"] == ["900"]
    assert made["decryption_key"][16:] not in made["download"]["url"].upper()
    for _ in range(2):  # 40 minutes later, a new link (the session kept alive: 30 idle minutes)
        fake_clock.advance(minutes=20)
        again = call(client, "GET", f"/v1/org/exports/{made['id']}", owner.token)
        assert again.status_code == 200 and "decryption_key" not in body(again)["export"]
    assert body(again)["export"]["download"]["expires_at"] > made["download"]["expires_at"]
    fake_clock.advance(minutes=21)
    late = call(client, "GET", f"/v1/org/exports/{made['id']}", owner.token)
    assert (late.status_code, body(late)["error"]["code"]) == (404, "not_found")
    assert exported_objects() == []


def test_another_orgs_export_is_not_found(client, two_clinics, owner, fake_clock):
    made = made_export(client, owner, fake_clock)
    intruder = owner_with_second_factor(client, two_clinics[1].clinic.accounts["owner"], fake_clock)

    peek = call(client, "GET", f"/v1/org/exports/{made['id']}", intruder.token)
    odd = call(client, "GET", "/v1/org/exports/..%2F..%2Fbackups", intruder.token)

    assert peek.status_code == 404 and odd.status_code == 404


def test_the_export_bucket_forgets_every_export_within_a_day(aws_stack):
    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=settings().export_bucket)["Rules"]

    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["Status"]) for r in rules] == [(PREFIX, 1, "Enabled")]


def test_an_export_waits_queued_until_the_job_makes_it(client, owner, fake_clock):
    answer = start_export(client, owner, owner.code(fake_clock))
    asked = body(answer)["export"]
    waiting = body(call(client, "GET", f"/v1/org/exports/{asked['id']}", owner.token))["export"]

    assert (asked["status"], waiting["status"]) == ("queued", "queued")
    assert answer.headers["Cache-Control"] == "no-store"  # the key is in this answer
    assert "download" not in waiting and "decryption_key" not in waiting
    report = run_export_job()
    assert report["exports_made"] == 1
    assert body(wait_for_release(client, owner, asked["id"], fake_clock))["export"]["status"] == "ready"
    assert run_export_job()["exports_made"] == 0  # made once


def test_an_export_that_fails_is_marked_failed_audited_and_the_others_are_still_made(
        client, two_clinics, owner, fake_clock, monkeypatch):
    from chalicelib.services.exports import bundle

    bravo = owner_with_second_factor(client, two_clinics[1].clinic.accounts["owner"], fake_clock)
    owner = signed_in_again(client, owner, fake_clock)  # a day passed while bravo's app was new
    broken = body(start_export(client, owner, owner.code(fake_clock)))["export"]
    fine = body(start_export(client, bravo, bravo.code(fake_clock)))["export"]
    real_build = bundle.build

    def build_failing_for_alpha(org, header):
        if org.org_id == owner.account.org_id:
            raise RuntimeError("disk full")
        return real_build(org, header)

    monkeypatch.setattr(bundle, "build", build_failing_for_alpha)
    report = run_export_job()

    assert report["exports_made"] == 1 and len(report["failures"]) == 1
    assert body(call(client, "GET", f"/v1/org/exports/{broken['id']}", owner.token))["export"]["status"] == "failed"
    made = call(client, "GET", f"/v1/org/exports/{fine['id']}", bravo.token)
    assert body(made)["error"]["code"] == "export_not_released"  # made, and in its cooling-off
    build(owner.account.org_id)
    failed = matching_events(owner.account.org_id, EventFilter(action="org.exported"))
    assert [e["outcome"] for e in failed] == ["failure"]


def test_two_runs_of_the_job_make_a_queued_export_once(client, owner, fake_clock):
    from chalicelib.services.exports import org_export, storage

    asked = body(start_export(client, owner, owner.code(fake_clock)))["export"]
    found_by_both = list(storage.waiting())

    first = [org_export.produce(record) for record in found_by_both]
    second = [org_export.produce(record) for record in found_by_both]

    assert [r.export_id for r in first if r] == [asked["id"]]
    assert second == [None]


def test_an_export_whose_run_died_reads_as_failed(client, owner, fake_clock):
    from chalicelib.services.exports import storage

    asked = body(start_export(client, owner, owner.code(fake_clock)))["export"]
    record = next(storage.waiting())
    storage.save(record.moved(status=storage.RUNNING, started_at=record.created_at))  # the Lambda was stopped
    fake_clock.advance(minutes=21)
    seen = body(call(client, "GET", f"/v1/org/exports/{asked['id']}", owner.token))["export"]

    assert seen["status"] == "failed"


def test_an_erased_customer_is_exported_as_ids_without_personal_data(client, two_clinics, owner, fake_clock, tmp_path):
    from chalicelib.crypto import shred_keys

    alpha = two_clinics[0]
    erased = sorted(alpha.customer_ids)[0]
    shred_keys.destroy_subject(alpha.clinic.org_id, shred_keys.customer_subject(erased))

    made = made_export(client, owner, fake_clock)
    files = opened_with_age(download(made["download"]["url"]), made["decryption_key"], tmp_path)

    row = next(c for c in json_file(files, "customers.json") if c["customer_id"] == erased)
    assert row["readable"] is False and row["name"] is None and row["email"] is None and row["notes"] is None
    assert {c["customer_id"] for c in json_file(files, "customers.json")} == alpha.customer_ids
