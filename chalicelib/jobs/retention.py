"""The daily retention job (HIPAA 164.316(b)(2), ASVS 14.2.7): per org, bookings are deleted
`booking_retention_days` after they end and customers `customer_retention_days` after their last
appointment (with every booking and lock of theirs; 0 keeps them; a deleted booking's end lives on as the
customer's `last_visit_at`, so customers outlast their bookings), audit events after
`audit_retention_days` (six years at least), login attempts after 90 days. Each deletion is audited
with its counts; a dry run lists what would go and deletes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.jobs.runner import SYSTEM_CHAIN, JobReport
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.login_attempt import LoginAttempt
from chalicelib.models.organization import Organization
from chalicelib.services import audit
from chalicelib.services.booking import slot_locks
from chalicelib.services.booking.bookings import staff_key
from chalicelib.services.identity.policy import SecurityPolicy, policy_of

LOGIN_ATTEMPTS_KEPT = timedelta(days=90)
ACTOR = "job:retention"


@dataclass
class Plan:
    """What one org's retention removes."""

    bookings: list[Booking] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    login_attempts: list[LoginAttempt] = field(default_factory=list)

    def ids(self) -> dict[str, list[str]]:
        return {"bookings": [b.booking_id for b in self.bookings],
                "customers": [c.customer_id for c in self.customers],
                "login_attempts": [a.attempt_key for a in self.login_attempts]}


def run_retention(report: JobReport, dry_run: bool = False) -> None:
    now, listed = clock.now(), {}
    for org in Organization.scan():
        policy = policy_of(org)
        plan = plan_for(org.org_id, policy, now)
        listed[org.slug] = plan.ids()
        if not dry_run:
            report.count_deleted(_apply(org.org_id, plan, policy, now))
    if not dry_run:
        pruned = audit.prune_older_than(SYSTEM_CHAIN, now - timedelta(days=SecurityPolicy().audit_retention_days))
        report.count_deleted({"audit_events": pruned})
    report.details["dry_run"] = dry_run
    report.details["deleted" if not dry_run else "would_delete"] = listed


def plan_for(org_id: str, policy: SecurityPolicy, now: datetime) -> Plan:
    plan = Plan(login_attempts=list(LoginAttempt.query(
        org_id, LoginAttempt.attempt_key < clock.isoformat(now - LOGIN_ATTEMPTS_KEPT))))
    bookings = list(Booking.by_start.query(org_id)) if policy.booking_retention_days or \
        policy.customer_retention_days else []
    if policy.booking_retention_days:
        cutoff = now - timedelta(days=policy.booking_retention_days)
        plan.bookings = [b for b in bookings if b.ends_at < cutoff]
    if policy.customer_retention_days:
        cutoff = now - timedelta(days=policy.customer_retention_days)
        last_seen = _last_appointments(bookings)
        plan.customers = [c for c in Customer.query(org_id) if _last_seen(c, last_seen) < cutoff]
        gone = {c.customer_id for c in plan.customers}
        plan.bookings += [b for b in bookings if b.customer_id in gone and b not in plan.bookings]
    return plan


def _last_appointments(bookings: Iterable[Booking]) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for booking in bookings:
        last[booking.customer_id] = max(booking.ends_at, last.get(booking.customer_id, booking.ends_at))
    return last


def _last_seen(customer: Customer, last_appointments: dict[str, datetime]) -> datetime:
    """When the customer was last seen: their latest appointment, kept or deleted, else their creation."""
    candidates = [customer.created_at, customer.last_visit_at, last_appointments.get(customer.customer_id)]
    return max(moment for moment in candidates if moment is not None)


def _remember_last_visits(org_id: str, plan: Plan) -> None:
    """Before bookings go, keep their latest end on each customer who stays."""
    gone = {c.customer_id for c in plan.customers}
    for customer_id, ended in _last_appointments(b for b in plan.bookings if b.customer_id not in gone).items():
        customer = Customer(org_id, customer_id)
        try:
            customer.update(actions=[Customer.last_visit_at.set(ended)],
                            condition=Customer.customer_id.exists() & (Customer.last_visit_at.does_not_exist()
                                                                       | (Customer.last_visit_at < ended)))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # a later visit is already remembered, or the customer is gone: nothing to keep


def _apply(org_id: str, plan: Plan, policy: SecurityPolicy, now: datetime) -> dict[str, int]:
    """Delete what `plan` lists; returns the items deleted per table."""
    _remember_last_visits(org_id, plan)
    locks = 0
    for booking in plan.bookings:  # its slots still held (an expired hold's may be another booking's now)
        locks += slot_locks.release_own(staff_key(org_id, booking.staff_id), booking.booking_id,
                                        booking.granules or [])
        booking.delete()
    for item in [*plan.customers, *plan.login_attempts]:
        item.delete()
    pruned = audit.prune_older_than(org_id, now - timedelta(days=policy.audit_retention_days))
    counts = {"bookings": len(plan.bookings), "customers": len(plan.customers),
              "login_attempts": len(plan.login_attempts), "audit_events": pruned}
    if any(counts.values()):
        audit.record(org_id, ACTOR, "retention.deleted", subjects={k: str(v) for k, v in counts.items()})
    return {**counts, "slot_locks": locks}
