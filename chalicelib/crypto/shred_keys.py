"""Crypto-shredding: every sealed row also depends on a key that erasure destroys (ADR 0010).

Each org has a 256-bit org key, sealed through KMS by the envelope Sealer under its own purpose; each
customer ("customer/<id>") has a 256-bit subject key, wrapped with AES-GCM under a key derived from the
org key. SealedModel encrypts a row's fields under its subject's key before the envelope seals them, so
destroying a key (its row becomes a tombstone) leaves every copy of that subject's rows unopenable: in
the live tables, in exports and in on-demand backups alike.

Unwrapped keys are cached per process (bounded LRU, bounded age `data_key_max_age_seconds`): KMS is asked
about an org key once per process and age, never once per row. A key destroyed in this process stops
working here at once; another process that holds it unwrapped stops within that age.

The keys live in `models/shred_key.py` (a table no backup copies); it is imported lazily here, as
`models/base.py` imports this module.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pynamodb.exceptions import PutError

from chalicelib import clock
from chalicelib.config import APP_NAME, settings
from chalicelib.crypto.envelope import SealContext, sealer
from chalicelib.errors import SealedDataErased, SealedDataInvalid

if TYPE_CHECKING:
    from chalicelib.crypto.kms_sealer import Sealer
    from chalicelib.models.shred_key import ShredKey

ORG = "org"  # the subject of everything not tied to one person
CUSTOMER_PREFIX = "customer/"
KEY_TABLE = "shred_keys"
ORG_KEY_PURPOSE = "shred-org-key"  # the org key's envelope context: app, org, table, purpose; nothing personal
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BOX_VERSION = b"\x01"
CACHE_CAPACITY = 10_000  # unwrapped keys per process (32 bytes each)


def customer_subject(customer_id: str) -> str:
    """The subject whose key a customer's rows (the customer, their bookings) depend on."""
    if not customer_id or "/" in customer_id:
        raise ValueError("a customer subject needs a customer id")
    return f"{CUSTOMER_PREFIX}{customer_id}"


def seal_box(org_id: str, subject: str, plaintext: bytes, binding: str) -> bytes:
    """Encrypt `plaintext` under `subject`'s key (made on first use), bound to `binding` (table and row).
    Raises SealedDataErased when that key was destroyed: nothing new is written for an erased subject."""
    key = _data_key(org_id, subject, create=True)
    nonce = os.urandom(NONCE_BYTES)
    return BOX_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, _box_aad(org_id, subject, binding))


def open_box(org_id: str, subject: str, box: bytes, binding: str) -> bytes:
    """The plaintext of a box `seal_box` made; SealedDataErased once the subject's key is destroyed."""
    return open_box_with(_data_key(org_id, subject, create=False), org_id, subject, box, binding)


def open_box_with(key: bytes, org_id: str, subject: str, box: bytes, binding: str) -> bytes:
    """Open a box with a key already in hand (the restore drill brings its own)."""
    if box[:1] != BOX_VERSION or len(box) < 1 + NONCE_BYTES + TAG_BYTES:
        raise SealedDataInvalid()
    nonce, ciphertext = box[1:1 + NONCE_BYTES], box[1 + NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _box_aad(org_id, subject, binding))
    except InvalidTag as error:
        raise SealedDataInvalid() from error


def destroy_subject(org_id: str, subject: str) -> None:
    """Destroy `subject`'s key in `org_id` for good: every row sealed under it, wherever a copy lives,
    no longer opens, and nothing new is sealed under it. Idempotent."""
    if subject == ORG:
        raise ValueError("destroy_org destroys an org's own key")
    _check_subject(subject)
    _pending_keys().pop((org_id, subject), None)
    _cache.forget(org_id, subject)
    _tombstone(org_id, subject)
    _cache.forget(org_id, subject)


def destroy_org(org_id: str) -> None:
    """Destroy the org key and every subject key of `org_id`: no sealed row of the org opens again."""
    _cache.forget_org(org_id)
    _tombstone(org_id, ORG)  # first: without it, every subject key of the org is unreadable already
    for row in _key_model().query(org_id, consistent_read=True):
        if row.wrapped is not None:
            _tombstone(org_id, row.subject)
    _cache.forget_org(org_id)


@dataclass(frozen=True)
class NewSubjectKey:
    """The key of a subject that cannot have one yet (a random id made in this request), with its row
    not yet written: the caller writes `row` in the same transaction as the first row sealed under it
    (one DynamoDB call instead of a read and a conditional put), on condition that no key exists."""

    org_id: str
    subject: str
    row: ShredKey


def new_subject_key(org_id: str, subject: str) -> NewSubjectKey:
    """Make a key for a fresh subject. Until `key_stored` (after the caller's commit) it is used by seals
    of this thread only, and never cached: a seal elsewhere reads (or makes) the stored key as before."""
    _check_subject(subject)
    if subject == ORG:
        raise ValueError("an org key is made on first use")
    secret = os.urandom(KEY_BYTES)
    wrapped = _wrap_subject_key(org_id, subject, secret, _org_keys(org_id, create=True))
    row = _key_model()(org_id, subject, wrapped=wrapped, created_at=clock.now())
    _pending_keys()[(org_id, subject)] = secret
    return NewSubjectKey(org_id, subject, row)


def key_stored(key: NewSubjectKey) -> None:
    """The caller's transaction wrote `key.row`: the key is now cached as any stored key."""
    secret = _pending_keys().pop((key.org_id, key.subject), None)
    if secret is not None:
        _cache.put(key.org_id, key.subject, secret)


def discard(key: NewSubjectKey) -> None:
    """Drop `key` if no transaction wrote it (no-op once `key_stored`)."""
    _pending_keys().pop((key.org_id, key.subject), None)


def forget_unstored_keys() -> None:
    """Drop this thread's keys that no transaction wrote (a refused or failed booking): a later seal for
    those subjects reads the key table again."""
    _pending_keys().clear()


def reset_cache() -> None:
    """Forget every unwrapped key (tests; a process that must re-read the key table at once)."""
    _cache.clear()


# --- the key hierarchy ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrgKeys:
    """What an org key is used for, each derived apart (HKDF): wrapping subject keys, and the org's own rows."""

    wrapping: bytes
    data: bytes

    @classmethod
    def derive(cls, org_id: str, secret: bytes) -> OrgKeys:
        return cls(wrapping=_derive(secret, f"wrap/{org_id}"), data=_derive(secret, f"data/{org_id}"))


def org_key_context(org_id: str) -> SealContext:
    return SealContext(org_id=org_id, table=KEY_TABLE, purpose=ORG_KEY_PURPOSE)


def unwrap_org_key(org_id: str, wrapped: bytes, opener: Sealer) -> OrgKeys:
    """The org key from its sealed form (through KMS with `opener`)."""
    fields = opener.open(wrapped, org_key_context(org_id), _org_row(org_id))
    return OrgKeys.derive(org_id, bytes.fromhex(fields["key"]))


def unwrap_subject_key(org_id: str, subject: str, wrapped: bytes, org_keys: OrgKeys) -> bytes:
    """A subject key from its wrapped form under the org key."""
    nonce, ciphertext = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    try:
        return AESGCM(org_keys.wrapping).decrypt(nonce, ciphertext, _wrap_aad(org_id, subject))
    except InvalidTag as error:
        raise SealedDataInvalid() from error


def _wrap_subject_key(org_id: str, subject: str, key: bytes, org_keys: OrgKeys) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(org_keys.wrapping).encrypt(nonce, key, _wrap_aad(org_id, subject))


def _data_key(org_id: str, subject: str, create: bool) -> bytes:
    if subject == ORG:
        return _org_keys(org_id, create).data
    _check_subject(subject)
    pending = _pending_keys().get((org_id, subject))
    if pending is not None:
        return pending
    cached = _cache.get(org_id, subject)
    if cached is not None:
        return bytes(cached)
    with _cache.loading(org_id, subject):  # a burst of cold requests reads the key once, not once each
        cached = _cache.get(org_id, subject)
        return bytes(cached) if cached is not None else _load_subject_key(org_id, subject, create)


def _load_subject_key(org_id: str, subject: str, create: bool) -> bytes:
    org_keys = _org_keys(org_id, create)
    row = _stored(org_id, subject)
    if row is None and create:
        secret = os.urandom(KEY_BYTES)
        wrapped = _wrap_subject_key(org_id, subject, secret, org_keys)
        row = _first_stored(org_id, subject, wrapped)
        if row is not None and row.wrapped == wrapped:  # ours won: no need to unwrap it again
            _cache.put(org_id, subject, secret)
            return secret
    key = unwrap_subject_key(org_id, subject, _live(row), org_keys)
    _cache.put(org_id, subject, key)
    return key


def _org_keys(org_id: str, create: bool) -> OrgKeys:
    cached = _cache.get(org_id, ORG)
    if isinstance(cached, OrgKeys):
        return cached
    with _cache.loading(org_id, ORG):  # one KMS Decrypt for a burst of cold requests, not one per thread
        cached = _cache.get(org_id, ORG)
        return cached if isinstance(cached, OrgKeys) else _load_org_keys(org_id, create)


def _load_org_keys(org_id: str, create: bool) -> OrgKeys:
    row = _stored(org_id, ORG)
    if row is None and create:
        secret = os.urandom(KEY_BYTES)
        wrapped = sealer().seal({"key": secret.hex()}, org_key_context(org_id), _org_row(org_id))
        row = _first_stored(org_id, ORG, wrapped)
        if row is not None and row.wrapped == wrapped:  # ours won: no KMS Decrypt of what we just sealed
            keys = OrgKeys.derive(org_id, secret)
            _cache.put(org_id, ORG, keys)
            return keys
    keys = unwrap_org_key(org_id, _live(row), sealer())
    _cache.put(org_id, ORG, keys)
    return keys


def _live(row: ShredKey | None) -> bytes:
    """The wrapped key of a row that exists and is not destroyed; SealedDataErased otherwise."""
    if row is None or row.wrapped is None:
        raise SealedDataErased()
    return bytes(row.wrapped)


# --- storage ----------------------------------------------------------------------------------------

def _key_model() -> type[ShredKey]:
    from chalicelib.models.shred_key import ShredKey

    return ShredKey


def _stored(org_id: str, subject: str) -> ShredKey | None:
    model = _key_model()
    try:
        return model.get(org_id, subject, consistent_read=True)
    except model.DoesNotExist:
        return None


def _first_stored(org_id: str, subject: str, wrapped: bytes) -> ShredKey | None:
    """Store a new key unless one exists; two first uses at once agree on the winner's (read back)."""
    model = _key_model()
    row = model(org_id, subject, wrapped=wrapped, created_at=clock.now())
    try:
        row.save(condition=model.subject.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _stored(org_id, subject)
    return row


def _tombstone(org_id: str, subject: str) -> None:
    now = clock.now()
    _key_model()(org_id, subject, wrapped=None, created_at=now, destroyed_at=now).save()


# --- details ----------------------------------------------------------------------------------------

def _check_subject(subject: str) -> None:
    if subject != ORG and not (subject.startswith(CUSTOMER_PREFIX) and len(subject) > len(CUSTOMER_PREFIX)):
        raise ValueError("unknown shred subject")


def _org_row(org_id: str) -> str:
    return f"{org_id}/{ORG}"


def _derive(secret: bytes, purpose: str) -> bytes:
    info = f"{APP_NAME}/shred/v1/{purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret)


def _box_aad(org_id: str, subject: str, binding: str) -> bytes:
    return "\0".join((APP_NAME, "shred-box/v1", org_id, subject, binding)).encode()


def _wrap_aad(org_id: str, subject: str) -> bytes:
    return "\0".join((APP_NAME, "shred-wrap/v1", org_id, subject)).encode()


class _KeyCache:
    """Unwrapped keys by (org, subject): least recently used out first, none older than the data key age."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._loaders: dict[tuple[str, str], threading.Lock] = {}

    @contextlib.contextmanager
    def loading(self, org_id: str, subject: str) -> Iterator[None]:
        """Hold the one lock of (org, subject) while its key is loaded: the other threads wait, then read
        it from the cache."""
        with self._lock:
            loader = self._loaders.setdefault((org_id, subject), threading.Lock())
        with loader:
            yield
        with self._lock:
            if not loader.locked():
                self._loaders.pop((org_id, subject), None)

    def get(self, org_id: str, subject: str) -> Any:
        with self._lock:
            entry = self._entries.get((org_id, subject))
            if entry is None:
                return None
            if time.monotonic() - entry[0] > settings().data_key_max_age_seconds:
                del self._entries[(org_id, subject)]
                return None
            self._entries.move_to_end((org_id, subject))
            return entry[1]

    def put(self, org_id: str, subject: str, value: Any) -> None:
        with self._lock:
            self._entries[(org_id, subject)] = (time.monotonic(), value)
            self._entries.move_to_end((org_id, subject))
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def forget(self, org_id: str, subject: str) -> None:
        with self._lock:
            self._entries.pop((org_id, subject), None)

    def forget_org(self, org_id: str) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == org_id]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _KeyCache(CACHE_CAPACITY)
_unstored = threading.local()


def _pending_keys() -> dict[tuple[str, str], bytes]:
    """This thread's keys made by `new_subject_key` and not yet written."""
    if not hasattr(_unstored, "keys"):
        _unstored.keys = {}
    keys: dict[tuple[str, str], bytes] = _unstored.keys
    return keys
