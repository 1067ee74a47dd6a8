"""Who may take part in emergency (break-glass) support access: a list of SafeSlot people fixed in advance.

Only an operator changes the list (manage.py break-glass-confirmer), never anyone through the API, and a
person counts only once they have been on it for a day: a vendor owner who makes a second account on the
spot cannot be his own second person (HIPAA 164.308(a)(4), ASVS 8.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import Forbidden, NotFound
from chalicelib.models.organization import Organization
from chalicelib.models.user import User
from chalicelib.services import audit

SETTLING_TIME = timedelta(hours=24)
NOT_A_CONFIRMER = "Emergency access needs two SafeSlot people from the break-glass list, each on it for 24 hours."


def confirmer(principal_org_id: str, user_id: str) -> User:
    """The vendor person if they are on the list since SETTLING_TIME at least, enabled; else 403."""
    user = _vendor_user(principal_org_id, user_id)
    since = user.break_glass_confirmer_since
    if user.disabled or since is None or clock.now() - since < SETTLING_TIME:
        raise Forbidden(NOT_A_CONFIRMER)
    return user


def set_confirmer(vendor_org_id: str, user_id: str, on_list: bool) -> dict[str, Any]:
    """Put a vendor person on the list (they count from 24 hours later) or take them off; audited."""
    user = _vendor_user(vendor_org_id, user_id)
    since = clock.now() if on_list else None
    action = User.break_glass_confirmer_since.set(since) if since else User.break_glass_confirmer_since.remove()
    user.update(actions=[action])
    audit.record(vendor_org_id, "operator", "support.confirmer_added" if on_list else "support.confirmer_removed",
                 subjects={"user_id": user_id})
    return {"user_id": user_id, "on_list": on_list, "counts_from": clock.isoformat(since + SETTLING_TIME)
            if since else None}


def listed(vendor_org_id: str) -> list[dict[str, Any]]:
    """Everyone on the list, and from when they count."""
    return [{"user_id": user.user_id, "counts_from": clock.isoformat(user.break_glass_confirmer_since + SETTLING_TIME),
             "disabled": bool(user.disabled)}
            for user in User.query(vendor_org_id) if user.break_glass_confirmer_since is not None]


def _vendor_user(vendor_org_id: str, user_id: str) -> User:
    try:
        if not Organization.get(vendor_org_id).vendor:
            raise NotFound("No such SafeSlot person.")
        return User.get(vendor_org_id, user_id, consistent_read=True)
    except (Organization.DoesNotExist, User.DoesNotExist) as error:
        raise NotFound("No such SafeSlot person.") from error
