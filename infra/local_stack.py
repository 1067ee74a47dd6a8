"""Create SafeSlot's resources on a moto backend (the local stack, and every test).

Returns the environment a SafeSlot process needs to use them: key ARN and wrapped index key.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import os
import struct
from collections.abc import Callable, Iterator
from typing import Any

import botocore.exceptions

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.crypto.blind_index import INDEX_KEY_CONTEXT
from infra.resources import (
    AUDIT_DIGEST_RETENTION_YEARS,
    AUDIT_SIGNING_KEY_DESCRIPTION,
    KEY_DESCRIPTION,
    BucketSpec,
    buckets,
    tables,
)


def create_key() -> str:
    """The data key as infra/stack.py makes it: a symmetric multi-region key with a replica in the backup
    replica's region; returns the primary's ARN."""
    kms = aws.client("kms")
    key = kms.create_key(Description=KEY_DESCRIPTION, MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion=settings().replica_region)
    return str(key["Arn"])


def moto_kms_patches() -> list[tuple[object, str, Any]]:
    """(owner, attribute, replacement): moto's ciphertexts hold 36 characters of key id, but its multi-region
    key ids have 40 (mrk- and a UUID), so nothing sealed under one would open. These give its ciphertext
    header room for 40; moto's server and the in-process tests both apply them. Also: moto makes an RSA
    private key for every symmetric key too (unused; 46 ms each, once per test), so it makes none."""
    from moto.kms import models, utils

    def private_key(key_spec: str) -> Any:
        return None if key_spec == "SYMMETRIC_DEFAULT" else utils.generate_private_key(key_spec)

    key_id_length = 40

    def deserialize(ciphertext_blob: bytes) -> Any:
        length = key_id_length + utils.IV_LEN + utils.TAG_LEN
        key_id, iv, tag = struct.unpack(f">{key_id_length}s{utils.IV_LEN}s{utils.TAG_LEN}s", ciphertext_blob[:length])
        return utils.Ciphertext(key_id=key_id.decode().rstrip("\0"), iv=iv, ciphertext=ciphertext_blob[length:],
                                tag=tag)

    return [(utils, "CIPHERTEXT_HEADER_FORMAT", f">{key_id_length}s{utils.IV_LEN}s{utils.TAG_LEN}s"),
            (utils, "_deserialize_ciphertext_blob", deserialize), (models, "generate_private_key", private_key)]


def create_audit_signing_key() -> str:
    """The asymmetric key that signs audit digests (ECDSA P-256); returns its ARN."""
    kms = aws.client("kms")
    return str(kms.create_key(Description=AUDIT_SIGNING_KEY_DESCRIPTION, KeySpec="ECC_NIST_P256",
                              KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"])


def create_audit_digest_bucket(key_arn: str) -> None:
    """The digest bucket: versioned, Object Lock in compliance mode by default, encrypted, private."""
    name = settings().audit_digest_bucket
    s3 = aws.client("s3")
    try:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": AUDIT_DIGEST_RETENTION_YEARS}}})
    _encrypt_and_block_public(s3, name, key_arn)


def wrapped_index_key(key_arn: str) -> str:
    """A fresh 256-bit blind-index key, wrapped by KMS, base64: the value of SAFESLOT_INDEX_KEY_BLOB."""
    answer = aws.client("kms").generate_data_key(
        KeyId=key_arn, KeySpec="AES_256", EncryptionContext=INDEX_KEY_CONTEXT
    )
    return base64.b64encode(answer["CiphertextBlob"]).decode()


def create_tables() -> None:
    """Every table, from its model, with PITR (the backup's exports need it), TTL and deletion protection
    as infra/ declares (create_like)."""
    from chalicelib.jobs.tables import create_like

    for model in tables():
        try:
            create_like(model, model.Meta.table_name)
        except botocore.exceptions.ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise


def create_bucket(spec: BucketSpec, key_arn: str) -> None:
    s3 = aws.client("s3", spec.region)
    options: dict[str, Any] = {"Bucket": spec.name}
    if spec.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": spec.region}
    try:
        s3.create_bucket(**options)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    s3.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
    _encrypt_and_block_public(s3, spec.name, key_arn)


def _encrypt_and_block_public(s3: Any, name: str, key_arn: str) -> None:
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]},
    )
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})


def create_org_export_bucket(key_arn: str) -> None:
    """Owners' exports as infra/stack.py makes the bucket: unversioned, encrypted, private, gone within a day."""
    from chalicelib.services.exports.storage import PREFIX

    name = settings().export_bucket
    s3 = aws.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
        "ID": "org-exports", "Status": "Enabled", "Filter": {"Prefix": PREFIX}, "Expiration": {"Days": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    _encrypt_and_block_public(s3, name, key_arn)


def create_mail_queue(key_arn: str) -> str:
    """The mail queue as infra/stack.py makes it (encrypted with the data key, a dead-letter queue after
    MAX_RECEIVES tries); returns its URL, the value of SAFESLOT_MAIL_QUEUE_URL."""
    import json

    from chalicelib.services import mail_queue

    sqs = aws.client("sqs")
    name = f"{settings().home_table_prefix}{mail_queue.QUEUE_NAME}"
    dead = sqs.create_queue(QueueName=f"{name}-dlq", Attributes={
        "KmsMasterKeyId": key_arn, "MessageRetentionPeriod": str(mail_queue.DLQ_RETENTION_SECONDS)})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(sqs.create_queue(QueueName=name, Attributes={
        "KmsMasterKeyId": key_arn, "MessageRetentionPeriod": str(mail_queue.RETENTION_SECONDS),
        "VisibilityTimeout": str(mail_queue.VISIBILITY_TIMEOUT_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": mail_queue.MAX_RECEIVES}),
    })["QueueUrl"])


def create_all(make_tables: Callable[[], None] = create_tables) -> dict[str, str]:
    """Key, tables and buckets; returns the SAFESLOT_* variables that point at them."""
    key_arn = create_key()
    make_tables()
    for spec in buckets():
        create_bucket(spec, key_arn)
    create_audit_digest_bucket(key_arn)
    create_org_export_bucket(key_arn)
    aws.client("ses").verify_email_identity(EmailAddress=settings().mail_from)
    alerts = aws.client("sns").create_topic(Name=f"{settings().table_prefix}alerts")["TopicArn"]
    return {"SAFESLOT_KEY_ARN": key_arn, "SAFESLOT_INDEX_KEY_BLOB": wrapped_index_key(key_arn),
            "SAFESLOT_ALERT_TOPIC_ARN": alerts, "SAFESLOT_AUDIT_SIGNING_KEY": create_audit_signing_key(),
            "SAFESLOT_MAIL_QUEUE_URL": create_mail_queue(key_arn)}


@contextlib.contextmanager
def _patched(patches: list[tuple[object, str, Any]]) -> Iterator[None]:
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)


@contextlib.contextmanager
def moto_kms_fixed() -> Iterator[None]:
    """moto's KMS, in this process, with `moto_kms_patches` applied (mocks and in-process servers)."""
    with _patched(moto_kms_patches()):
        yield


def forget_cached_state() -> None:
    """Drop every client, key provider, connection and setting SafeSlot cached (the AWS behind it changed)."""
    from chalicelib import aws, clock
    from chalicelib.crypto.blind_index import reset_index_keys
    from chalicelib.crypto.envelope import reset_sealers
    from chalicelib.crypto.shred_keys import reset_cache as reset_shred_keys
    from chalicelib.models.base import reset_connections
    from chalicelib.services import hot_cache

    settings.cache_clear()
    hot_cache.clear()
    aws.reset()
    reset_sealers()
    reset_index_keys()
    reset_shred_keys()
    reset_connections()
    clock.reset()


_empty_tables: dict[tuple[str, ...], Any] = {}  # moto's tables as create_tables made them, before any write


def tables_copied_once() -> None:
    """In-process moto only (tests, bench): the first stack of a process creates the tables through the API,
    later ones get a copy of those tables, empty (about 1 ms, against 300 ms of CPU for ~130 API calls)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import utcnow
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
    names = tuple(sorted(model.Meta.table_name for model in tables()))
    made = _empty_tables.get((settings().region, *names))
    if made is None:
        create_tables()
        if sorted(backend.tables) == sorted(names):  # the account and region looked in are moto's
            _empty_tables[(settings().region, *names)] = copy.deepcopy(backend.tables)
        return
    backend.tables, now = copy.deepcopy(made), utcnow()
    for table in backend.tables.values():  # made now, as the API would have made them
        table.created_at = now
        recovery = table.continuous_backups.get("PointInTimeRecoveryDescription", {})
        for moment in {"EarliestRestorableDateTime", "LatestRestorableDateTime"} & set(recovery):
            recovery[moment] = now.timestamp()


@contextlib.contextmanager
def mocked_stack() -> Iterator[dict[str, str]]:
    """An in-process moto with SafeSlot's resources and the environment pointing at them (tests, bench)."""
    from moto import mock_aws

    saved = dict(os.environ)
    from scripts.dynamodb_answers import answer_patches

    with moto_kms_fixed(), _patched(answer_patches()), mock_aws():  # the local stack's server answers likewise
        forget_cached_state()
        created = create_all(tables_copied_once)
        os.environ.update(created)
        forget_cached_state()
        try:
            yield created
        finally:
            os.environ.clear()
            os.environ.update(saved)
            forget_cached_state()
