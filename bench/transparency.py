"""Transparency costs, as AWS calls (counts): an access report as the org's audit chain grows (it reads
the chain: the audit package's per-subject index would make it flat), a support read, and the policy
notice job's first run against a repeated one (per recipient), and the owner's read of who was told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.api_calls import counting_calls, per_operation
from infra.local_stack import mocked_stack

CHAIN_SIZES = (100, 400)
TARGET_READS = 20
STAFF_USERS = 10


def measure() -> dict[str, Any]:
    with mocked_stack():
        from chalicelib.services import audit
        from chalicelib.services.organizations import create_org

        org = create_org("bench-transparency", "Bench Clinic")
        return {"access_report": _report_costs(org.org_id), "support_read": _support_read(org),
                "policy_notices": _notice_costs(org), "setup": {"chain_sizes": CHAIN_SIZES,
                                                                "reads_of_the_patient": TARGET_READS,
                                                                "staff_users": STAFF_USERS},
                "audit_events_written": audit.verify(org.org_id).events_checked}


def _report_costs(org_id: str) -> dict[str, Any]:
    from chalicelib.services import access_report, audit, customers

    target = customers.create_customer(org_id, customers.CustomerDetails("Pat", "pat@bench.example"), "bench")
    found: dict[str, Any] = {}
    written = 1
    for size in CHAIN_SIZES:
        for i in range(written, size):
            subject = target if i % (size // TARGET_READS) == 0 else f"other-{i}"
            audit.record(org_id, "bench", "customer.read", subjects={"customer_id": subject})
        written = size
        with counting_calls() as calls:
            report = access_report._report(org_id, target, "customer", audit.SYSTEM)
        found[f"aws_calls_with_{size}_events"] = per_operation(calls, 1)
        found[f"entries_with_{size}_events"] = len(report["entries"])
    return found


def _support_read(org: Any) -> dict[str, Any]:
    """AWS calls for one support read: session, grant, audit append, the read itself."""
    from chalicelib import clock
    from chalicelib.models.organization import Organization
    from chalicelib.models.support import SupportGrant
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner
    from chalicelib.services.organizations import create_org
    from chalicelib.services.support import reads, sessions

    vendor = create_org("bench-vendor", "SafeSlot support")
    Organization(vendor.org_id).update(actions=[Organization.vendor.set(True)])
    agent_id = create_first_owner(vendor.org_id, "agent@vendor.example", "Agent").user["id"]  # a real person
    SupportGrant("bench-grant", org_id=org.org_id, agent_id=agent_id, kind="request", reason="bench", hours=1,
                 status="active", requested_at=clock.now(), expires_at=clock.now() + timedelta(hours=1)).save()
    agent = Principal(vendor.org_id, agent_id, "owner", "s", "full", SYSTEM, assurance=2)
    token = sessions.open_session(agent, "bench-grant")["token"]
    with counting_calls() as calls:
        for _ in range(10):
            reads.services(sessions.support_principal(token, SYSTEM))
    return {"aws_calls_per_read": per_operation(calls, 10)}


def _notice_costs(org: Any) -> dict[str, Any]:
    """AWS calls per recipient: the run that sends, and a repeated run that finds every claim taken."""
    from chalicelib import clock
    from chalicelib.jobs import policy_notices
    from chalicelib.jobs.runner import JobReport
    from chalicelib.services import privacy_policies
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.identity.users import create_first_owner, create_user

    owner_id = create_first_owner(org.org_id, "owner@bench.example", "Owner").user["id"]
    owner = Principal(org.org_id, owner_id, "owner", "s", "full", SYSTEM)
    for i in range(STAFF_USERS - 1):
        create_user(owner, f"staff{i}@bench.example", f"Staff {i}", "staff")
    privacy_policies.publish(owner, privacy_policies.NewPolicy("Version one.", "First."))
    privacy_policies.publish(owner, privacy_policies.NewPolicy("Version two.", "Changed.",
                                                               effective_at=clock.now() + timedelta(days=31)))
    found: dict[str, Any] = {}
    for run in ("first_run", "repeated_run"):
        report = JobReport("policy_notices")
        with counting_calls() as calls:
            policy_notices.run_policy_notices(report)
        found[f"{run}_sent"] = report.details["policy_notices_sent"]
        found[f"{run}_aws_calls_per_recipient"] = per_operation(calls, STAFF_USERS)
    from chalicelib.services import policy_audience

    with counting_calls() as calls:  # the owner's "who has been told" of the announced version
        policy_audience.who_was_told(owner, "2")
    found["who_was_told_aws_calls"] = per_operation(calls, 1)
    return found
