"""security/controls.yaml cannot drift silently: it is well formed, every removal still applies exactly once to
the code, every test it names exists, and docs/security.md names every control (no test is run here)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from scripts import controls as controls_tool
from scripts.controls import Control, ListError, Patch, load, sample, stale_patches

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = load()


def test_the_list_names_controls_with_unique_ids():
    ids = [control.id for control in CONTROLS]

    assert len(ids) >= 10 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("control", CONTROLS, ids=lambda control: control.id)
def test_every_removal_still_finds_its_text_exactly_once(control):
    assert stale_patches(control) == []


@pytest.mark.parametrize("control", CONTROLS, ids=lambda control: control.id)
def test_every_test_a_control_names_exists(control):
    for node in control.tests:
        path, name = node.split("::", 1)
        test_file = ROOT / "tests" / path
        assert test_file.is_file(), node
        assert re.search(rf"^def {re.escape(name.split('[', 1)[0])}\(", test_file.read_text(), re.M), node


def test_the_security_doc_names_every_control():
    doc = (ROOT / "docs" / "security.md").read_text()
    section = doc.split("## Controls proven by removal", 1)

    assert len(section) == 2, "docs/security.md has a 'Controls proven by removal' section"
    missing = [control.id for control in CONTROLS if f"`{control.id}`" not in section[1]]
    assert missing == []


def test_a_removal_that_no_longer_applies_is_reported(tmp_path):
    (tmp_path / "guard.py").write_text("if allowed:\n    pass\nif allowed:\n    pass\n")
    twice = Control("guard", "ASVS 1", "guard.py", (Patch("guard.py", "if allowed:", "if True:"),), ("x.py::t",))
    gone = Control("gone", "ASVS 1", "guard.py", (Patch("guard.py", "if denied:", "if False:"),), ("x.py::t",))

    assert "occurs 2 times" in stale_patches(twice, tmp_path)[0]
    assert "occurs 0 times" in stale_patches(gone, tmp_path)[0]


@pytest.mark.parametrize("text", [
    "controls: []\n",
    "controls:\n  - id: Bad_Id\n    requirement: r\n    code: c\n    disable: [{file: f, find: a, replace: b}]\n"
    "    tests: [x.py::t]\n",
    "controls:\n  - id: same\n    requirement: r\n    code: c\n    disable: [{file: f, find: a, replace: a}]\n"
    "    tests: [x.py::t]\n",
    "controls:\n  - id: no-tests\n    requirement: r\n    code: c\n    disable: [{file: f, find: a, replace: b}]\n"
    "    tests: []\n",
])
def test_a_malformed_list_is_refused(tmp_path, text):
    (tmp_path / "controls.yaml").write_text(text)

    with pytest.raises(ListError):
        load(tmp_path / "controls.yaml")


def test_a_daily_sample_covers_every_control_within_a_week():
    size = -(-len(CONTROLS) // 7)
    start = date(2026, 12, 28)  # across the new year too
    seen = {control.id for day in range(7) for control in sample(CONTROLS, size, 3, start + timedelta(days=day))}

    assert seen == {control.id for control in CONTROLS}


def test_a_removal_is_made_in_the_copy_and_put_back(tmp_path, monkeypatch):
    (tmp_path / "guard.py").write_text("if allowed:\n    go()\n")
    control = Control("guard", "ASVS 1", "guard.py", (Patch("guard.py", "if allowed:", "if True:"),), ("x.py::t",))
    seen = []

    def fake_run(tree: Path, tests: list[str]) -> tuple[int, str]:
        seen.append((tree / "guard.py").read_text())
        return 0, "1 passed"

    monkeypatch.setattr(controls_tool, "run_tests", fake_run)
    entry = controls_tool.prove(tmp_path, control)

    assert seen == ["if True:\n    go()\n"] and entry["result"] == "survived"
    assert (tmp_path / "guard.py").read_text() == "if allowed:\n    go()\n"


def test_a_removal_its_tests_catch_is_killed_naming_the_test(tmp_path, monkeypatch):
    (tmp_path / "guard.py").write_text("if allowed:\n    go()\n")
    control = Control("guard", "ASVS 1", "guard.py", (Patch("guard.py", "if allowed:", "if True:"),), ("x.py::t",))
    monkeypatch.setattr(controls_tool, "run_tests",
                        lambda tree, tests: (1, "FAILED tests/x.py::t - AssertionError: 200\n1 failed in 0.1s"))

    entry = controls_tool.prove(tmp_path, control)

    assert (entry["result"], entry["failed"]) == ("killed", ["tests/x.py::t"])
    assert (tmp_path / "guard.py").read_text() == "if allowed:\n    go()\n"
