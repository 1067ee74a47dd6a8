"""Login latency (p50, p95) with the argon2id parameters in use, against argon2 alone, and AWS calls per login."""

from __future__ import annotations

import contextlib
import statistics
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.timing import milliseconds, percentile
from infra.local_stack import mocked_stack

LOGINS = 40
PASSWORD = "violet-harbor-tundra-41"


def measure() -> dict[str, Any]:
    with mocked_stack():
        from chalicelib.errors import InvalidCredentials
        from chalicelib.services.audit import Origin
        from chalicelib.services.identity import passwords
        from chalicelib.services.identity.authentication import login, set_password_with_setup_token
        from chalicelib.services.identity.users import create_first_owner
        from chalicelib.services.organizations import create_org

        org = create_org("bench", "Bench Clinic")
        owner = create_first_owner(org.org_id, "owner@bench.example", "Owner")
        origin = Origin("192.0.2.1", "bench")
        set_password_with_setup_token(owner.setup_token, PASSWORD, origin)
        stored = passwords.hash_password(PASSWORD)

        def failed_login() -> None:
            with contextlib.suppress(InvalidCredentials):
                login("bench", "nobody@bench.example", PASSWORD, origin)

        argon2_ms = milliseconds(lambda: passwords.verify_password(stored, PASSWORD), LOGINS)
        with counting_calls() as calls:
            login_ms = milliseconds(lambda: login("bench", "owner@bench.example", PASSWORD, origin), LOGINS)
        unknown_ms = milliseconds(failed_login, 10)
    hasher = passwords.HASHER
    return {
        "argon2id": {"time_cost": hasher.time_cost, "memory_cost_kib": hasher.memory_cost,
                     "parallelism": hasher.parallelism},
        "logins": LOGINS,
        "argon2_verify_p50_ms": round(statistics.median(argon2_ms), 1),
        "login_p50_ms": round(statistics.median(login_ms), 1),
        "login_p95_ms": round(percentile(login_ms, 0.95), 1),
        "login_p50_vs_argon2_verify": round(statistics.median(login_ms) / statistics.median(argon2_ms), 2),
        "unknown_account_p50_ms": round(statistics.median(unknown_ms), 1),
        "aws_calls_per_login": per_operation(calls, LOGINS),
    }
