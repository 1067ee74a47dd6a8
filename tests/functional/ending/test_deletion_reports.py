"""The jobs that delete say what they deleted: counts per table in the report and as EMF metrics
(ItemsDeleted per run, and per run and table), never the items themselves."""

from __future__ import annotations

import json
from datetime import timedelta

import manage
from chalicelib.services.identity.policy import change_policy
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.jobs.helpers import invoke


def deleted_metrics(output: str) -> dict[str, float]:
    """ItemsDeleted per table ("*" for the run's total) from the EMF documents printed."""
    found = {}
    for line in output.splitlines():
        if line.startswith("{") and '"ItemsDeleted"' in line:
            document = json.loads(line)
            value = document["ItemsDeleted"]
            found[document.get("table", "*")] = value[-1] if isinstance(value, list) else value
    return found


def test_the_retention_job_reports_how_many_items_it_deleted_from_each_table(client, fake_clock, capsys):
    clinic = make_clinic()
    day = next_weekday()
    book(client, clinic, at(day, "10:00"))
    change_policy(clinic.owner, {"booking_retention_days": 30})
    fake_clock.advance(days=(day - fake_clock.now.date()).days + 31)
    capsys.readouterr()

    report = invoke(client, "daily_retention")

    assert report["deleted_items"] == {"audit_events": 0, "bookings": 1, "customers": 0, "login_attempts": 0,
                                       "slot_locks": 6}
    assert deleted_metrics(capsys.readouterr().out) == {"*": 7, "audit_events": 0, "bookings": 1, "customers": 0,
                                                        "login_attempts": 0, "slot_locks": 6}


def test_an_org_deletion_reports_its_counts_per_table_and_emits_them(client, fake_clock, capsys):
    clinic = make_clinic()
    book(client, clinic, at(next_weekday() + timedelta(days=1), "10:00"))
    capsys.readouterr()

    code = manage.main(["org-delete", "--org", "clinic", "--confirm", "clinic"])
    output = capsys.readouterr().out
    report = json.loads(output[output.index("{\n"):])

    assert code == 0
    assert report["deleted_items"]["bookings"] == 1 and report["deleted_items"]["slot_locks"] == 1  # its hour's item
    assert report["deleted_items"]["orgs"] == 1 and report["deleted_items"]["org_slugs"] == 1
    emitted = deleted_metrics(output)
    assert emitted["*"] == sum(report["deleted_items"].values()) and emitted["bookings"] == 1
