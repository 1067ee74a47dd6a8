""""Forgot password": a single-use code by e-mail, good for 30 minutes (ASVS 6.4.1, 6.4.3, 6.3.8).

The answer, and the work done before it, are the same for known and unknown addresses and orgs, and
for a suspended org: the request takes its limits (per source address, per address asked for) and
queues one message (services/mail_queue); the queue's consumer finds the user, writes the code, mails
it and audits it (ADR 0016). The code only lets the user choose a new password (through the setup
route): signing in afterwards still takes their second factor.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.models.organization import Organization
from chalicelib.services import audit, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.identity import account_mail, users
from chalicelib.services.mail_queue import NO_ORG, PASSWORD_RESET, QueuedMail, enqueue
from chalicelib.services.organizations import org_by_slug

REQUESTS_PER_IP = rate_limits.Limit("password-reset-ip", max_hits=5, window_seconds=900)
REQUESTS_PER_ACCOUNT = rate_limits.Limit("password-reset-account", max_hits=3, window_seconds=3600)


def request_reset(org_slug: str, email: str, origin: Origin) -> None:
    """Queue a reset for this address of this org, whether or not either exists (or is suspended)."""
    rate_limits.throttle(REQUESTS_PER_IP, origin.source_ip or "-")
    try:
        org_id = org_by_slug(org_slug, even_suspended=True).org_id
    except NotFound:
        org_id = NO_ORG
    index = users.email_index(org_id, email)
    counted = [(REQUESTS_PER_ACCOUNT, f"{org_slug}/{index}")]
    rate_limits.take_all(counted)
    try:
        enqueue(QueuedMail(PASSWORD_RESET, org_id, index, origin))
    except Exception:
        rate_limits.give_back_all(counted)
        raise


def deliver_reset(message: QueuedMail) -> None:
    """The queue's consumer: e-mail a reset code if the org is active and has an enabled user with this
    address; otherwise nothing."""
    if message.org_id == NO_ORG:
        return
    try:
        org = Organization.get(message.org_id)
    except Organization.DoesNotExist:
        return
    if org.suspended_at is not None:
        return  # its people cannot sign in: a code would lead nowhere
    user = users.find_user_by_email(org.org_id, message.email_index)
    if user is None or user.disabled:
        return
    token = users.issue_forgotten_password_token(user)
    account_mail.send_forgotten_password(user, token)
    audit.record(user.org_id, "anonymous", "auth.password_reset_requested", subjects={"user_id": user.user_id},
                 origin=message.origin)
