"""Evidence at a glance: what shows a clinic its protections working, read from what the jobs and
requests already record (HIPAA 164.308(a)(1)(ii)(D) information system activity review, 164.308(a)(7)
contingency plan testing; ASVS 16.1).

- the last backup run and the regions it is kept in, and the last restore drill: the jobs' events on the
  system audit chain (`job.backup`, `job.restore_drill`, written by `jobs/runner.run_job`);
- the audit chain: when the daily job last verified every chain against its signed digests, when a
  person of this org last did, and this org's latest signed digest;
- failed sign-ins of the last seven days, and the data requests still open (patients' erasure requests,
  support access waiting for a decision).

Counts and instants only: no names, no addresses. Reading it is itself an audit event.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.models.audit import HEAD_SEQ, AuditEvent
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.models.self_service import ErasureRequest
from chalicelib.models.support import SupportGrant
from chalicelib.services import audit
from chalicelib.services.audit import digests
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal

SYSTEM_CHAIN = "_system"  # the chain of jobs' and operators' events (jobs/runner.py)
WEEK = timedelta(days=7)
SEARCH_DEPTH = 5000  # newest events of a chain looked through for a job's last run
COUNT_CAP = 10000  # a count past this shows as "10000 or more"
# Outcomes of a sign-in that did not get in for lack of the right secret (not a step of a good sign-in).
FAILED_OUTCOMES = ("bad_password", "unknown_account", "locked", "ip_denied", "disabled", "throttled",
                   "mfa_failed", "reauth_failed")
OPEN_GRANTS = ("requested", "awaiting_second")


def evidence(principal: Principal) -> dict[str, Any]:
    """The org's evidence summary (owners, admins and auditors: `audit.read`)."""
    require(principal.role, Permission.AUDIT_READ)
    now = clock.now()
    found = {
        "checked_at": clock.isoformat(now),
        "backup": {**_last_run("job.backup"), "regions": _regions()},
        "restore_drill": {**_last_run("job.restore_drill")},
        "audit_chain": _audit_chain(principal.org_id),
        "failed_sign_ins": _failed_sign_ins(principal.org_id, now - WEEK),
        "open_requests": _open_requests(principal.org_id),
    }
    audit.record(principal.org_id, principal.user_id, "evidence.read", origin=principal.origin)
    return found


def _last_run(action: str, chain: str = SYSTEM_CHAIN) -> dict[str, Any]:
    """When `action` last ran and how it ended, and when it last succeeded."""
    last, last_ok = None, None
    newest = AuditEvent.query(chain, AuditEvent.seq > HEAD_SEQ, scan_index_forward=False)
    for _, event in zip(range(SEARCH_DEPTH), newest, strict=False):
        if event.action != action:
            continue
        last = last or event
        if event.outcome == "success":
            last_ok = event
            break
    return {"last_run_at": last.at if last else None, "last_outcome": last.outcome if last else None,
            "last_success_at": last_ok.at if last_ok else None}


def _regions() -> list[str]:
    """Each run exports to the primary region's bucket and copies to the replica region's (jobs/backup.py)."""
    return list(dict.fromkeys([settings().region, settings().replica_region]))


def _audit_chain(org_id: str) -> dict[str, Any]:
    latest = digests.latest(org_id)
    digest = latest["digest"] if latest else None
    return {
        "job": _last_run("job.audit_verify"),
        "by_staff": _last_run("audit.verified", org_id),
        "latest_digest": {"number": int(digest["number"]), "created_at": digest["created_at"],
                          "last_seq": int(digest["last_seq"])} if digest else None,
    }


def _failed_sign_ins(org_id: str, since: Any) -> dict[str, Any]:
    rows = LoginAttempt.query(org_id, LoginAttempt.attempt_key.between(clock.isoformat(since), "9999#~"),
                              filter_condition=LoginAttempt.outcome.is_in(*FAILED_OUTCOMES),
                              attributes_to_get=["attempt_key"])
    count = sum(1 for _ in zip(range(COUNT_CAP), rows, strict=False))
    return {"since": clock.isoformat(since), "count": count, "capped": count >= COUNT_CAP}


def _open_requests(org_id: str) -> dict[str, int]:
    erasure = ErasureRequest.query(org_id, filter_condition=ErasureRequest.status == "pending",
                                   attributes_to_get=["customer_id"])
    grants = SupportGrant.by_org.query(org_id, filter_condition=SupportGrant.status.is_in(*OPEN_GRANTS))
    return {"erasure_requests": sum(1 for _ in erasure), "support_requests": sum(1 for _ in grants)}
