"""Work every restore redoes on its tables before it reports done (`restore.RESTORE_HOOKS`), so that an
older backup brings back nothing that was taken away since it was made:

- every customer erasure in the ledger (the table, and the mirror in the restore's bucket) is replayed;
- no session, pending sign-in or support session survives: everyone signs in again (a session revoked
  after the backup would otherwise live again; emptying them is the one rule that needs no live data);
- second factors keep what the live tables know: TOTP steps spent and recovery codes used since stay
  spent, factors removed since stay removed;
- users disabled, removed, demoted, reset or given a new password since keep that state.

The last two merge from the live tables, where the live state is the stricter one; when the live tables
are unreachable (the first region is lost) they cannot, and the restore's report says so.
Each hook is an independent function of the `Restored` tables; each reports counts in `restored.hooks`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from pynamodb.models import Model

from chalicelib.logs import logger
from chalicelib.models.mfa import MfaChallenge, MfaFactor
from chalicelib.models.rebound import on_table
from chalicelib.models.session import Session
from chalicelib.models.support import SupportSession
from chalicelib.models.user import User
from chalicelib.services.erasure import ledger
from chalicelib.services.erasure.customer_data import CustomerTables, erase_records, tombstone_of

if TYPE_CHECKING:
    from chalicelib.jobs.restore import Restored

SIGN_IN_STATE = {"sessions": Session, "mfa_challenges": MfaChallenge, "support_sessions": SupportSession}
# What a user's access hangs on: copied from the live row when access was cut there since the backup.
USER_ACCESS_FIELDS = ("role", "password_hash", "password_changed_at", "password_history", "setup_token_hash",
                      "setup_token_expires_at", "access_version")


def replay_customer_erasures(restored: Restored) -> None:
    """Erase again, in the restored tables, every customer the ledger says was erased."""
    tables, counts, replayed = CustomerTables.on(restored.tables), Counter[str](), 0
    for entry in ledger.entries(source=restored.source):
        if entry.kind != ledger.CUSTOMER:
            continue  # org erasures are replayed by their own hook
        counts.update(erase_records(tables, entry.org_id, entry.subject_id, tombstone_of(entry.erasure_id)).counts)
        replayed += 1
    restored.hooks["customer_erasures"] = {"replayed": replayed, "deleted": dict(sorted(counts.items()))}


def end_restored_sessions(restored: Restored) -> None:
    """Empty the restored sessions, pending MFA sign-ins and support sessions."""
    emptied = {}
    for logical, model in SIGN_IN_STATE.items():
        if logical in restored.tables:
            emptied[logical] = _empty(on_table(model, restored.tables[logical]))
    restored.hooks["sign_in_state"] = {"deleted": emptied}


def keep_spent_factors(restored: Restored) -> None:
    """Carry the live replay protection over: spent TOTP steps, used recovery codes, removed factors."""
    if "mfa_factors" not in restored.tables or not _reachable(MfaFactor, restored, "mfa_factors"):
        return
    counts = Counter[str]()
    for row in on_table(MfaFactor, restored.tables["mfa_factors"]).scan():
        live = _live(MfaFactor, row.org_id, row.factor_key)
        if live is None:
            row.delete()
            counts["removed"] += 1
            continue
        actions = _factor_actions(row, live)
        if actions:
            row.update(actions=actions)
            counts["updated"] += 1
    restored.hooks["mfa_factors"] = dict(counts)


def keep_user_restrictions(restored: Restored) -> None:
    """Users disabled or removed since the backup stay so; access cut since (role, password, reset)
    takes the live row's state."""
    if "users" not in restored.tables or not _reachable(User, restored, "users"):
        return
    counts = Counter[str]()
    for row in on_table(User, restored.tables["users"]).scan():
        live = _live(User, row.org_id, row.user_id)
        actions = _user_actions(row, live)
        if actions:
            row.update(actions=actions)
            counts["updated"] += 1
    restored.hooks["users"] = dict(counts)


def _factor_actions(row: MfaFactor, live: MfaFactor) -> list[Any]:
    actions = []
    if int(live.last_step or 0) > int(row.last_step or 0):
        actions.append(MfaFactor.last_step.set(live.last_step))
    if int(live.sign_count or 0) > int(row.sign_count or 0):
        actions.append(MfaFactor.sign_count.set(live.sign_count))
    if row.code_hashes is not None and list(live.code_hashes or []) != list(row.code_hashes):
        actions.append(MfaFactor.code_hashes.set(list(live.code_hashes or [])))  # used or replaced since
    return actions


def _user_actions(row: User, live: User | None) -> list[Any]:
    if live is None:
        return [] if row.disabled else [User.disabled.set(True)]  # removed since the backup
    actions = [] if row.disabled or not live.disabled else [User.disabled.set(True)]
    if int(live.access_version or 0) > int(row.access_version or 0):
        for name in USER_ACCESS_FIELDS:
            value = getattr(live, name)
            attribute = getattr(User, name)
            actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _empty(model: type[Model]) -> int:
    deleted = 0
    with model.batch_write() as batch:
        for item in model.scan():
            batch.delete(item)
            deleted += 1
    return deleted


def _live(model: Any, hash_key: str, range_key: str) -> Any:
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None


def _reachable(model: type[Model], restored: Restored, logical: str) -> bool:
    """Whether the live table answers; if not, the restore's report says what could not be merged."""
    try:
        if model.exists():
            return True
    except Exception as error:  # the live region is down: nothing to merge from
        logger.error("live table unreachable: restored rows not merged", extra={
            "table": logical, "error_type": type(error).__name__})
    restored.hooks[logical] = {"merged": False, "why": "the live table is unreachable"}
    return False
