"""The demo clinic's team beside its owner: one user of each other role, so a newcomer can try the console
as each (README "Demo users"). Passwords are random and written only to the credentials file; roles the
policy makes use a second factor (admin) get an authenticator secret there too. The staff user works as
Dr Ana Ruiz, so they see only her patients.
"""

from __future__ import annotations

import secrets
from typing import Any

TEAM = (
    ("admin", "admin@demo.safeslot.example", "Adele Admin"),
    ("frontdesk", "frontdesk@demo.safeslot.example", "Felix Frontdesk"),
    ("staff", "ana.ruiz@demo.safeslot.example", "Ana Ruiz"),
    ("auditor", "auditor@demo.safeslot.example", "Aurora Auditor"),
)
STAFF_MEMBER = "Dr Ana Ruiz"


def seed_team(owner: Any, mfa_roles: tuple[str, ...] = ("owner", "admin")) -> dict[str, dict[str, str]]:
    """Each role's demo user, signed up as if they had followed their invitation: {role: sign-in}."""
    import pyotp

    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import catalog
    from chalicelib.services.identity import users
    from chalicelib.services.identity.authentication import set_password_with_setup_token
    from chalicelib.services.identity.mfa import enrollment
    from chalicelib.services.identity.sessions import Principal

    team: dict[str, dict[str, str]] = {}
    for role, email, name in TEAM:
        made = users._insert_user(owner.org_id, email, name, role, owner.user_id, SYSTEM)  # no invitation mail
        password = secrets.token_urlsafe(18)
        set_password_with_setup_token(made.setup_token, password, SYSTEM)
        team[role] = {"email": email, "password": password, "name": name}
        if role in mfa_roles:
            member = Principal(owner.org_id, made.user["id"], role, "seed", "full", SYSTEM, assurance=2)
            secret = enrollment.start_totp(member, {"password": password})["secret"]
            enrollment.confirm_totp(member, pyotp.TOTP(secret).now())
            team[role]["totp_secret"] = secret
        if role == "staff":
            ana = next(m for m in catalog.list_staff(owner.org_id) if m.display_name == STAFF_MEMBER)
            catalog.update_staff(owner, ana.staff_id, {"user_id": made.user["id"]})
    return team
