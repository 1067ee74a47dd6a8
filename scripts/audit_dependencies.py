"""`make audit` (part of `make test`): pip-audit over every pinned requirement (runtime, dev, infra,
checkov). Fails on a known vulnerability that has a fixed version (upgrade the pin); lists the ones with
no fix yet. pip-audit asks the PyPI vulnerability service; when that cannot be reached the audit says
so and fails only where an answer is required (CI sets SAFESLOT_AUDIT_REQUIRED=1), so an offline
`make test` is not made flaky by the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "infra/requirements.txt",
                "infra/requirements-checkov.txt")


def findings(report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(vulnerabilities with a fix, vulnerabilities without one), each as `name version id [-> fixes]`."""
    fixable, unfixable = [], []
    for dependency in report.get("dependencies", []):
        for vulnerability in dependency.get("vulns", []):
            line = f"{dependency['name']} {dependency['version']} {vulnerability['id']}"
            if vulnerability.get("fix_versions"):
                fixable.append(f"{line} -> {', '.join(vulnerability['fix_versions'])}")
            else:
                unfixable.append(line)
    return fixable, unfixable


def run_pip_audit() -> dict[str, Any] | None:
    """pip-audit's JSON report, or None when the vulnerability service could not be asked."""
    arguments = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--format", "json",
                 "--progress-spinner", "off", "--timeout", "15"]
    for requirements in REQUIREMENTS:
        arguments += ["-r", str(ROOT / requirements)]
    run = subprocess.run(arguments, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    try:
        return dict(json.loads(run.stdout))
    except json.JSONDecodeError:
        print(run.stderr.strip()[-2000:], file=sys.stderr)
        return None


def main() -> int:
    report = run_pip_audit()
    if report is None:
        required = os.environ.get("SAFESLOT_AUDIT_REQUIRED") == "1"
        outcome = "failing" if required else "skipped"
        print(f"dependency audit: the vulnerability service could not be reached ({outcome})", file=sys.stderr)
        return 1 if required else 0
    fixable, unfixable = findings(report)
    for line in unfixable:
        print(f"dependency audit: no fix yet: {line}", file=sys.stderr)
    for line in fixable:
        print(f"dependency audit: UPGRADE: {line}", file=sys.stderr)
    print(f"dependency audit: {len(report.get('dependencies', []))} pinned packages, {len(fixable)} to upgrade, "
          f"{len(unfixable)} without a fix", file=sys.stderr)
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
