"""What every SafeSlot table shares: its Meta built from settings, and sealed sensitive fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pynamodb.attributes import BinaryAttribute
from pynamodb.connection import Connection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.crypto.envelope import SealContext, sealer


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
        },
    )


def transaction() -> TransactWrite:
    """A write transaction on the configured region and endpoint."""
    config = settings()
    return TransactWrite(connection=Connection(region=config.region, host=config.endpoint_url))


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
