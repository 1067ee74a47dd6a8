"""The local AWS of `make run`, the end-to-end tests and the benchmarks: moto's server, with its DynamoDB
made as atomic as DynamoDB and its memory bounded.

Stock moto gets both wrong under concurrent requests:
- its DynamoDB requests run unlocked in the server's threads, and a transaction rolls back by putting back
  a copy of each table it touched taken when it began, erasing every other request's writes made meanwhile
  (measured: overlapping bookings, locks owned by the wrong booking, a wedged audit chain);
- every model instance it creates is appended to a class-level list kept for its dashboard, so each of
  those table copies (and each item a read copies) stays in memory for good (21.9 GB after ~2,500 writes).

Each request is made atomic by the locks of the stack, the tables and the partitions it names
(scripts/dynamodb_locks.py), not by one lock around every request: requests on different items run at once.

`atomic_dynamodb_patches()` names the changes; this server and the in-process tests' `atomic_dynamodb`
fixture both apply them. Usage: `python scripts/local_aws.py -H 127.0.0.1 -p 5000` (moto_server's options).
"""

from __future__ import annotations

import copy
import logging
import logging.handlers
import os
import queue
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

Patch = tuple[object, str, Any]
# Threads serving connections: each AWS call of the API's 128 request threads is a connection of its own, and
# a long poll (the mail queue's consumer) holds one for up to 20 s.
REQUEST_THREADS = 256


def atomic_dynamodb_patches() -> list[Patch]:
    """(owner, attribute name, replacement) for each change; apply them with setattr (or monkeypatch)."""
    from moto.core.model_instances import model_data
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.models.table_export import TableExport
    from moto.dynamodb.responses import DynamoHandler

    from scripts import dynamodb_locks

    backend = models.DynamoDBBackend
    return [
        (DynamoHandler, "call_action", dynamodb_locks.locked_action(DynamoHandler.call_action)),
        (TableExport, "_backup_to_s3_file", _table_read_whole(TableExport._backup_to_s3_file)),
        (Table, "query", dynamodb_locks.partition_query(Table.query)),
        (Table, "all_items", dynamodb_locks.partition_items(Table.all_items)),
        (backend, "transact_write_items", _undo_touched_items(backend.transact_write_items)),
        (models, "copy", _TablesNotCopied()),
        *[(model, "__new__", _untracked_new) for model in model_data["dynamodb"].values()],
    ]


def _table_read_whole(backup: Callable[..., Any]) -> Callable[..., Any]:
    """An export's read of its table (moto runs it in a thread of its own) sees no write half-done."""
    from scripts.dynamodb_locks import SHARED, WHOLE, locked

    def read_whole(export: Any, *args: Any, **kwargs: Any) -> Any:
        with locked(SHARED, {export.table.name: WHOLE}, set()):
            return backup(export, *args, **kwargs)

    return read_whole


def _undo_touched_items(transact_write_items: Callable[..., Any]) -> Callable[..., Any]:
    """A failed transaction puts back the items it touched, not stale copies of whole tables."""

    def transact_with_undo(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved = _snapshot(backend, transact_items)
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                _put_back(table, hash_key, range_key, item)
            raise

    return transact_with_undo


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for each item a transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        for operation, request in entry.items():
            table = backend.tables.get(request.get("TableName"))
            key = request.get("Item" if operation == "Put" else "Key")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue  # moto refuses it itself, before writing anything
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_key is None:
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return saved


def _put_back(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if item is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


class _TablesNotCopied:
    """moto's DynamoDB module's `copy`, minus the whole-table copies its transactions take for rollback."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _untracked_new(cls: type, *_args: Any, **_kwargs: Any) -> Any:
    """A moto model instance that moto's dashboard does not keep alive forever."""
    return object.__new__(cls)


def make_dynamodb_atomic() -> None:
    """Apply the changes to this process's moto for good (the server; the in-process benchmarks)."""
    for owner, name, replacement in atomic_dynamodb_patches():
        setattr(owner, name, replacement)


def server_dispatch_patches() -> list[Patch]:
    """moto's server finds the service of each request under one lock, listing moto's package directory
    (about 150 directories, each stat-ed) to do so: every request of every service queued there (measured
    in a 100-caller burst: most of the server's threads waited in `get_application`). The directory does
    not change while the server runs: list it once, and remember each host's backend."""
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = frozenset(backends.list_of_moto_modules())
    find_backend = DomainDispatcherApplication.get_backend_for_host
    found: dict[str | None, Any] = {}

    def backend_for_host(dispatcher: Any, host: str | None) -> Any:
        if host not in found:
            found[host] = find_backend(dispatcher, host)
        return found[host]

    return [(backends, "list_of_moto_modules", lambda: modules),
            (DomainDispatcherApplication, "get_backend_for_host", backend_for_host)]


def server_request_patches(every_answer_logged: bool = False) -> list[Patch]:
    """Per-request work of moto's server that a 100-caller burst paid for in CPU (py-spy): a log line for
    every answer (14% of the server's CPU: formatted, styled, handed to the logging thread), the list of
    the handler class's methods, found again by `inspect.getmembers` for every request (3%), and, because
    moto runs its Flask apps in debug mode, a new class made for every request's body (Flask's hint for a
    form read without multipart: 25 us alone, 7% of the samples in the burst). Only server errors get a
    line (`every_answer_logged`: every answer, as before); the methods are listed once per class (the
    classes do not change once the server serves); the hint is not made (an unknown form file is still a
    KeyError)."""
    import functools

    from flask import debughelpers
    from moto.core import responses
    from werkzeug.serving import WSGIRequestHandler

    log_request = WSGIRequestHandler.log_request

    def server_errors_logged(handler: Any, code: int | str = "-", size: int | str = "-") -> None:
        if str(code).startswith("5"):
            log_request(handler, code, size)

    list_methods = responses.method_names_from_class
    method_names = functools.cache(lambda cls: frozenset(list_methods(cls)))
    return [(responses, "method_names_from_class", method_names),
            (debughelpers, "attach_enctype_error_multidict", lambda _request: None),
            *([] if every_answer_logged else [(WSGIRequestHandler, "log_request", server_errors_logged)])]


def log_requests_off_the_request_threads() -> logging.handlers.QueueListener:
    """werkzeug writes a line per request from the thread that answers it, under the logging lock and before
    the answer's body: in a burst, every answer waited for every other's write. A queue takes the lines; one
    thread writes them (to stderr: .local/moto.log)."""
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    logger = logging.getLogger("werkzeug")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.handlers.QueueHandler(lines))
    listener = logging.handlers.QueueListener(lines, logging.StreamHandler(sys.stderr))
    listener.start()
    return listener


def main(argv: list[str] | None = None) -> None:
    from moto import server

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from infra.local_stack import moto_kms_patches
    from scripts.dynamodb_answers import answer_patches
    from scripts.reused_threads import serve_on_reused_threads

    make_dynamodb_atomic()
    for owner, name, replacement in answer_patches():  # item answers without moto's serializer's shape walk
        setattr(owner, name, replacement)
    for owner, name, replacement in [*server_dispatch_patches(),
                                     *server_request_patches(os.environ.get("LOCAL_AWS_REQUEST_LOG") == "1")]:
        setattr(owner, name, replacement)
    log_requests_off_the_request_threads()
    for owner, name, replacement in moto_kms_patches():  # multi-region keys whose ciphertexts open
        setattr(owner, name, replacement)
    serve_on_reused_threads(ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="aws-request"))
    server.main(argv or sys.argv[1:])


if __name__ == "__main__":
    main()
