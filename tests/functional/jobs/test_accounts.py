"""The daily account job: password expiry reminders, expired setup tokens, dormant accounts."""

from __future__ import annotations

import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.user import User
from chalicelib.services.audit import SYSTEM
from chalicelib.services.identity.authentication import set_password_with_setup_token
from chalicelib.services.identity.policy import change_policy
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.identity.users import create_user
from tests.functional.identity.helpers import body, login, mailed_setup_token, make_org, post_json
from tests.functional.jobs.helpers import invoke, mail_to


@pytest.fixture
def acme(client, fake_clock):
    accounts = make_org("acme", roles=("staff",))
    owner = accounts["owner"]
    accounts["as_owner"] = Principal(owner.org_id, owner.user_id, "owner", "seed", "full", SYSTEM)
    return accounts


def actions(org_id: str, action: str) -> list[AuditEvent]:
    return [event for event in AuditEvent.query(org_id) if event.action == action]


def test_password_expiry_reminders_go_out_14_7_and_1_days_before_once_each(client, acme, fake_clock):
    change_policy(acme["as_owner"], {"password_max_age_days": 30})
    staff = acme["staff"]

    for _day in range(31):
        invoke(client, "daily_accounts")
        invoke(client, "daily_accounts")  # a repeated run sends nothing twice
        fake_clock.advance(days=1)

    subjects = [m.subject if hasattr(m, "subject") else "" for m in jobs_mail_to(staff.email)]
    assert subjects == [f"Your Acme Clinic password expires in {n} {'day' if n == 1 else 'days'}"
                        for n in (14, 7, 1)]
    assert len(actions(staff.org_id, "password.expired")) == 2  # owner and staff, once each
    expired = login(client, staff)
    assert body(expired)["password_change_required"] is True


def test_a_missed_day_still_sends_the_next_reminder_due(client, acme, fake_clock):
    change_policy(acme["as_owner"], {"password_max_age_days": 30})
    fake_clock.advance(days=24)  # 6 days left: the 7-day reminder was missed

    invoke(client, "daily_accounts")

    assert [m.subject for m in jobs_mail_to(acme["staff"].email)] == ["Your Acme Clinic password expires in 6 days"]


def test_unused_setup_tokens_expire_and_stop_working(client, acme, fake_clock):
    invited = create_user(acme["as_owner"], "late@acme.example", "Late Larry", "frontdesk")
    setup_token = mailed_setup_token("late@acme.example")
    fake_clock.advance(hours=73)

    report = invoke(client, "daily_accounts")

    assert report["setup_tokens_expired"] == 1
    assert User.get(acme["owner"].org_id, invited["id"]).setup_token_hash is None
    refused = post_json(client, "/v1/auth/setup", {"token": setup_token, "password": "quartz-meadow-97-x"})
    assert refused.status_code == 401
    assert actions(acme["owner"].org_id, "user.setup_token_expired")


def test_dormant_accounts_are_disabled_but_never_the_owner(client, acme, fake_clock):
    change_policy(acme["as_owner"], {"dormant_days": 30})
    assert login(client, acme["staff"]).status_code == 200
    fake_clock.advance(days=31)

    report = invoke(client, "daily_accounts")

    assert report["dormant_accounts_disabled"] == 1
    assert User.get(acme["staff"].org_id, acme["staff"].user_id).disabled
    assert not User.get(acme["owner"].org_id, acme["owner"].user_id).disabled
    assert login(client, acme["staff"]).status_code == 401
    assert [e.subjects["user_id"] for e in actions(acme["owner"].org_id, "user.disabled_dormant")] == \
        [acme["staff"].user_id]


def test_no_policy_means_no_reminders_and_no_disabling(client, acme, fake_clock):
    fake_clock.advance(days=400)

    report = invoke(client, "daily_accounts")

    assert report["ok"] and set(report) == {"job", "ok", "failures", "seconds"}
    assert jobs_mail_to(acme["staff"].email) == []


def test_unused_setup_password_path_still_works_before_expiry(client, acme, fake_clock):
    create_user(acme["as_owner"], "prompt@acme.example", "Prompt Pat", "frontdesk")
    fake_clock.advance(hours=71)

    invoke(client, "daily_accounts")

    set_password_with_setup_token(mailed_setup_token("prompt@acme.example"), "quartz-meadow-lantern-97", SYSTEM)


def jobs_mail_to(address: str) -> list:
    """Mail to `address` but the invitation it got when the test made the account."""
    return [m for m in mail_to(address) if "invited you" not in getattr(m, "subject", "")]
