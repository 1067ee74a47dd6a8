"""A short-lived in-process cache for what the hot paths read on every request and rarely changes:
an org's slug, its public catalog (services, staff), the privacy policy in force (ADR 0020).

Each entry lives at most `TTL_SECONDS`; a change made in this process drops the org's entries at once
(`forget_org`), a change made in another Lambda is seen within `TTL_SECONDS`. Nothing security-relevant
is served from here: the security policy (lockout, IP allowlist, MFA, timeouts), sessions, users and
MFA factors are always read from the table. Where a stale entry could let a write through that it
should not (a booking against changed hours), the write's transaction checks the row's version, so
staleness costs a retry, never a wrong booking. Values are kept as DynamoDB's raw attribute maps and
rebuilt on every read: no caller can change what another one gets.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.models import Model

TTL_SECONDS = 5.0
CAPACITY = 2_000  # entries per process (an org's catalog is a few; a Lambda serves a few orgs at once)

M = TypeVar("M", bound=Model)
_entries: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()


def cached(org_id: str, name: str, load: Callable[[], Any]) -> Any:
    """The value of (org, name), loaded with `load` when absent or older than TTL_SECONDS. `load`
    returns plain JSON-like values (see `model_rows` for models); they are shared: never change them."""
    key = (org_id, name)
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
        if entry is not None and now - entry[0] <= TTL_SECONDS:
            _entries.move_to_end(key)
            return entry[1]
    value = load()
    with _lock:
        _entries[key] = (now, value)
        _entries.move_to_end(key)
        while len(_entries) > CAPACITY:
            _entries.popitem(last=False)
    return value


def cached_rows(org_id: str, name: str, model: type[M], load: Callable[[], list[M]]) -> list[M]:
    """Rows of `model`, cached as raw attribute maps and rebuilt as fresh objects on every call."""
    return [model.from_raw_data(item) for item in _raw_rows(org_id, name, load)]


def cached_row(org_id: str, name: str, model: type[M], load: Callable[[], list[M]], key: tuple[str, str]) -> M | None:
    """The row of `cached_rows` whose string attribute key[0] is key[1], rebuilt alone (a request that needs
    one service or staff member rebuilt all of them: ~6% of a public booking's CPU); None if none is."""
    attribute, value = key
    wanted = {"S": value}
    return next((model.from_raw_data(item) for item in _raw_rows(org_id, name, load) if item.get(attribute) == wanted),
                None)


def _raw_rows(org_id: str, name: str, load: Callable[[], list[M]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cached(org_id, name, lambda: [row.serialize() for row in load()])
    return rows


def forget_org(org_id: str) -> None:
    """Drop every entry of `org_id` (a change to its catalog, policy or slug in this process)."""
    with _lock:
        for key in [k for k in _entries if k[0] == org_id]:
            del _entries[key]


def forget(org_id: str, name: str) -> None:
    """Drop one entry of `org_id` (a change to just that list in this process, e.g. its webhook endpoints)."""
    with _lock:
        _entries.pop((org_id, name), None)


def clear() -> None:
    """Forget everything (tests; a process that must re-read at once)."""
    with _lock:
        _entries.clear()
