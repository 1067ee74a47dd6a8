"""The demo organization that `make run` creates, and the credentials file it writes."""

from __future__ import annotations

from typing import Any

DEMO_SLUG = "demo"


def seed_demo(api_url: str) -> dict[str, Any]:
    """Create the demo org; returns what goes into .local/demo-credentials.json."""
    from chalicelib.services.organizations import create_org

    create_org(DEMO_SLUG, "Demo Clinic", timezone="America/New_York", actor="seed")
    return {"api": api_url, "org": DEMO_SLUG}
