"""Build the org exports owners asked for (services/exports): every minute, each queued export in turn."""

from __future__ import annotations

from chalicelib.jobs.runner import JobReport
from chalicelib.services.exports import org_export, storage


def run_org_exports(report: JobReport) -> None:
    """Make every queued export; one that fails is marked failed (and audited) and the others go on."""
    made = 0
    for record in storage.waiting():
        try:
            made += org_export.produce(record) is not None
        except Exception as error:  # reported; the next export still gets made
            report.fail(f"export {record.export_id} of org {record.org_id}: {type(error).__name__}")
    report.details["exports_made"] = made
