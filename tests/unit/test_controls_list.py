"""security/controls.yaml cannot drift silently: it is well formed, every removal still applies exactly once to
the code, every test it names exists, and docs/security.md names every control (no test is run here)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from scripts import controls as controls_tool
from scripts.controls import Control, ListError, Patch, load, sample, stale_patches

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = load()


def _guard(patch: Patch, ident: str = "guard") -> Control:
    return Control(ident, "ASVS 1", "guard.py", "the guard", (patch,), ("x.py::t",))


def _listed(ident: str, patch: str, test: str) -> str:
    return (f"controls:\n  - id: {ident}\n    requirement: r\n    code: c\n    removes: w\n"
            f"    disable: [{patch}]\n    tests: [{test}]\n")


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


def test_the_security_doc_table_is_the_one_the_list_makes():
    doc = (ROOT / "docs" / "security.md").read_text()

    assert controls_tool.with_table(doc, CONTROLS) == doc, "run `python -m scripts.controls --write-doc`"
    assert all(f"| `{control.id}` |" in doc for control in CONTROLS)


def test_a_run_keeps_each_controls_latest_result(tmp_path):
    results = tmp_path / "results.json"
    controls_tool.remember({"baseline": {"pytest_exit_code": 0},
                            "results": [{"id": "a", "result": "killed"}, {"id": "b", "result": "killed"}]}, results)
    controls_tool.remember({"baseline": {"pytest_exit_code": 0}, "results": [{"id": "b", "result": "survived"}]},
                           results)

    kept = json.loads(results.read_text())
    assert {ident: entry["result"] for ident, entry in kept.items()} == {"a": "killed", "b": "survived"}
    assert kept["b"]["tests_passed_with_the_control"] is True and kept["b"]["at"]


def test_a_removal_that_no_longer_applies_is_reported(tmp_path):
    (tmp_path / "guard.py").write_text("if allowed:\n    pass\nif allowed:\n    pass\n")
    twice = _guard(Patch("guard.py", "if allowed:", "if True:"))
    gone = _guard(Patch("guard.py", "if denied:", "if False:"), "gone")

    assert "occurs 2 times" in stale_patches(twice, tmp_path)[0]
    assert "occurs 0 times" in stale_patches(gone, tmp_path)[0]


@pytest.mark.parametrize("text", [
    "controls: []\n",
    _listed("Bad_Id", "{file: f, find: a, replace: b}", "x.py::t"),
    _listed("same", "{file: f, find: a, replace: a}", "x.py::t"),
    _listed("no-tests", "{file: f, find: a, replace: b}", ""),
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
    control = _guard(Patch("guard.py", "if allowed:", "if True:"))
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
    control = _guard(Patch("guard.py", "if allowed:", "if True:"))
    monkeypatch.setattr(controls_tool, "run_tests",
                        lambda tree, tests: (1, "FAILED tests/x.py::t - AssertionError: 200\n1 failed in 0.1s"))

    entry = controls_tool.prove(tmp_path, control)

    assert (entry["result"], entry["failed"]) == ("killed", ["tests/x.py::t"])
    assert (tmp_path / "guard.py").read_text() == "if allowed:\n    go()\n"
