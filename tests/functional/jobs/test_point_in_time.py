"""Point-in-time recovery of every table to one instant, all or nothing, into tables as protected as the
stack's own."""

from __future__ import annotations

import time

import boto3

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.jobs.tables import create_like, owned_tables, scan
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday
from tests.functional.jobs.test_manage import run


def dynamodb():
    return boto3.client("dynamodb", region_name="us-east-1")


def restorable_instant() -> str:
    """Now, to the second, once the tables' restorable windows (opened at their creation) include it."""
    time.sleep(1.05)
    return clock.isoformat(clock.now())


def restored_tables(prefix: str) -> list[str]:
    return [name for name in dynamodb().list_tables()["TableNames"] if name.startswith(prefix)]


def test_an_operator_restores_every_table_to_one_instant_into_protected_tables(client, capsys):
    book(client, make_clinic(), at(next_weekday(), "10:00"))
    instant = restorable_instant()
    counts = {logical: sum(1 for _ in scan(model.Meta.table_name)) for logical, model in owned_tables().items()}

    code, report = run(capsys, "point-in-time-restore", "--to", instant, "--prefix", "pitr-")

    assert code == 0, report
    assert report["instant"] == instant
    owned = owned_tables()
    assert sorted(restored_tables("pitr-")) == sorted(f"pitr-{logical}" for logical in owned)
    assert report["counts"] == counts
    for logical in owned:
        table = dynamodb().describe_table(TableName=f"pitr-{logical}")["Table"]
        assert table["DeletionProtectionEnabled"] is True
        backups = dynamodb().describe_continuous_backups(TableName=f"pitr-{logical}")
        assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"] == "ENABLED"
    assert report["counts"]["bookings"] == 1


def test_an_instant_outside_the_restorable_window_restores_nothing(client, capsys):
    code, report = run(capsys, "point-in-time-restore", "--to", "2000-01-01T00:00:00Z", "--prefix", "pitr-")

    assert code == 1
    assert all("earliest restorable instant" in failure for failure in report["failures"])
    assert len(report["failures"]) == len(owned_tables())
    assert restored_tables("pitr-") == []


def test_a_restore_that_fails_part_way_deletes_the_tables_it_made(client, capsys):
    logical, model = list(owned_tables().items())[-1]
    create_like(model, f"pitr-{logical}")  # someone's table is in the way of the last one

    code, report = run(capsys, "point-in-time-restore", "--to", restorable_instant(), "--prefix", "pitr-")

    assert code == 1
    assert report["failures"] == [f"{logical}: TableAlreadyExistsException; the tables restored so far were "
                                  "deleted"]
    assert restored_tables("pitr-") == [f"pitr-{logical}"]
    assert settings().key_arn not in str(report)


def test_an_instant_without_its_offset_is_refused_before_anything_runs(client, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:
        run(capsys, "point-in-time-restore", "--to", "2026-11-23 14:05")

    assert exit_.value.code == 2 and "ISO 8601 instant with its offset" in capsys.readouterr().err
