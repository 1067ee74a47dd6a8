""""Forgot password": a single-use code by e-mail, good for 30 minutes (ASVS 6.4.1, 6.4.3, 6.3.8).

The answer is the same for known and unknown addresses and orgs; requests are limited per address and
per e-mail. The code only lets the user choose a new password (through the setup route): signing in
afterwards still takes their second factor.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.services import audit, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.identity import account_mail, users
from chalicelib.services.organizations import org_by_slug

REQUESTS_PER_IP = rate_limits.Limit("password-reset-ip", max_hits=5, window_seconds=900)
REQUESTS_PER_ACCOUNT = rate_limits.Limit("password-reset-account", max_hits=3, window_seconds=3600)


def request_reset(org_slug: str, email: str, origin: Origin) -> None:
    """E-mail a reset code if the org and an active user with this address exist; otherwise nothing."""
    rate_limits.throttle(REQUESTS_PER_IP, origin.source_ip or "-")
    try:
        org = org_by_slug(org_slug)
    except NotFound:
        org = None
    index = users.email_index(org.org_id if org else "-", email)
    rate_limits.throttle(REQUESTS_PER_ACCOUNT, f"{org_slug}/{index}")
    user = users.find_user_by_email(org.org_id, index) if org else None
    if user is None or user.disabled:
        return
    token = users.issue_forgotten_password_token(user)
    account_mail.send_forgotten_password(user, token)
    audit.record(user.org_id, "anonymous", "auth.password_reset_requested", subjects={"user_id": user.user_id},
                 origin=origin)
