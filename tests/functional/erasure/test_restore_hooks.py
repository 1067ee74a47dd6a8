"""Restoring a backup taken before an erasure, a sign-out, a used recovery code, a spent TOTP step and a
disabled user: none of them is undone by the restore (jobs/restore_hooks.py)."""

from __future__ import annotations

import pyotp
import pytest

from chalicelib import clock
from chalicelib.jobs import restore, tables
from chalicelib.jobs.restore import Restored, Source
from chalicelib.jobs.runner import JobReport
from chalicelib.models.mfa import MfaFactor
from chalicelib.models.rebound import on_table
from chalicelib.models.session import Session
from chalicelib.models.user import User
from tests.functional.booking.helpers import make_clinic, next_weekday
from tests.functional.erasure.helpers import (
    erase,
    leaks,
    patient_with_history,
    readable_everywhere,
    second_factor_token,
)
from tests.functional.identity.helpers import PASSWORD, body, call, login, post_json, step_up, token_for
from tests.functional.jobs.helpers import invoke

PREFIX = "safeslot-test-restored-"


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(roles=("admin", "staff", "frontdesk"))


@pytest.fixture
def staff_app(client, clinic, fake_clock):
    """The staff user's authenticator secret and recovery codes, enrolled before the backup."""
    token = token_for(client, clinic.accounts["staff"])
    secret = body(call(client, "POST", "/v1/auth/mfa/totp/enroll", token, {"password": PASSWORD}))["secret"]
    confirmed = post_json(client, "/v1/auth/mfa/totp/confirm", {"code": pyotp.TOTP(secret).at(clock.now())}, token)
    return secret, body(confirmed)["recovery_codes"]


def sign_in(client, account, method: str, code: str) -> str:
    mfa_token = body(login(client, account))["mfa_token"]
    answer = post_json(client, "/v1/auth/mfa/verify", {"mfa_token": mfa_token, "method": method, "code": code})
    assert answer.status_code == 200, answer.body
    return str(body(answer)["token"])


def restore_newest_backup(run_id: str) -> Restored:
    report = JobReport("restore")
    restored = restore.run_restore(report, run_id, Source.replica(), PREFIX)
    assert report.ok, report.failures
    return restored


def restored_row(model, restored: Restored, logical: str, *key):
    return on_table(model, restored.tables[logical]).get(*key)


@pytest.fixture
def backed_up(client, clinic, staff_app, fake_clock):
    """A backup of the clinic taken while the staff user was signed in; returns its run id."""
    fake_clock.advance(seconds=30)
    signed_in = sign_in(client, clinic.accounts["staff"], "totp", pyotp.TOTP(staff_app[0]).at(clock.now()))
    assert invoke(client, "daily_backup")["ok"]
    return fake_clock.now.strftime("%Y-%m-%d"), signed_in


def test_a_session_revoked_after_the_backup_stays_revoked(client, clinic, backed_up):
    run_id, signed_in = backed_up
    assert call(client, "POST", "/v1/auth/logout", signed_in).status_code in (200, 204)

    restored = restore_newest_backup(run_id)

    assert on_table(Session, restored.tables["sessions"]).count() == 0
    assert restored.hooks["sign_in_state"]["deleted"]["sessions"] >= 1  # it was in the backup


def test_a_recovery_code_used_after_the_backup_stays_used(client, clinic, staff_app, backed_up):
    used = staff_app[1][0]
    sign_in(client, clinic.accounts["staff"], "recovery", used)
    staff = clinic.accounts["staff"]

    restored = restore_newest_backup(backed_up[0])

    live = next(f for f in MfaFactor.query(clinic.org_id) if f.kind == "recovery")
    again = restored_row(MfaFactor, restored, "mfa_factors", clinic.org_id, live.factor_key)
    assert len(again.code_hashes) == len(staff_app[1]) - 1 == len(live.code_hashes)
    assert set(again.code_hashes) == set(live.code_hashes)
    assert staff.user_id in live.factor_key


def test_a_totp_step_spent_after_the_backup_stays_spent(client, clinic, staff_app, backed_up, fake_clock):
    fake_clock.advance(seconds=60)
    sign_in(client, clinic.accounts["staff"], "totp", pyotp.TOTP(staff_app[0]).at(clock.now()))
    live = next(f for f in MfaFactor.query(clinic.org_id) if f.kind == "totp")

    restored = restore_newest_backup(backed_up[0])

    again = restored_row(MfaFactor, restored, "mfa_factors", clinic.org_id, live.factor_key)
    assert int(again.last_step) == int(live.last_step) == int(clock.now().timestamp()) // 30


def test_users_disabled_or_demoted_after_the_backup_stay_so(client, clinic, backed_up):
    owner = token_for(client, clinic.accounts["owner"])
    step_up(client, owner)  # disabling an admin needs it (ADR 0015)
    admin, frontdesk = clinic.accounts["admin"], clinic.accounts["frontdesk"]
    assert call(client, "PATCH", f"/v1/users/{admin.user_id}", owner, {"disabled": True}).status_code == 200
    assert call(client, "PATCH", f"/v1/users/{frontdesk.user_id}", owner, {"role": "staff"}).status_code == 200

    restored = restore_newest_backup(backed_up[0])

    assert restored_row(User, restored, "users", clinic.org_id, admin.user_id).disabled is True
    assert restored_row(User, restored, "users", clinic.org_id, frontdesk.user_id).role == "staff"
    unchanged = restored_row(User, restored, "users", clinic.org_id, clinic.accounts["staff"].user_id)
    assert unchanged.disabled is False and unchanged.role == "staff"


def test_a_patient_erased_after_the_backup_is_erased_again_in_the_restored_tables(client, clinic, fake_clock):
    day = next_weekday()
    alice = patient_with_history(client, clinic, day, token_for(client, clinic.accounts["owner"]))
    assert invoke(client, "daily_backup")["ok"]
    run_id = fake_clock.now.strftime("%Y-%m-%d")
    fake_clock.advance(hours=1)
    assert erase(client, second_factor_token(client, clinic.accounts["owner"]), alice.customer_id).status_code == 200

    restored = restore_newest_backup(run_id)

    assert restored.hooks["customer_erasures"]["replayed"] == 1
    assert restored.hooks["customer_erasures"]["deleted"]["customers"] == 1
    assert leaks(readable_everywhere(restored.tables)) == []


def test_the_replay_reads_the_mirror_when_the_ledger_table_is_lost(client, clinic, fake_clock):
    from chalicelib.models.erasure import ErasureRecord

    alice = patient_with_history(client, clinic, next_weekday(), token_for(client, clinic.accounts["owner"]))
    assert invoke(client, "daily_backup")["ok"]
    run_id = fake_clock.now.strftime("%Y-%m-%d")
    fake_clock.advance(hours=1)
    erase(client, second_factor_token(client, clinic.accounts["owner"]), alice.customer_id)
    tables.drop(ErasureRecord.Meta.table_name)  # the first region, and the ledger table with it, is gone

    restored = restore_newest_backup(run_id)

    assert restored.hooks["customer_erasures"]["replayed"] == 1
    assert leaks(readable_everywhere(restored.tables)) == []


def test_without_any_replay_a_backup_from_before_the_erasure_no_longer_opens_the_patients_data(
        client, clinic, fake_clock, monkeypatch):
    """Crypto-shredding alone (ADR 0010). Not pending holds: they belong to nobody yet and are sealed under
    the org's key, so only the replay deletes them from a restore (ADR 0011)."""
    owner = token_for(client, clinic.accounts["owner"])
    alice = patient_with_history(client, clinic, next_weekday(), owner, hold=False)
    assert invoke(client, "daily_backup")["ok"]
    run_id = fake_clock.now.strftime("%Y-%m-%d")
    fake_clock.advance(hours=1)
    erased = erase(client, second_factor_token(client, clinic.accounts["owner"]), alice.customer_id)
    assert body(erased)["erasure"]["key_material_destroyed"] is True
    monkeypatch.setattr(restore, "RESTORE_HOOKS", [])  # the backup as it is: only the destroyed key protects it

    restored = restore_newest_backup(run_id)

    assert on_table(Session, restored.tables["sessions"]).count() > 0  # really nothing replayed
    assert leaks(readable_everywhere(restored.tables)) == []
