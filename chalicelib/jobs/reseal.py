"""Re-sealing: rewrite sealed rows in the current form, without changing what they hold (`manage.py reseal`).

Rows sealed before crypto-shredding (ADR 0010) open, but no key's destruction reaches them: re-sealed, they
depend on their subject's key like every new row, so an erasure shreds them too. `--all` re-seals every row
with fresh data keys (moving rows to another KMS key would also need the opener to accept the old one: it
accepts only the configured key).

Each row is rewritten by one conditional update of `sealed` alone: a row changed since it was read is left
to the change (it was sealed afresh by it) and counted as `changed`, never overwritten. Rows whose subject
was erased cannot be opened and stay as they are.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.errors import SealedDataErased
from chalicelib.jobs.runner import JobReport
from chalicelib.models import ALL_MODELS
from chalicelib.models.base import SealedModel

SEALED_MODELS = tuple(model for model in ALL_MODELS if issubclass(model, SealedModel))
RESEALED, CURRENT, CHANGED, ERASED = "resealed", "current", "changed", "erased"


def run_reseal(report: JobReport, every_row: bool = False) -> None:
    """Re-seal the rows sealed before crypto-shredding (or, with `every_row`, all of them); counts per table."""
    counts = {model.TABLE: {RESEALED: 0, CURRENT: 0, CHANGED: 0, ERASED: 0} for model in SEALED_MODELS}
    for model in SEALED_MODELS:
        for row in model.scan(consistent_read=True):
            counts[model.TABLE][reseal_row(row, every_row)] += 1
    report.details["rows"] = counts


def reseal_row(row: SealedModel, every_row: bool) -> str:
    """Re-seal one row unless it is current already; says which of RESEALED, CURRENT, CHANGED, ERASED."""
    try:
        values = row.unseal() if every_row else row.legacy_fields()
        if values is None:
            return CURRENT
        before = row.sealed
        row.seal(values)
    except SealedDataErased:
        return ERASED
    model = type(row)
    try:
        row.update(actions=[model.sealed.set(row.sealed)], condition=model.sealed == before)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return CHANGED
    return RESEALED
