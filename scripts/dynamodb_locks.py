"""The local AWS's DynamoDB locking (scripts/local_aws.py): each request is atomic, as in DynamoDB, yet
requests on different items run at once, so that a burst on a few contested items does not queue every
other request behind them (issue 23: one lock around every request made the losers of a race wait 12-22 s
and answer 503).

Three levels, always taken in this order, each level's locks in sorted order, released in reverse; a thread
waits only for a lock later in that order than every lock it holds, so no cycle of waits (deadlock) can form:
1. the stack: shared by every request, exclusive for control-plane changes (CreateTable, DeleteTable, ...);
2. each table the request names, in one of two modes that exclude each other: "items" (requests on named
   items: many at once) or "whole" (Scan, a Query on an index, Describe*: they walk the whole table, many at
   once, while no item changes);
3. each partition (table, hash key) the request names: exclusive. A Query on a table's own key takes its
   one partition's lock inside moto, once it knows the hash key, still after every other lock it holds.
Partitions, not items: moto keeps a table's items in a dict of partitions, and two writes that create one
partition's dict at once would lose one of them.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

ITEM_ACTIONS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem"}
MANY_ITEM_ACTIONS = {"BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
ITEMS, WHOLE = "items", "whole"
SHARED, EXCLUSIVE = "shared", "exclusive"


class ModeLock:
    """Held by any number of threads in one mode at a time; `exclusive` (if named) is held by one alone.
    Fair between modes: once another mode waits, newcomers in the held mode wait for their turn."""

    def __init__(self, exclusive: str | None = None) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._exclusive = exclusive
        self._mode: str | None = None
        self._last_mode: str | None = None
        self._holders = 0
        self._waiting: dict[str, int] = {}

    def acquire(self, mode: str) -> None:
        with self._changed:
            self._waiting[mode] = self._waiting.get(mode, 0) + 1
            while not self._may_enter(mode):
                self._changed.wait()
            self._waiting[mode] -= 1
            self._mode, self._last_mode = mode, mode
            self._holders += 1

    def release(self) -> None:
        with self._changed:
            self._holders -= 1
            if self._holders == 0:
                self._mode = None
            self._changed.notify_all()

    def _may_enter(self, mode: str) -> bool:
        others_wait = any(n for m, n in self._waiting.items() if m != mode)
        if self._holders == 0:
            return not (others_wait and mode == self._last_mode)  # the other mode's turn
        return self._mode == mode and mode != self._exclusive and not others_wait


class _Partitions:
    """One lock per (table, hash key) while anyone holds or waits for it; forgotten when nobody does."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], tuple[threading.Lock, int]] = {}

    @contextlib.contextmanager
    def held(self, partition: tuple[str, str]) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(partition, (threading.Lock(), 0))
            self._locks[partition] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[partition]
                if users == 1:
                    del self._locks[partition]
                else:
                    self._locks[partition] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


_STACK = ModeLock(exclusive=EXCLUSIVE)
_TABLES: dict[str, ModeLock] = {}
_TABLES_GUARD = threading.Lock()
PARTITIONS = _Partitions()
_held = threading.local()  # .tables: the table names this thread's request holds (None: none)


def _table_lock(name: str) -> ModeLock:
    with _TABLES_GUARD:
        return _TABLES.setdefault(name, ModeLock())


@contextlib.contextmanager
def locked(stack_mode: str, tables: dict[str, str], partitions: set[tuple[str, str]]) -> Iterator[None]:
    """Hold the stack, the tables (name -> mode) and the partitions, in the one order (module docstring)."""
    if getattr(_held, "tables", None) is not None:  # a request inside a request (as the old RLock allowed)
        yield
        return
    with contextlib.ExitStack() as held:
        _STACK.acquire(stack_mode)
        held.callback(_STACK.release)
        for name in sorted(tables):
            lock = _table_lock(name)
            lock.acquire(tables[name])
            held.callback(lock.release)
        for partition in sorted(partitions):
            held.enter_context(PARTITIONS.held(partition))
        _held.tables = {name for name, mode in tables.items() if mode == ITEMS}
        held.callback(setattr, _held, "tables", None)
        yield


def plan(action: str, params: dict[str, Any], backend: Any) -> tuple[str, dict[str, str], set[tuple[str, str]]]:
    """(stack mode, {table: mode}, partitions) of one DynamoDB request."""
    if action in ITEM_ACTIONS:
        name = params.get("TableName", "")
        key = params.get("Item" if action == "PutItem" else "Key")
        return SHARED, {name: ITEMS}, _partition(backend, name, key)
    if action in MANY_ITEM_ACTIONS:
        named = list(_named_items(action, params))
        return SHARED, dict.fromkeys((n for n, _ in named), ITEMS), set().union(
            *(_partition(backend, n, k) for n, k in named))
    if action == "Query" and not params.get("IndexName"):
        return SHARED, {params.get("TableName", ""): ITEMS}, set()  # its partition: in moto's Table.query
    if action in {"Query", "Scan"} or action.startswith(("Describe", "List")):
        name = params.get("TableName")
        return SHARED, ({name: WHOLE} if name else {}), set()
    return EXCLUSIVE, {}, set()


def _named_items(action: str, params: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if action == "BatchGetItem":
        for name, request in (params.get("RequestItems") or {}).items():
            for key in request.get("Keys") or []:
                yield name, key
    elif action == "BatchWriteItem":
        for name, requests in (params.get("RequestItems") or {}).items():
            for request in requests or []:
                yield name, (request.get("PutRequest") or {}).get("Item") or (request.get("DeleteRequest")
                                                                              or {}).get("Key")
    else:
        for entry in params.get("TransactItems") or []:
            for operation, request in entry.items():
                yield request.get("TableName", ""), request.get("Item" if operation == "Put" else "Key")


def _partition(backend: Any, name: str, key: Any) -> set[tuple[str, str]]:
    """{(table, hash key)}; empty when moto will refuse the request anyway (no such table, no key)."""
    try:
        table = backend.get_table(name)
    except Exception:
        return set()
    if not isinstance(key, dict) or table.hash_key_attr not in key:
        return set()
    return {(table.name, _key_text(key[table.hash_key_attr]))}


def _key_text(value: Any) -> str:
    return json.dumps(value.to_json() if hasattr(value, "to_json") else value, sort_keys=True, default=str)


def locked_action(call_action: Callable[..., Any]) -> Callable[..., Any]:
    """DynamoHandler.call_action holding what its request needs."""

    def call_with_locks(handler: Any) -> Any:
        params = getattr(handler, "params", None) or _json_body(handler)
        stack_mode, tables, partitions = plan(handler._get_action(), params, handler.dynamodb_backend)
        with locked(stack_mode, tables, partitions):
            return call_action(handler)

    return call_with_locks


def _json_body(handler: Any) -> dict[str, Any]:
    try:
        body = json.loads(handler.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def partition_query(query: Callable[..., Any]) -> Callable[..., Any]:
    """moto's Table.query on the table's own key: holds that one partition, and reads only it (moto sorts
    every item of the table to pick one partition's, which made each query's cost grow with the table)."""

    def query_one_partition(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            _reading.partition = None
            return query(table, hash_key, *args, **kwargs)
        partition = (table.name, _key_text(hash_key))
        holds_table = table.name in (getattr(_held, "tables", None) or ())
        with PARTITIONS.held(partition) if holds_table else contextlib.nullcontext():
            _reading.partition = hash_key
            try:
                return query(table, hash_key, *args, **kwargs)
            finally:
                _reading.partition = None

    return query_one_partition


_reading = threading.local()  # .partition: the hash key a Table.query reads alone (None: all)


def partition_items(all_items: Callable[..., Any]) -> Callable[..., Any]:
    """moto's Table.all_items, giving only the partition a query reads (unsorted: the query sorts them)."""

    def items(table: Any) -> list[Any]:
        hash_key = getattr(_reading, "partition", None)
        if hash_key is None:
            return list(all_items(table))
        found = table.items.get(hash_key)  # .get: never add an empty partition to moto's defaultdict
        if found is None:
            return []
        return list(found.values()) if table.range_key_attr else [found]

    return items
