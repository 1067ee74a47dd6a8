"""The local AWS's DynamoDB (scripts/local_aws.py, applied in process by `atomic_dynamodb`): a cancelled
transaction puts back exactly the items it touched, and moto keeps no copies of tables or items."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

TABLE = "local-aws-probe"


@pytest.fixture
def dynamodb(atomic_dynamodb):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        yield client


def key(sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "org"}, "sk": {"S": sk}}


def cancelled_transaction(client) -> None:
    """Changes `counted`, adds `new`, deletes `gone`, then fails its condition on `taken`."""
    with pytest.raises(botocore.exceptions.ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key("counted"), "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**key("new"), "n": {"N": "1"}}}},
            {"Delete": {"TableName": TABLE, "Key": key("gone")}},
            {"Put": {"TableName": TABLE, "Item": key("taken"), "ConditionExpression": "attribute_not_exists(pk)"}},
        ])


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb):
    for sk in ("counted", "gone", "taken", "untouched"):
        dynamodb.put_item(TableName=TABLE, Item={**key(sk), "n": {"N": "7"}})

    cancelled_transaction(dynamodb)

    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert sorted((item["sk"]["S"], item["n"]["N"]) for item in items) == [
        ("counted", "7"), ("gone", "7"), ("taken", "7"), ("untouched", "7")]


def test_transactions_and_reads_leave_no_copies_behind(dynamodb):
    from moto.core.model_instances import model_data

    for sk in ("counted", "gone", "taken"):
        dynamodb.put_item(TableName=TABLE, Item={**key(sk), "n": {"N": "7"}})

    for _ in range(50):
        cancelled_transaction(dynamodb)
        dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :org",
                       ExpressionAttributeValues={":org": {"S": "org"}})

    kept = {name: len(model.instances_tracked) for name, model in model_data["dynamodb"].items()}
    assert kept == dict.fromkeys(kept, 0)


def test_an_export_reads_its_table_whole_and_completes(dynamodb):
    import gzip
    import json
    import time

    for sk in ("a", "b", "c"):
        dynamodb.put_item(TableName=TABLE, Item=key(sk))
    dynamodb.update_continuous_backups(TableName=TABLE, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="exports")
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]

    export = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="probe")
    while (status := dynamodb.describe_export(ExportArn=export["ExportDescription"]["ExportArn"])
           ["ExportDescription"]["ExportStatus"]) == "IN_PROGRESS":
        time.sleep(0.05)

    [data] = [o["Key"] for o in s3.list_objects_v2(Bucket="exports")["Contents"] if o["Key"].endswith(".gz")]
    lines = gzip.decompress(s3.get_object(Bucket="exports", Key=data)["Body"].read()).decode().splitlines()
    assert status == "COMPLETED" and sorted(json.loads(line)["Item"]["sk"]["S"] for line in lines) == ["a", "b", "c"]


def put(client, sk: str, n: int = 0) -> None:
    client.put_item(TableName=TABLE, Item={"pk": {"S": sk}, "sk": {"S": sk}, "n": {"N": str(n)}})


def test_a_request_on_other_items_goes_on_while_a_transaction_holds_its_own(dynamodb, monkeypatch):
    """Locks per partition, not one around every request: a burst on a few contested items does not queue
    every other request behind it (issue 23), and a read of a held item waits for the whole transaction."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from moto.dynamodb.models import DynamoDBBackend

    put(dynamodb, "held", 1)
    inside, release = threading.Event(), threading.Event()
    transact = DynamoDBBackend.transact_write_items

    def slow_transaction(backend, transact_items):
        inside.set()
        assert release.wait(30)
        return transact(backend, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", slow_transaction)
    update = {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "held"}, "sk": {"S": "held"}},
                         "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}}
    with ThreadPoolExecutor(max_workers=2) as pool:
        transaction = pool.submit(dynamodb.transact_write_items, TransactItems=[update])
        assert inside.wait(30)
        put(dynamodb, "elsewhere")  # with one lock for every request, this waited for the transaction
        read = pool.submit(dynamodb.get_item, TableName=TABLE, Key={"pk": {"S": "held"}, "sk": {"S": "held"}},
                           ConsistentRead=True)
        assert not read.done()
        release.set()
        transaction.result(timeout=30)
        assert read.result(timeout=30)["Item"]["n"] == {"N": "2"}  # all of the transaction, or none of it


def test_transactions_naming_the_same_items_in_any_order_all_complete_and_count_exactly(dynamodb):
    """Each request takes its locks in one sorted order, so no two wait for each other (no deadlock), and
    each is atomic: every increment of every transaction is counted once."""
    import random
    import threading
    import time

    names = ["a", "b", "c", "d"]
    for name in names:
        put(dynamodb, name)

    def increments(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (test data)
        for _ in range(10):
            chosen = rng.sample(names, 3)  # a different order each time
            dynamodb.transact_write_items(TransactItems=[
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": n}, "sk": {"S": n}},
                            "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}
                for n in chosen])
            dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": rng.choice(names)}})

    threads = [threading.Thread(target=increments, args=(seed,), daemon=True) for seed in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "deadlocked"

    items = dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    assert sum(int(item["n"]["N"]) for item in items) == 8 * 10 * 3


def test_a_query_reads_only_its_partition_and_sorts_it(dynamodb):
    for sk in ("b", "a", "c"):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "one"}, "sk": {"S": sk}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "other"}, "sk": {"S": "a"}})

    found = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :p AND sk > :a",
                           ExpressionAttributeValues={":p": {"S": "one"}, ":a": {"S": "a"}}, ScanIndexForward=False)
    missing = dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "nobody"}})

    assert [item["sk"]["S"] for item in found["Items"]] == ["c", "b"] and missing["Items"] == []
    assert {item["pk"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]} == {"one", "other"}


def test_partition_locks_are_forgotten_once_nobody_holds_them(dynamodb):
    from scripts.dynamodb_locks import PARTITIONS

    for n in range(50):
        put(dynamodb, f"item{n}")
    assert len(PARTITIONS) == 0


def test_item_answers_are_written_as_motos_serializer_writes_them_without_walking_its_shapes(dynamodb,
                                                                                               monkeypatch):
    """scripts/dynamodb_answers.py: the burst's answers cost a json.dumps, not moto's walk of the output shape
    (43% of the local AWS's CPU), and say exactly what moto's serializer says, binary and sets included."""
    import json

    from moto.dynamodb.responses import DynamoHandler

    from scripts.dynamodb_answers import ITEM_ACTIONS, answer_patches

    moto_serialized = DynamoHandler.serialized
    by_moto: list[str] = []

    def serialized_by_moto(handler, action_result):
        by_moto.append(handler._get_action())
        return moto_serialized(handler, action_result)

    monkeypatch.setattr(DynamoHandler, "serialized", serialized_by_moto)
    for owner, name, replacement in answer_patches():
        monkeypatch.setattr(owner, name, replacement)
    ours = DynamoHandler.serialized
    answered: set[str] = set()

    def compared(handler, action_result):
        status, headers, body = ours(handler, action_result)
        expected_status, expected_headers, expected_body = moto_serialized(handler, action_result)
        assert (status, json.loads(body)) == (expected_status, json.loads(expected_body)), handler._get_action()
        assert headers["Content-Type"] == expected_headers["Content-Type"]
        answered.add(handler._get_action())
        return status, headers, body

    monkeypatch.setattr(DynamoHandler, "serialized", compared)
    every_type = {**key("all"), "s": {"S": "é"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xffsealed"},
                  "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01", b"\x02"]},
                  "m": {"M": {"inner": {"B": b"\x03"}, "l": {"L": [{"S": "a"}, {"NULL": True}, {"BOOL": False}]}}}}
    dynamodb.put_item(TableName=TABLE, Item=every_type, ReturnConsumedCapacity="TOTAL")
    dynamodb.put_item(TableName=TABLE, Item={**key("other"), "n": {"N": "7"}}, ReturnValues="ALL_OLD")
    dynamodb.get_item(TableName=TABLE, Key=key("all"), ConsistentRead=True)
    dynamodb.get_item(TableName=TABLE, Key=key("nobody"))
    dynamodb.get_item(TableName=TABLE, Key=key("all"), ProjectionExpression="b, m.inner")
    dynamodb.update_item(TableName=TABLE, Key=key("other"), UpdateExpression="SET n = n + :one",
                         ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    dynamodb.update_item(TableName=TABLE, Key=key("other"), UpdateExpression="SET n = n + :one",
                         ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_OLD")
    dynamodb.query(TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "org"}},
                   Limit=1, ReturnConsumedCapacity="INDEXES")
    dynamodb.scan(TableName=TABLE, ConsistentRead=True)
    dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key("all"), key("other"), key("nobody")],
                                                  "ConsistentRead": True}})
    dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key("all")}}])
    dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": key("batched")}}]})
    dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": key("moved")}},
                                                 {"Delete": {"TableName": TABLE, "Key": key("batched")}}])
    dynamodb.delete_item(TableName=TABLE, Key=key("all"), ReturnValues="ALL_OLD")
    with pytest.raises(botocore.exceptions.ClientError, match="ConditionalCheckFailed"):  # still answered as an error
        dynamodb.put_item(TableName=TABLE, Item=key("moved"), ConditionExpression="attribute_not_exists(pk)")

    assert answered == ITEM_ACTIONS and by_moto == []  # each compared, none written by moto's serializer


def test_the_server_lists_a_handlers_methods_once_and_logs_only_server_errors(monkeypatch):
    """scripts/local_aws.py's per-request savings: a burst's answers pay no `inspect.getmembers`, no log line
    and no class made by Flask's debug mode each; a server error still gets its line."""
    import inspect

    import flask
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler
    from werkzeug.datastructures import ImmutableMultiDict
    from werkzeug.serving import WSGIRequestHandler

    from scripts.local_aws import server_request_patches

    lines: list[tuple[str, str]] = []
    monkeypatch.setattr(WSGIRequestHandler, "log_request", lambda _handler, code, size: lines.append((code, size)))
    for owner, name, replacement in server_request_patches():
        monkeypatch.setattr(owner, name, replacement)
    listed = []
    getmembers = inspect.getmembers
    monkeypatch.setattr(inspect, "getmembers", lambda *args, **kwargs: listed.append(1) or getmembers(*args, **kwargs))

    names = [responses.method_names_from_class(DynamoHandler) for _ in range(3)]
    for code in ("200", "400", "500"):
        WSGIRequestHandler.log_request(object(), code, "12")
    app = flask.Flask("debugged")
    app.debug = True
    with app.test_request_context("/", method="POST", data=b"{}", content_type="application/x-amz-json-1.0"):
        assert flask.request.get_data() == b"{}" and type(flask.request.files) is ImmutableMultiDict  # none made

    assert names[0] == names[2] and {"get_item", "transact_write_items"} <= names[0] and len(listed) == 1
    assert lines == [("500", "12")]


def test_the_servers_answer_many_connections_on_a_few_reused_threads(monkeypatch):
    """scripts/reused_threads.py (moto's server and `chalice local`): a connection per AWS call no longer
    starts a thread per call (~7% of the local AWS's CPU in the burst)."""
    import socket
    import socketserver
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from scripts.reused_threads import serve_on_reused_threads

    monkeypatch.setattr(socketserver.ThreadingMixIn, "process_request", socketserver.ThreadingMixIn.process_request)
    served_on: set[str] = set()

    class Echo(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            served_on.add(threading.current_thread().name)
            self.wfile.write(self.rfile.readline())

    with ThreadPoolExecutor(max_workers=2) as workers:
        serve_on_reused_threads(workers)
        with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            for n in range(20):
                with socket.create_connection(server.server_address, timeout=30) as connection:
                    connection.sendall(f"{n}\n".encode())
                    assert connection.makefile().readline() == f"{n}\n"
            server.shutdown()

    assert 1 <= len(served_on) <= 2
