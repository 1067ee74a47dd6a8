"""The demo organization that `make run` creates, and the credentials file it writes."""

from __future__ import annotations

import secrets
from typing import Any

DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.safeslot.example"


def seed_demo(api_url: str) -> dict[str, Any]:
    """Create the demo org and its owner with a random password; returns the credentials file's content."""
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org

    org = create_org(DEMO_SLUG, "Demo Clinic", timezone="America/New_York", actor="seed")
    owner = create_first_owner(org.org_id, DEMO_OWNER_EMAIL, "Demo Owner")
    password = secrets.token_urlsafe(18)
    set_password_with_setup_token(owner.setup_token, password, SYSTEM)
    return {"api": api_url, "org": DEMO_SLUG, "email": DEMO_OWNER_EMAIL, "password": password}
