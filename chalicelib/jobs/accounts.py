"""The daily account job: password expiry reminders (14, 7 and 1 days before; at expiry the next login
must change the password), expiry of unused setup tokens, and disabling of dormant accounts."""

from __future__ import annotations

import math
from collections import Counter as Tally
from datetime import datetime, timedelta

from chalicelib import clock
from chalicelib.jobs import once
from chalicelib.jobs.runner import JobReport
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit
from chalicelib.services.identity import users
from chalicelib.services.identity.policy import SecurityPolicy, policy_of
from chalicelib.services.identity.roles import Role
from chalicelib.services.notify import send_email

REMINDER_DAYS = (1, 7, 14)
ACTOR = "job:accounts"


def run_accounts(report: JobReport) -> None:
    now, done = clock.now(), Tally[str]()
    for org in Organization.scan():
        policy = policy_of(org)
        for user in User.query(org.org_id):
            if user.disabled:
                continue
            done[_remind_expiry(org, policy, user, now)] += 1
            done[_expire_setup_token(user, now)] += 1
            done[_disable_if_dormant(policy, user, now)] += 1
    report.details.update({action: count for action, count in done.items() if action})


def _remind_expiry(org: Organization, policy: SecurityPolicy, user: User, now: datetime) -> str:
    """One e-mail per threshold (a missed day sends the next one due), and one audit event at expiry."""
    if not policy.password_max_age_days or not user.password_changed_at or not user.password_hash:
        return ""
    expires = user.password_changed_at + timedelta(days=policy.password_max_age_days)
    days_left = math.ceil((expires - now) / timedelta(days=1))
    stamp = clock.isoformat(user.password_changed_at)
    if days_left <= 0:
        if once.claim(f"password-expired/{org.org_id}/{user.user_id}/{stamp}", timedelta(days=400)):
            audit.record(org.org_id, ACTOR, "password.expired", subjects={"user_id": user.user_id})
            return "passwords_expired"
        return ""
    threshold = min((t for t in REMINDER_DAYS if t >= days_left), default=None)
    key = f"password-reminder/{org.org_id}/{user.user_id}/{stamp}/{threshold}"
    if threshold is None or not once.claim(key, timedelta(days=30)):
        return ""
    day = "day" if days_left == 1 else "days"
    send_email(user.unseal()["email"], f"Your {org.name} password expires in {days_left} {day}",
               f"Your SafeSlot password for {org.name} expires on {clock.isoformat(expires)[:10]}. "
               "Change it before then; after that date you will be asked to change it when you log in.")
    audit.record(org.org_id, ACTOR, "password.expiry_reminder",
                 subjects={"user_id": user.user_id, "days_left": str(days_left)})
    return "expiry_reminders"


def _expire_setup_token(user: User, now: datetime) -> str:
    if not user.setup_token_hash or not user.setup_token_expires_at or user.setup_token_expires_at > now:
        return ""
    user.update(actions=[User.setup_token_hash.remove(), User.setup_token_expires_at.remove()])
    audit.record(user.org_id, ACTOR, "user.setup_token_expired", subjects={"user_id": user.user_id})
    return "setup_tokens_expired"


def _disable_if_dormant(policy: SecurityPolicy, user: User, now: datetime) -> str:
    """Disable an account unused for `dormant_days` (owners are left alone: an org keeps its owner)."""
    if not policy.dormant_days or user.role == Role.OWNER or not user.password_hash:
        return ""
    last_used = user.last_login_at or user.password_changed_at or user.created_at
    if now - last_used < timedelta(days=policy.dormant_days):
        return ""
    users.cut_access(user, User.disabled.set(True))  # sessions, pending challenges and setup token end
    audit.record(user.org_id, ACTOR, "user.disabled_dormant", subjects={"user_id": user.user_id})
    return "dormant_accounts_disabled"
