"""Erasing a customer (GDPR Art. 17 as the model; HIPAA 164.310(d)(2)(i) disposal): a request the
clinic takes by phone or in writing, carried out by an owner or admin (or an operator, manage.py).

Order: the ledger entry first (a restore of an older backup replays it), then the data (customer_data),
the audit event (ids and a reason category only), the clinic told, and last the customer's key
material destroyed, so that backups taken before keep nothing readable of them (crypto-shredding).
Erasing again finishes what an interrupted erasure left and reports what it found; an unknown id is 404.
"""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.crypto import shred_keys
from chalicelib.errors import NotFound, StepUpRequired
from chalicelib.models.audit import AuditOutboxEntry
from chalicelib.models.booking import Booking
from chalicelib.models.customer import Customer
from chalicelib.models.erasure import ErasureRecord
from chalicelib.services import audit
from chalicelib.services.erasure import ledger
from chalicelib.services.erasure.customer_data import CustomerTables, Erased, erase_records, tombstone_of
from chalicelib.services.erasure.notices import tell_clinic
from chalicelib.services.erasure.reasons import check_reason
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.self_service.erased import customer_erased

OPERATOR = "operator"
SYSTEM_CHAIN = "_system"  # the chain of operators' and jobs' events (jobs/runner.py)


def erase_customer(org_id: str, customer_id: str, actor: str, origin: audit.Origin, reason: str) -> dict[str, Any]:
    """Erase `customer_id` of `org_id` everywhere; returns what went (counts per kind, ids only)."""
    check_reason(reason)
    earlier = ledger.erasures_of(org_id, ledger.CUSTOMER, customer_id)
    if not earlier and not _exists(org_id, customer_id):
        raise NotFound("No such customer.")
    entry = earlier[0] if earlier else ledger.record(org_id, ledger.CUSTOMER, customer_id, actor)
    erased = erase_records(CustomerTables(), org_id, customer_id, tombstone_of(entry.erasure_id),
                           _cancellation_entry(org_id, actor, origin))
    customer_erased(org_id, customer_id, actor)  # the patient's own request closes; a pending new address goes
    report = _report(entry, erased, repeated=bool(earlier))
    audit.record(org_id, actor, "customer.erased", outcome="repeated" if earlier else "success", origin=origin,
                 subjects={"customer_id": customer_id, "erasure_id": entry.erasure_id, "reason": reason,
                           **{kind: str(count) for kind, count in sorted(erased.counts.items())}})
    if not earlier or erased.cancelled:
        report["clinic_told"] = tell_clinic(org_id, customer_id, reason, erased.cancelled)
    report["key_material_destroyed"] = _destroy_key_material(org_id, customer_id)
    return report


def staff_erase(principal: Principal, customer_id: str, reason: str | None) -> dict[str, Any]:
    """An owner or admin, signed in with a second factor, erases a customer they can see."""
    require(principal.role, Permission.CUSTOMERS_ERASE)
    if principal.assurance < 2:
        raise StepUpRequired()
    return erase_customer(principal.org_id, customer_id, principal.user_id, principal.origin, check_reason(reason))


def operator_erase(org_id: str, customer_id: str, reason: str) -> dict[str, Any]:
    """An operator carries out a clinic's written request (manage.py): on the org's chain, as every
    erasure, and on the system chain of operator actions."""
    report = erase_customer(org_id, customer_id, OPERATOR, audit.SYSTEM, reason)
    audit.record(SYSTEM_CHAIN, OPERATOR, "customer.erased", origin=audit.SYSTEM, subjects={
        "org_id": org_id, "customer_id": customer_id, "erasure_id": report["erasure_id"], "reason": reason})
    return report


def _exists(org_id: str, customer_id: str) -> bool:
    try:
        Customer.get(org_id, customer_id, consistent_read=True)
    except Customer.DoesNotExist:
        return False
    return True


def _cancellation_entry(org_id: str, actor: str, origin: audit.Origin) -> Any:
    def entry_for(booking: Booking) -> AuditOutboxEntry:
        return audit.entry(org_id, actor, "booking.cancelled", origin=origin, subjects={
            "booking_id": booking.booking_id, "customer_id": booking.customer_id, "staff_id": booking.staff_id,
            "cause": "customer.erased"})
    return entry_for


def _report(entry: ErasureRecord, erased: Erased, repeated: bool) -> dict[str, Any]:
    return {"customer_id": entry.subject_id, "erasure_id": entry.erasure_id,
            "erased_at": clock.isoformat(entry.erased_at), "repeated": repeated,
            "deleted": dict(sorted(erased.counts.items())),
            "cancelled_bookings": sorted(b.booking_id for b in erased.cancelled)}


def _destroy_key_material(org_id: str, customer_id: str) -> bool:
    """The customer's own key material, destroyed last: what backups hold of them no longer opens."""
    shred_keys.destroy_subject(org_id, shred_keys.customer_subject(customer_id))
    return True
