"""`manage.py evidence` (issue 28): the report an owner hands to an auditor lists every control with the
result of its latest removal run, and the deployed configuration as AWS reports it, good or bad."""

from __future__ import annotations

import re
from html import unescape

import boto3
import pytest

import manage
from chalicelib.config import settings
from scripts import controls, evidence
from tests.functional.booking.helpers import at, book, make_clinic, next_weekday

CONTROLS = controls.load()


@pytest.fixture
def results(tmp_path):
    """What `make controls` kept after a run in which one control survived and one was caught."""
    path = tmp_path / "results.json"
    controls.remember({"baseline": {"pytest_exit_code": 0}, "results": [
        {"id": CONTROLS[0].id, "result": "killed", "failed": [f"tests/{CONTROLS[0].tests[0]}"]},
        {"id": CONTROLS[1].id, "result": "survived"}]}, path)
    return path


def text_of(directory) -> str:
    html = (directory / "evidence.html").read_text()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row(text: str, name: str) -> str:
    """The words of one table row, from its name to the row's verdict."""
    return re.search(rf"{re.escape(name)} (.*?) (yes|no)\b", text).group(0)


def test_the_report_lists_every_control_with_its_latest_removal(client, tmp_path, results):
    evidence.write(tmp_path, pdf=False, results_file=results)
    text = text_of(tmp_path)

    assert [c.id for c in CONTROLS if c.id not in text or c.requirement not in text] == []
    rows = re.findall(r'<tr id="control-([a-z0-9-]+)">', (tmp_path / "evidence.html").read_text())
    assert rows == [c.id for c in CONTROLS]
    assert f"caught by tests/{CONTROLS[0].tests[0]}" in text
    assert re.search(rf"{CONTROLS[1].id} .*? survived", text)
    assert "not run in this checkout" in text  # the others: nothing claimed that did not happen
    assert "1 of " + str(len(CONTROLS)) + " controls were shown" in text


def test_the_report_shows_the_last_backup_in_both_regions_and_a_disabled_key(client, fake_clock, tmp_path, capsys):
    book(client, make_clinic(), at(next_weekday(), "10:00"))
    assert manage.main(["backup"]) == 0
    boto3.client("kms").disable_key(KeyId=settings().key_arn.rsplit("/", 1)[1])

    assert manage.main(["evidence", "--out", str(tmp_path), "--html-only"]) == 0
    text = text_of(tmp_path)

    day = fake_clock.now.strftime("%Y-%m-%d")
    assert row(text, "safeslot-test-backups (us-east-1): newest complete run").endswith(f"{day} yes")
    assert row(text, "safeslot-test-backups-replica (us-west-2): newest complete run").endswith(f"{day} yes")
    assert re.search(r"Backup to both regions success at \S+ yes", text)
    assert row(text, "Restore drill").endswith("never run no")
    assert row(text, "data key (sealing): state").endswith("Disabled no")
    assert row(text, "alarms").endswith("none in this account and region no")
