"""A clinic takes its data with it: the owner, with a fresh second factor, exports all of the org's data.

The archive is made in the request (bench: 10,000 bookings well inside API Gateway's 29 s, ADR 0013),
encrypted to a key made for it whose secret half is returned once (never stored, logged or e-mailed),
stored for a day at most, and fetched through 15-minute links. Audited (`org.exported`, ids and
counts), rate-limited (one export per org per hour), and every owner is told by e-mail.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.errors import InvalidCredentials, NotFound, StepUpRequired
from chalicelib.models.user import User
from chalicelib.services import audit, notify, rate_limits
from chalicelib.services.exports import archive, bundle, storage
from chalicelib.services.identity import reauth, users
from chalicelib.services.identity.mfa import totp
from chalicelib.services.identity.roles import Permission, Role, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.organizations import org_by_id

EXPORTS_PER_ORG = rate_limits.Limit("org-export", max_hits=1, window_seconds=3600)
DOWNLOADABLE_FOR = timedelta(hours=1)  # new links are given this long; the bucket deletes the file within a day
_EXPORT_ID = re.compile(r"^[0-9a-f]{32}$")


def start_export(principal: Principal, code: str | None) -> dict[str, Any]:
    """Export everything of the caller's org; the answer holds the decryption key, this once."""
    require(principal.role, Permission.ORG_EXPORT)
    user = users.find_user(principal.org_id, principal.user_id)
    _require_fresh_second_factor(principal, user, code)
    rate_limits.take(EXPORTS_PER_ORG, principal.org_id)
    try:
        stored, key = _make(principal)
    except Exception:
        rate_limits.give_back(EXPORTS_PER_ORG, principal.org_id)  # a failed export does not use up the hour
        raise
    audit.record(principal.org_id, principal.user_id, "org.exported", origin=principal.origin,
                 subjects={"export_id": stored.export_id, **_counted(stored.counts)})
    _tell_owners(principal, stored)
    return {**describe(principal.org_id, stored), "decryption_key": key}


def export_status(principal: Principal, export_id: str) -> dict[str, Any]:
    """An export of the caller's org with a new 15-minute download link, while it is downloadable."""
    require(principal.role, Permission.ORG_EXPORT)
    if principal.assurance < 2:
        raise StepUpRequired()
    stored = storage.find(principal.org_id, export_id) if _EXPORT_ID.match(export_id) else None
    if stored is None:
        raise NotFound("No such export.")
    if clock.now() >= available_until(stored):
        storage.delete(principal.org_id, export_id)
        raise NotFound("This export is no longer available; make a new one.")
    audit.record(principal.org_id, principal.user_id, "org.export_link_issued", origin=principal.origin,
                 subjects={"export_id": export_id})
    return describe(principal.org_id, stored)


def describe(org_id: str, stored: storage.StoredExport) -> dict[str, Any]:
    url, expires = storage.download_link(org_id, stored)
    return {"id": stored.export_id, "created_at": clock.isoformat(stored.created_at),
            "available_until": clock.isoformat(available_until(stored)),
            "file_name": storage.file_name(stored), "format": "age-encrypted zip",
            "size_bytes": stored.size_bytes, "sha256": stored.sha256, "counts": stored.counts,
            "download": {"url": url, "expires_at": clock.isoformat(expires)}}


def available_until(stored: storage.StoredExport) -> datetime:
    return stored.created_at + DOWNLOADABLE_FOR


def _require_fresh_second_factor(principal: Principal, user: User, code: str | None) -> None:
    """A session that began with a second factor, and a current authenticator code now (under the
    account's lockout, like every secret checked inside a session)."""
    if principal.assurance < 2 or not code:
        raise StepUpRequired()
    reauth.recheck(principal, user, "org.export", lambda: _code_ok(user, code),
                   refusal="The code is not correct.")


def _code_ok(user: User, code: str) -> bool:
    try:
        totp.accept_any(user, code)
    except InvalidCredentials:
        return False
    return True


def _make(principal: Principal) -> tuple[storage.StoredExport, str]:
    org = org_by_id(principal.org_id)
    now = clock.now()
    header = bundle.ExportHeader(uuid.uuid4().hex, org.org_id, clock.isoformat(now), principal.user_id)
    made = bundle.build(org, header)
    key = archive.new_key()
    sealed = archive.seal(made.data, key)
    stored = storage.StoredExport(header.export_id, now.replace(microsecond=0), principal.user_id, len(sealed),
                                  hashlib.sha256(sealed).hexdigest(), made.counts)
    storage.put(org.org_id, stored, sealed)
    return stored, key


def _counted(counts: dict[str, int]) -> dict[str, str]:
    """{"customers.json": 12} -> {"customers_count": "12"}: the audit subjects of an export are ids and counts."""
    return {name.removesuffix(".json").replace("-", "_") + "_count": str(count)
            for name, count in counts.items() if name.endswith(".json")}


def _tell_owners(principal: Principal, stored: storage.StoredExport) -> None:
    """Every active owner hears of the export: when, by whom, from where; never the link or the key."""
    org = org_by_id(principal.org_id)
    maker = users.find_user(principal.org_id, principal.user_id).unseal()["name"]
    text = "\n".join([
        f"An export of all of {org.name}'s data in SafeSlot was made on {clock.isoformat(stored.created_at)} (UTC)",
        f"by {maker}, from the network address {principal.origin.source_ip or 'unknown'}.", "",
        f"It can be downloaded until {clock.isoformat(available_until(stored))} by its owners, and "
        "the file is deleted within a day.", "",
        "If you did not expect this, sign in, end the sessions of your account and change your password, "
        "and review the audit trail (event org.exported).",
    ])
    for owner in User.query(principal.org_id, filter_condition=User.role == Role.OWNER.value):
        if not owner.disabled:
            notify.send_email(owner.unseal()["email"], f"An export of {org.name}'s data was made", text)
