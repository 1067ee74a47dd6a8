"""`make test` fails on a known vulnerability with a fix, and names what to upgrade."""

from __future__ import annotations

import re
from pathlib import Path

from scripts import audit_dependencies
from scripts.audit_dependencies import findings

ROOT = Path(__file__).resolve().parents[2]


def report(*vulns: dict) -> dict:
    return {"dependencies": [{"name": "urllib3", "version": "2.0.0", "vulns": list(vulns)},
                             {"name": "six", "version": "1.17.0", "vulns": []}]}


def test_a_vulnerability_with_a_fixed_version_must_be_upgraded():
    fixable, unfixable = findings(report({"id": "GHSA-x", "fix_versions": ["2.0.7", "2.2.2"]}))

    assert fixable == ["urllib3 2.0.0 GHSA-x -> 2.0.7, 2.2.2"] and unfixable == []


def test_a_vulnerability_without_a_fix_is_listed_but_does_not_fail(monkeypatch, capsys):
    monkeypatch.setattr(audit_dependencies, "run_pip_audit",
                        lambda: report({"id": "PYSEC-1", "fix_versions": []}))

    assert audit_dependencies.main() == 0
    assert "no fix yet: urllib3 2.0.0 PYSEC-1" in capsys.readouterr().err


def test_the_audit_fails_on_a_fixable_vulnerability(monkeypatch, capsys):
    monkeypatch.setattr(audit_dependencies, "run_pip_audit",
                        lambda: report({"id": "GHSA-x", "fix_versions": ["2.0.7"]}))

    assert audit_dependencies.main() == 1
    assert "UPGRADE: urllib3 2.0.0 GHSA-x -> 2.0.7" in capsys.readouterr().err


def test_an_unreachable_service_fails_only_where_an_answer_is_required(monkeypatch):
    monkeypatch.setattr(audit_dependencies, "run_pip_audit", lambda: None)
    monkeypatch.delenv("SAFESLOT_AUDIT_REQUIRED", raising=False)
    assert audit_dependencies.main() == 0
    monkeypatch.setenv("SAFESLOT_AUDIT_REQUIRED", "1")
    assert audit_dependencies.main() == 1


def test_make_test_runs_the_audit_and_ci_requires_it_weekly_too():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\baudit\b", makefile, re.M)
    assert "scripts/audit_dependencies.py" in makefile
    assert re.search(r"^pip-audit==", (ROOT / "requirements-dev.txt").read_text(), re.M)
    workflow = (ROOT / ".github" / "workflows" / "test.yml").read_text()
    assert "schedule:" in workflow and "cron:" in workflow and "SAFESLOT_AUDIT_REQUIRED" in workflow


def test_update_automation_covers_python_requirements_and_actions():
    config = (ROOT / ".github" / "dependabot.yml").read_text()
    assert "package-ecosystem: pip" in config and "package-ecosystem: github-actions" in config
    assert 'directory: "/infra"' in config


def test_every_action_is_pinned_by_commit_and_the_cdk_cli_by_version():
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for action in re.findall(r"uses:\s*(\S+)", workflow.read_text()):
            if action.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), (workflow.name, action)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"aws-cdk@\d+\.\d+\.\d+\b", makefile) and "aws-cdk@2 " not in makefile
