"""Support grants: asked by a vendor person for one org, a reason and at most 72 hours; approved or
refused by the org's owner or an admin with a fresh second factor; or opened at once by two distinct
vendor people (break-glass), which alerts the clinic. Every step is on the clinic's audit chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import clock
from chalicelib.errors import Conflict, Forbidden, NotFound, StepUpRequired, ValidationFailed
from chalicelib.models.organization import Organization
from chalicelib.models.support import SupportGrant
from chalicelib.services import audit
from chalicelib.services.identity import reauth
from chalicelib.services.identity.roles import Permission, require
from chalicelib.services.identity.sessions import Principal
from chalicelib.services.org_lifecycle.status import refuse_if_suspended
from chalicelib.services.organizations import org_by_id, org_by_slug
from chalicelib.services.support.alerts import raise_alarm, tell_clinic_admins
from chalicelib.services.support.confirmers import confirmer
from chalicelib.services.support.reasons import plain_reason

MAX_HOURS = 72
REQUESTED, AWAITING_SECOND, ACTIVE, REFUSED, REVOKED = "requested", "awaiting_second", "active", "refused", "revoked"
NOT_WAITING = "This support grant is not waiting for that decision."
REQUEST, BREAK_GLASS = "request", "break_glass"
ACTOR_PREFIX = "support:"  # support people act under their own vendor user id, marked as support


@dataclass(frozen=True)
class AccessAsk:
    org_slug: str
    reason: str
    hours: int
    notes: bool = False  # also the notes patients and clinicians wrote (the clinic sees that it is asked)


def support_actor(agent_id: str) -> str:
    """The audit actor of a support person: their own vendor user id, marked as support."""
    return f"{ACTOR_PREFIX}{agent_id}"


def require_vendor_agent(principal: Principal) -> None:
    """Only users of SafeSlot's own vendor org, signed in with a second factor, act as support."""
    if not Organization.get(principal.org_id).vendor:
        raise NotFound()
    if principal.assurance < 2:
        raise StepUpRequired()


# --- the vendor's side --------------------------------------------------------------------------------

def request_access(agent: Principal, ask: AccessAsk) -> dict[str, Any]:
    """Ask the clinic for read-only access; its owners and admins are told at once."""
    grant = _new_grant(agent, ask, REQUEST, REQUESTED)
    _record(grant, support_actor(agent.user_id), "support.access_requested", agent.origin)
    org = org_by_id(grant.org_id)
    tell_clinic_admins(grant.org_id, f"SafeSlot support asks to see {org.name}'s data", "\n".join([
        f"A SafeSlot support person asks for read-only access to {org.name} for {grant.hours} hours.",
        f"Reason given: {grant.reason}", _notes_line(grant), "",
        "Nothing is visible to them unless an owner or admin approves it (Support access, in your settings).",
    ]))
    return describe(grant)


def start_break_glass(agent: Principal, ask: AccessAsk) -> dict[str, Any]:
    """The first of two vendor people (both from the break-glass list) opens an emergency access; a second
    one must confirm it."""
    require_vendor_agent(agent)
    confirmer(agent.org_id, agent.user_id)
    grant = _new_grant(agent, ask, BREAK_GLASS, AWAITING_SECOND)
    _record(grant, support_actor(agent.user_id), "support.break_glass_started", agent.origin)
    return describe(grant)


def confirm_break_glass(second: Principal, grant_id: str) -> dict[str, Any]:
    """A second, different vendor person from the break-glass list opens the emergency access: the clinic
    is alerted at once. Two accounts of one mailbox are one person."""
    require_vendor_agent(second)
    grant = _grant(grant_id)
    if grant.kind != BREAK_GLASS:
        raise NotFound("No such support grant.")
    if grant.agent_id == second.user_id:
        raise Forbidden("Break-glass needs a second, different SafeSlot person.")
    first, other = confirmer(second.org_id, grant.agent_id), confirmer(second.org_id, second.user_id)
    if first.email_index == other.email_index:
        raise Forbidden("Break-glass needs a second, different SafeSlot person.")
    refuse_if_suspended(org_by_id(grant.org_id))
    _activate(grant, second.user_id, from_status=AWAITING_SECOND)
    _record(grant, support_actor(second.user_id), "support.break_glass_opened", second.origin)
    org = org_by_id(grant.org_id)
    text = "\n".join([
        f"Two SafeSlot people opened emergency (break-glass) read-only access to {org.name}'s data "
        f"until {clock.isoformat(grant.expires_at)}.", f"Reason given: {grant.reason}", _notes_line(grant), "",
        "Every read is listed under Support access in your settings; you can end it there at once, and "
        "please review it when it is over.",
    ])
    tell_clinic_admins(grant.org_id, f"Emergency SafeSlot support access to {org.name}", text)
    raise_alarm("SafeSlot support break-glass opened", f"org {grant.org_id}, grant {grant.grant_id}")
    return describe(grant)


# --- the clinic's side ---------------------------------------------------------------------------------

def list_grants(principal: Principal) -> list[dict[str, Any]]:
    require(principal.role, Permission.SUPPORT_READ)
    return [describe(g) for g in SupportGrant.by_org.query(principal.org_id, scan_index_forward=False)]


def clinic_grant(principal: Principal, grant_id: str, permission: Permission) -> SupportGrant:
    """A grant of the caller's own org (another org's id is 404)."""
    require(principal.role, permission)
    grant = _grant(grant_id)
    if grant.org_id != principal.org_id:
        raise NotFound("No such support grant.")
    return grant


def approve(principal: Principal, grant_id: str, proof: dict[str, Any]) -> dict[str, Any]:
    """Approve with a fresh second factor (an authenticator code or a security key's answer), under the
    account's lockout (a stolen session cannot guess its way to letting support in)."""
    grant = clinic_grant(principal, grant_id, Permission.SUPPORT_MANAGE)
    if grant.status != REQUESTED:  # before the factor is spent
        raise Conflict(NOT_WAITING)
    reauth.require_fresh_factor(principal, "support.access_approve", proof, password_session_too=True)
    _activate(grant, principal.user_id, from_status=REQUESTED)
    _record(grant, principal.user_id, "support.access_approved", principal.origin)
    return describe(grant)


def refuse(principal: Principal, grant_id: str) -> dict[str, Any]:
    grant = clinic_grant(principal, grant_id, Permission.SUPPORT_MANAGE)
    _move(grant, REQUESTED, [SupportGrant.status.set(REFUSED), SupportGrant.decided_by.set(principal.user_id),
                             SupportGrant.decided_at.set(clock.now())])
    _record(grant, principal.user_id, "support.access_refused", principal.origin)
    return describe(grant)


def revoke(principal: Principal, grant_id: str) -> dict[str, Any]:
    """End a grant now, whatever its state; its sessions stop working on their next request."""
    grant = clinic_grant(principal, grant_id, Permission.SUPPORT_MANAGE)
    if grant.status in (REFUSED, REVOKED):
        raise Conflict("This support grant has ended already.")
    _move(grant, grant.status, [SupportGrant.status.set(REVOKED), SupportGrant.ended_by.set(principal.user_id),
                                SupportGrant.ended_at.set(clock.now())])
    _record(grant, principal.user_id, "support.access_revoked", principal.origin)
    return describe(grant)


def review(principal: Principal, grant_id: str) -> dict[str, Any]:
    """Mark a break-glass access as reviewed by the clinic."""
    grant = clinic_grant(principal, grant_id, Permission.SUPPORT_MANAGE)
    if grant.kind != BREAK_GLASS or grant.reviewed_at is not None:
        raise Conflict("Only an unreviewed break-glass access can be reviewed.")
    grant.update(actions=[SupportGrant.reviewed_by.set(principal.user_id), SupportGrant.reviewed_at.set(clock.now())])
    _record(grant, principal.user_id, "support.break_glass_reviewed", principal.origin)
    return describe(grant)


# --- shared ------------------------------------------------------------------------------------------------

def is_live(grant: SupportGrant) -> bool:
    """Active, not revoked, and not past its end."""
    return grant.status == ACTIVE and grant.expires_at is not None and clock.now() < grant.expires_at


def describe(grant: SupportGrant) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return clock.isoformat(value) if value else None
    state = "expired" if grant.status == ACTIVE and not is_live(grant) else grant.status
    return {"id": grant.grant_id, "kind": grant.kind, "status": state, "agent_id": grant.agent_id,
            "reason": grant.reason, "hours": int(grant.hours), "notes": bool(grant.notes),
            "requested_at": when(grant.requested_at),
            "decided_by": grant.decided_by, "decided_at": when(grant.decided_at),
            "expires_at": when(grant.expires_at), "ended_by": grant.ended_by, "ended_at": when(grant.ended_at),
            "reviewed_by": grant.reviewed_by, "reviewed_at": when(grant.reviewed_at)}


def grant_by_id(grant_id: str) -> SupportGrant:
    return _grant(grant_id)


def _new_grant(agent: Principal, ask: AccessAsk, kind: str, status: str) -> SupportGrant:
    require_vendor_agent(agent)
    if not 1 <= ask.hours <= MAX_HOURS:
        raise ValidationFailed(f"Support access lasts 1 to {MAX_HOURS} hours.", field="hours")
    reason = plain_reason(ask.reason)
    org = org_by_slug(ask.org_slug)
    if org.vendor:
        raise NotFound("No such organization.")
    grant = SupportGrant(uuid.uuid4().hex, org_id=org.org_id, agent_id=agent.user_id, kind=kind,
                         reason=reason, hours=ask.hours, notes=ask.notes, status=status, requested_at=clock.now())
    grant.save(condition=SupportGrant.grant_id.does_not_exist())
    return grant


def _notes_line(grant: SupportGrant) -> str:
    if grant.notes:
        return "They also ask to read the notes patients and clinicians wrote."
    return "They do not ask to read notes: those stay hidden from them."


def _activate(grant: SupportGrant, decided_by: str, from_status: str) -> None:
    now = clock.now()
    _move(grant, from_status, [SupportGrant.status.set(ACTIVE), SupportGrant.decided_by.set(decided_by),
                               SupportGrant.decided_at.set(now),
                               SupportGrant.expires_at.set(now + timedelta(hours=int(grant.hours)))])


def _move(grant: SupportGrant, from_status: str, actions: list[Any]) -> None:
    """Change a grant only from the state it was seen in: two deciders never both win."""
    try:
        grant.update(actions=actions, condition=SupportGrant.status == from_status)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(NOT_WAITING) from error
        raise


def _grant(grant_id: str) -> SupportGrant:
    try:
        return SupportGrant.get(grant_id, consistent_read=True)
    except SupportGrant.DoesNotExist as error:
        raise NotFound("No such support grant.") from error


def _record(grant: SupportGrant, actor: str, action: str, origin: audit.Origin) -> None:
    audit.record(grant.org_id, actor, action, origin=origin,
                 subjects={"grant_id": grant.grant_id, "agent_id": grant.agent_id})


def activity(principal: Principal, grant_id: str) -> dict[str, Any]:
    """A grant and everything its support person did under it (requests, sessions, each read)."""
    grant = clinic_grant(principal, grant_id, Permission.SUPPORT_READ)
    events = audit.list_events(principal.org_id, audit.EventFilter(actor=support_actor(grant.agent_id), limit=500),
                               principal.user_id, principal.origin)
    done = [e for e in events if dict(e["subjects"]).get("grant_id") == grant_id]  # type: ignore[call-overload]
    return {"grant": describe(grant), "activity": [
        {"at": e["at"], "action": e["action"], "subjects": e["subjects"], "outcome": e["outcome"]} for e in done]}
