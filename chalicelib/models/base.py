"""What every SafeSlot table shares: its Meta built from settings, and sealed sensitive fields."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pynamodb.connection.base
from pynamodb.attributes import BinaryAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.built_once import built_once
from chalicelib.config import settings
from chalicelib.crypto import shred_keys
from chalicelib.crypto.envelope import SealContext, sealer

if TYPE_CHECKING:
    from chalicelib.crypto.kms_sealer import Sealer

# PynamoDB builds a botocore session per connection; ours share parsed service models and bounded timeouts.
pynamodb.connection.base.get_session = aws.botocore_session
# PynamoDB builds a botocore client (~150 ms of CPU) for each model's connection on its first call, and
# every thread that calls before one is stored builds its own: a cold `chalice local` burst built about a
# hundred per model at once, and a cold Lambda one per model it touched. Connections with the same settings
# share one client (botocore clients are thread-safe), built once.
_building_clients = threading.Lock()
_build_client = Connection.client.fget  # type: ignore[attr-defined]
_shared_clients: dict[tuple[Any, ...], Any] = {}


def _client_settings(connection: Connection) -> tuple[Any, ...] | None:
    """What makes two connections' clients interchangeable; None: this one keeps its own (extra headers)."""
    if connection._extra_headers is not None:
        return None
    return (connection.region, connection.host, connection._connect_timeout_seconds,
            connection._read_timeout_seconds, connection._max_retry_attempts_exception,
            str(connection._retry_configuration))


def _client_built_once(connection: Connection) -> Any:
    if connection._client is None:
        with _building_clients:  # the first builds it; the others wait, then find it built
            settings_key = _client_settings(connection)
            shared = _shared_clients.get(settings_key) if settings_key else None
            if shared is not None:
                connection._client = shared
            client = _build_client(connection)
            if settings_key:
                _shared_clients[settings_key] = client
            return client
    return _build_client(connection)


Connection.client = property(_client_built_once)  # type: ignore[method-assign,assignment]

# PynamoDB passes its own client config (defaults: 15 s connect, 30 s read, 4 attempts), which wins over
# the session's: give it the same bounds as every other AWS call.
_TIMEOUTS = {"connect_timeout_seconds": aws.CONNECT_TIMEOUT_SECONDS, "read_timeout_seconds": aws.READ_TIMEOUT_SECONDS,
             "max_retry_attempts": aws.TOTAL_ATTEMPTS - 1}



def _cause_response(error: PynamoDBException) -> dict[str, Any]:
    return getattr(error.cause, "response", None) or {}


# PynamoDB reads the AWS error code from `cause.response`, which botocore's network errors (timeouts,
# resets) set to None: asking a failed write for its code then raised AttributeError inside every
# `except` that asks, a bug that only looked like an outage through `__context__`. No code: None.
PynamoDBException.cause_response_code = property(  # type: ignore[method-assign,assignment]
    lambda error: _cause_response(error).get("Error", {}).get("Code"))
PynamoDBException.cause_response_message = property(  # type: ignore[method-assign,assignment]
    lambda error: _cause_response(error).get("Error", {}).get("Message"))


def table_meta(logical_name: str, home: bool = False) -> Any:
    """A PynamoDB `Meta` for the table `logical_name` in the configured stage and endpoint; `home`: the
    stage's own table even while the application serves restored tables (one that no backup holds)."""
    config = settings()
    return type(
        "Meta",
        (),
        {
            "table_name": f"{config.home_table_prefix}{logical_name}" if home else config.table_name(logical_name),
            "region": config.region,
            "host": config.endpoint_url,
            "billing_mode": "PAY_PER_REQUEST",
            **_TIMEOUTS,
        },
    )


@built_once
def _connection() -> Connection:
    """One connection (one botocore client: ~150 ms to build) for every transaction of this process."""
    config = settings()
    return Connection(region=config.region, host=config.endpoint_url,
                      connect_timeout_seconds=aws.CONNECT_TIMEOUT_SECONDS,
                      read_timeout_seconds=aws.READ_TIMEOUT_SECONDS, max_retry_attempts=aws.TOTAL_ATTEMPTS - 1)


def shared_connection() -> Connection:
    """The process's one low-level connection (multi-table reads use it: models/batch_read.py)."""
    return _connection()


def transaction(request_token: str | None = None) -> TransactWrite:
    """A write transaction on the configured region and endpoint.

    With `request_token` (DynamoDB's ClientRequestToken) a retried transaction is applied at most once:
    DynamoDB answers a repeat within ten minutes with the first outcome instead of applying it again.
    """
    return TransactWrite(connection=_connection(), client_request_token=request_token)


def reset_connections() -> None:
    """Forget the transaction connection and each model's own (tests switch AWS backends)."""
    from chalicelib.models import ALL_MODELS

    _connection.cache_clear()
    _shared_clients.clear()
    for model in ALL_MODELS:
        model._connection = None


# The envelope field that holds a row's fields encrypted under its shred subject's key (never a field name).
SHRED_BOX = "~shred"
BoxOpener = Callable[[str, str, bytes, str], bytes]  # (org, subject, box, binding) -> plaintext


class SealedModel(Model):
    """A model whose sensitive fields exist only inside one sealed envelope (`sealed`).

    Subclasses name their table (`TABLE`), list the fields that may be sealed (`SEALED_FIELDS`) and
    say which row a sealed value belongs to (`row_key`); a value copied to another row fails to open.
    The fields are first encrypted under the key of the row's shred subject (`shred_subject`, ADR 0010),
    and that box is what the envelope seals: destroying the key leaves every copy of the row unopenable.
    """

    TABLE: ClassVar[str]
    SEALED_FIELDS: ClassVar[frozenset[str]]
    SEAL_PURPOSE: ClassVar[str] = "fields"

    sealed = BinaryAttribute(legacy_encoding=False)

    @property
    def tenant(self) -> str:
        raise NotImplementedError

    def row_key(self) -> str:
        raise NotImplementedError

    def shred_subject(self) -> str:
        """Whose key this row's fields depend on: the org's, unless the row belongs to one person."""
        return shred_keys.ORG

    def seal(self, values: Mapping[str, Any]) -> None:
        """Replace the sealed fields with `values` (only declared fields are allowed).
        Raises SealedDataErased when the row's subject was erased."""
        unknown = set(values) - self.SEALED_FIELDS
        if unknown:
            raise ValueError(f"{type(self).__name__} does not seal {sorted(unknown)}")
        subject = self.shred_subject()
        plaintext = json.dumps(dict(values), separators=(",", ":")).encode()
        box = shred_keys.seal_box(self.tenant, subject, plaintext, self._shred_binding())
        shredded = {"subject": subject, "box": base64.b64encode(box).decode()}
        self.sealed = sealer().seal({SHRED_BOX: shredded}, self._seal_context(), self.row_key())
        from chalicelib.crypto import opened_envelopes  # what we sealed opens to what we put in

        opened_envelopes.put(opened_envelopes.key_of(self._seal_context().encryption_context(), self.row_key(),
                                                     self.sealed), shredded)

    def unseal(self) -> dict[str, Any]:
        """The sealed fields, after checking they belong to this org, table and row.
        Raises SealedDataErased when the key they depend on was destroyed. An envelope this process
        opened before is not decrypted again (`crypto/opened_envelopes.py`: only its shred box, still
        ciphertext under the subject's key, is kept)."""
        from chalicelib.crypto import opened_envelopes

        key = opened_envelopes.key_of(self._seal_context().encryption_context(), self.row_key(), self.sealed)
        shredded = opened_envelopes.get(key)
        if shredded is None:
            envelope = sealer().open(self.sealed, self._seal_context(), self.row_key())
            if SHRED_BOX not in envelope:
                return envelope  # sealed before crypto-shredding: opens, never cached (it is the fields)
            shredded = envelope[SHRED_BOX]
            opened_envelopes.put(key, shredded)
        return self._open_shredded(shredded, shred_keys.open_box)

    def unseal_with(self, opener: Sealer, open_box: BoxOpener) -> dict[str, Any]:
        """`unseal` with a given envelope opener and shred key source (the restore drill brings its own)."""
        envelope = opener.open(self.sealed, self._seal_context(), self.row_key())
        shredded = envelope.get(SHRED_BOX)
        if shredded is None:
            return envelope  # sealed before crypto-shredding: opens, but no key's destruction reaches it
        return self._open_shredded(shredded, open_box)

    def _open_shredded(self, shredded: dict[str, Any], open_box: BoxOpener) -> dict[str, Any]:
        box = base64.b64decode(shredded["box"])
        fields: dict[str, Any] = json.loads(open_box(self.tenant, shredded["subject"], box, self._shred_binding()))
        return fields

    def legacy_fields(self) -> dict[str, Any] | None:
        """The fields of a row sealed before crypto-shredding (no key's destruction reaches them), else None."""
        envelope = sealer().open(self.sealed, self._seal_context(), self.row_key())
        return None if SHRED_BOX in envelope else envelope

    def _seal_context(self) -> SealContext:
        return SealContext(org_id=self.tenant, table=self.TABLE, purpose=self.SEAL_PURPOSE)

    def _shred_binding(self) -> str:
        return f"{self.TABLE}/{self.row_key()}"
