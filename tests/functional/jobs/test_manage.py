"""Operators run every job by hand with manage.py; the exit code says whether it worked."""

from __future__ import annotations

import json

import boto3

import manage
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday


def run(capsys, *argv: str) -> tuple[int, dict]:
    code = manage.main(list(argv))
    printed = capsys.readouterr().out
    return code, json.loads(printed[printed.index("{\n"):])


def test_an_operator_backs_up_and_restores_an_export_from_the_other_region(client, fake_clock, capsys):
    book(client, make_clinic(), at(next_weekday(), "10:00"))
    day = fake_clock.now.strftime("%Y-%m-%d")

    backed_up, _ = run(capsys, "backup")
    restored, report = run(capsys, "restore", "--export", day, "--from", "replica", "--prefix", "dr-")

    assert (backed_up, restored) == (0, 0)
    assert report["counts"]["bookings"] == 1
    assert "dr-bookings" in boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]


def test_a_restore_of_a_missing_run_fails_with_exit_code_1(client, capsys):
    code, report = run(capsys, "restore", "--export", "1999-01-01")

    assert code == 1 and report["failures"] == ["no manifest for 1999-01-01"]


def test_the_retention_dry_run_lists_and_keeps(client, capsys):
    make_clinic()

    code, report = run(capsys, "retention", "--dry-run")

    assert code == 0 and report["dry_run"] is True and report["would_delete"]["clinic"]["bookings"] == []
