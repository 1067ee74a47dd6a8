"""The log of every login attempt (ASVS 16.3.1, NIST SP 800-63B 5.2.2), kept 90 days."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.network_traces import coarse_user_agent, truncated_ip
from chalicelib.services import audit
from chalicelib.services.audit import Origin

RETENTION = timedelta(days=90)
UNKNOWN_ORG = "-"  # attempts naming an org that does not exist
OUTCOMES = ("success", "bad_password", "unknown_account", "locked", "ip_denied", "password_expired",
            "disabled", "throttled", "mfa_required", "mfa_enrollment_required", "mfa_failed", "reauth_failed")


@dataclass(frozen=True)
class AttemptFilter:
    user_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def record_attempt(org_id: str, outcome: str, origin: Origin, user_id: str | None = None,
                   factor: str = "password") -> None:
    attempt_row(org_id, outcome, origin, user_id, factor).save()


def attempt_row(org_id: str, outcome: str, origin: Origin, user_id: str | None = None,
                factor: str = "password") -> LoginAttempt:
    """The log row of one attempt, not yet written (a successful login writes it in its transaction)."""
    now = clock.now()
    return LoginAttempt(
        org_id,
        # time to the microsecond, then a process-monotonic tie-breaker and randomness: sorts by time
        f"{now.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{time.perf_counter_ns():020d}{secrets.token_hex(4)}",
        at=clock.isoformat(now),
        user_id=user_id,
        outcome=outcome,
        factor=factor,
        source_ip=truncated_ip(origin.source_ip),  # the network only (ASVS 14.2)
        user_agent=coarse_user_agent(origin.user_agent),
        ttl=int((now + RETENTION).timestamp()),
    )


def list_attempts(org_id: str, query: AttemptFilter, reader: str, origin: Origin) -> list[dict[str, Any]]:
    """This org's attempts, newest first, filtered by user, outcome and time. The read is an audit event."""
    low = clock.isoformat(query.since) if query.since else "0"
    high = (clock.isoformat(query.until) if query.until else "9999") + "#~"
    condition = LoginAttempt.attempt_key.between(low, high)
    filters = None
    if query.user_id:
        filters = LoginAttempt.user_id == query.user_id
    if query.outcome:
        by_outcome = LoginAttempt.outcome == query.outcome
        filters = by_outcome if filters is None else filters & by_outcome
    rows = LoginAttempt.query(org_id, condition, filter_condition=filters, scan_index_forward=False)
    found = [_public(row) for _, row in zip(range(query.limit), rows, strict=False)]
    subjects = {"results": str(len(found)), **({"user_id": query.user_id} if query.user_id else {})}
    audit.record(org_id, reader, "login_attempts.listed", subjects=subjects, origin=origin)
    return found


def _public(row: LoginAttempt) -> dict[str, Any]:
    return {"at": row.at, "user_id": row.user_id, "outcome": row.outcome, "factor": row.factor,
            "source_ip": row.source_ip, "user_agent": row.user_agent}
