"""What every SafeSlot table shares: its Meta built from settings, and sealed sensitive fields."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

import pynamodb.connection.base
from pynamodb.attributes import BinaryAttribute
from pynamodb.connection import Connection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.config import settings
from chalicelib.crypto.envelope import SealContext, sealer

# PynamoDB builds a botocore session per connection; ours share parsed service models and bounded timeouts.
pynamodb.connection.base.get_session = aws.botocore_session
# PynamoDB passes its own client config (defaults: 15 s connect, 30 s read, 4 attempts), which wins over
# the session's: give it the same bounds as every other AWS call.
_TIMEOUTS = {"connect_timeout_seconds": aws.CONNECT_TIMEOUT_SECONDS, "read_timeout_seconds": aws.READ_TIMEOUT_SECONDS,
             "max_retry_attempts": aws.TOTAL_ATTEMPTS - 1}


def table_meta(logical_name: str) -> Any:
    """A PynamoDB `Meta` for the table `logical_name` in the configured stage and endpoint."""
    config = settings()
    return type(
        "Meta",
        (),
        {
            "table_name": config.table_name(logical_name),
            "region": config.region,
            "host": config.endpoint_url,
            "billing_mode": "PAY_PER_REQUEST",
            **_TIMEOUTS,
        },
    )


@functools.cache
def _connection() -> Connection:
    """One connection (one botocore client: ~150 ms to build) for every transaction of this process."""
    config = settings()
    return Connection(region=config.region, host=config.endpoint_url,
                      connect_timeout_seconds=aws.CONNECT_TIMEOUT_SECONDS,
                      read_timeout_seconds=aws.READ_TIMEOUT_SECONDS, max_retry_attempts=aws.TOTAL_ATTEMPTS - 1)


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
    for model in ALL_MODELS:
        model._connection = None


class SealedModel(Model):
    """A model whose sensitive fields exist only inside one sealed envelope (`sealed`).

    Subclasses name their table (`TABLE`), list the fields that may be sealed (`SEALED_FIELDS`) and
    say which row a sealed value belongs to (`row_key`); a value copied to another row fails to open.
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

    def seal(self, values: Mapping[str, Any]) -> None:
        """Replace the sealed fields with `values` (only declared fields are allowed)."""
        unknown = set(values) - self.SEALED_FIELDS
        if unknown:
            raise ValueError(f"{type(self).__name__} does not seal {sorted(unknown)}")
        self.sealed = sealer().seal(values, self._seal_context(), self.row_key())

    def unseal(self) -> dict[str, Any]:
        """The sealed fields, after checking they belong to this org, table and row."""
        return sealer().open(self.sealed, self._seal_context(), self.row_key())

    def _seal_context(self) -> SealContext:
        return SealContext(org_id=self.tenant, table=self.TABLE, purpose=self.SEAL_PURPOSE)
