"""The demo organization that `make run` creates, and the credentials file it writes."""

from __future__ import annotations

import secrets
from typing import Any

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.safeslot.example"


def seed_demo(api_url: str) -> dict[str, Any]:
    """The demo org, its owner (random password, an authenticator app), and MFA required of owners and
    admins. Returns the credentials file's content: a newcomer logs in with any authenticator app."""
    import pyotp

    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.mfa import enrollment
    from chalicelib.services.identity.policy import change_policy
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org(DEMO_SLUG, "Demo Clinic", timezone="America/New_York", actor="seed")
    owner = create_first_owner(org.org_id, DEMO_OWNER_EMAIL, "Demo Owner")
    password = secrets.token_urlsafe(18)
    set_password_with_setup_token(owner.setup_token, password, SYSTEM)
    as_owner = Principal(org.org_id, owner.user["id"], "owner", "seed", "full", SYSTEM, assurance=2)
    change_policy(as_owner, {"require_mfa": ["owner", "admin"]})
    secret = enrollment.start_totp(as_owner)["secret"]
    enrollment.confirm_totp(as_owner, pyotp.TOTP(secret).now())
    return {"api": api_url, "org": DEMO_SLUG, "email": DEMO_OWNER_EMAIL, "password": password,
            "totp_secret": secret}
