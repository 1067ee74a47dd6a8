"""The local AWS's memory (RSS of its process) after 10,000 DynamoDB writes shaped like bookings, against
its memory once started, and against stock `moto_server` after a tenth of that load (stock moto keeps a
copy of every table each transaction touches: it is not run to 10,000)."""

from __future__ import annotations

import collections
import itertools
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

from scripts.run_local import HOST, ROOT, _free_port, wait_for_port

WRITES, STOCK_WRITES, THREADS = 10_000, 500, 4
TABLE = "bench-locks"
PAYLOAD = os.urandom(700)  # about a sealed booking's size


def measure() -> dict[str, Any]:
    ours = _load([sys.executable, "scripts/local_aws.py"], WRITES)
    stock = _load([str(Path(sys.executable).parent / "moto_server")], STOCK_WRITES)
    return {"writes": WRITES, "threads": THREADS, **ours,
            "stock_moto": {"writes": STOCK_WRITES, **stock}}


def _load(server_command: list[str], writes: int) -> dict[str, Any]:
    """Start a local AWS, write `writes` times from THREADS threads, and read its resident memory."""
    port = _free_port()
    server = subprocess.Popen([*server_command, "-H", HOST, "-p", str(port)], cwd=ROOT,  # noqa: S603
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        dynamodb = boto3.client("dynamodb", endpoint_url=f"http://{HOST}:{port}")
        _create_table(dynamodb)
        started = _rss_mb(server.pid)
        begin = time.perf_counter()
        numbers = itertools.count()
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            outcomes = collections.Counter(pool.map(lambda _: _write(dynamodb, next(numbers)), range(writes)))
        rate = writes / (time.perf_counter() - begin)
        return {"rss_started_mb": started, "rss_after_writes_mb": _rss_mb(server.pid),
                "writes_per_second": round(rate, 1), "answers": dict(outcomes)}
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL: a stock moto busy copying tables may not stop in time."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


def _create_table(dynamodb: Any) -> None:
    dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}])


def _write(dynamodb: Any, number: int) -> str:
    """A booking and its two locks in one transaction; one in ten reuses a lock taken before, and fails."""
    slot = number - 1 if number % 10 == 9 else number
    items = [{"pk": {"S": f"org#{number % 7}"}, "sk": {"S": f"booking#{number}"}, "sealed": {"B": PAYLOAD}},
             *[{"pk": {"S": f"org#{slot % 7}"}, "sk": {"S": f"lock#{slot}#{granule}"}} for granule in (0, 1)]]
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
            for item in items])
    except botocore.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])  # TransactionCanceledException; stock moto: also 500s
    return "ok"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")
