"""`manage.py evidence`: a report an owner can hand to an auditor (issue 28). For each control of
`security/controls.yaml`: its requirement, where it is enforced, and the latest result of its tests and of
its removal (`make controls`, kept in `.local/controls-results.json`); then the deployed configuration that
backs the controls, read from the AWS the environment points at: the keys (state, rotation), the alarms,
the guardrails (GuardDuty, Security Hub, Config, CloudTrail), the backup buckets of both regions with their
newest complete run, and the last runs of the backup, restore drill and audit verification jobs.

Nothing is invented: what cannot be read is reported as "not readable" with the AWS error code, and what
does not exist as "none". The HTML is one self-contained file; the PDF is Chromium's print of it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from jinja2 import Environment, FileSystemLoader, select_autoescape

from scripts import controls as controls_list

if TYPE_CHECKING:
    from playwright.sync_api import Browser

TEMPLATE = "evidence.html"
JOBS = {"backup": "Backup to both regions", "restore_drill": "Restore drill",
        "audit_verify": "Audit chain verified against its signed digests", "audit_digest": "Signed audit digest"}


@dataclass
class Fact:
    """One line of deployed configuration: what was read, and whether it backs the control as it should."""
    name: str
    value: str
    ok: bool | None = None  # None: informational


@dataclass
class Evidence:
    generated_at: str
    controls: list[dict[str, Any]]
    sections: dict[str, list[Fact]] = field(default_factory=dict)

    @property
    def proven(self) -> int:
        return sum(1 for control in self.controls if control["removal"] == "killed")


def collect(results_file: Path) -> Evidence:
    results = json.loads(results_file.read_text(encoding="utf-8")) if results_file.is_file() else {}
    evidence = Evidence(datetime.now(UTC).isoformat(timespec="seconds"),
                        [_control_row(control, results.get(control.id)) for control in controls_list.load()])
    for title, reader in SECTIONS.items():
        evidence.sections[title] = list(_readable(title, reader))
    return evidence


def _control_row(control: controls_list.Control, result: dict[str, Any] | None) -> dict[str, Any]:
    row = {"id": control.id, "requirement": control.requirement, "code": control.code,
           "removes": control.removes, "tests": control.tests, "removal": "not run", "tests_pass": None, "at": ""}
    if result:
        row.update(removal=result["result"], tests_pass=result.get("tests_passed_with_the_control"),
                   at=result.get("at", ""), caught_by=result.get("failed", []))
    return row


def _readable(what: str, reader: Callable[[], Iterator[Fact]]) -> Iterator[Fact]:
    try:
        yield from reader()
    except (ClientError, BotoCoreError) as error:
        code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
        yield Fact(what, f"not readable ({code})", False)


# --- the deployed configuration ---------------------------------------------------------------------------

def _keys() -> Iterator[Fact]:
    from chalicelib import aws
    from chalicelib.config import settings

    kms = aws.client("kms")
    for role, key_id in (("data key (sealing)", settings().key_arn),
                         ("audit digest signing key", settings().audit_signing_key_id)):
        if not key_id:
            yield Fact(role, "not configured", False)
            continue
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        state = meta["KeyState"]
        yield Fact(f"{role}: state", state, state == "Enabled")
        if meta.get("KeySpec") == "SYMMETRIC_DEFAULT":
            rotation = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
            yield Fact(f"{role}: yearly rotation", "on" if rotation else "off", rotation)


def _alarms() -> Iterator[Fact]:
    from chalicelib import aws

    pages = aws.client("cloudwatch").get_paginator("describe_alarms").paginate()
    alarms = [alarm for page in pages for alarm in page.get("MetricAlarms", [])]
    if not alarms:
        yield Fact("alarms", "none in this account and region", False)
    for alarm in alarms:
        actions = "notifies " + ", ".join(a.rsplit(":", 1)[-1] for a in alarm.get("AlarmActions", [])) \
            if alarm.get("AlarmActions") else "notifies no one"
        yield Fact(alarm["AlarmName"], f"{alarm['StateValue']}; {alarm.get('MetricName', 'expression')}; {actions}",
                   bool(alarm.get("AlarmActions")))


def _guardrails() -> Iterator[Fact]:
    from chalicelib import aws

    detectors = aws.client("guardduty").list_detectors()["DetectorIds"]
    yield Fact("GuardDuty detectors", str(len(detectors)), bool(detectors))
    trails = aws.client("cloudtrail").describe_trails()["trailList"]
    for trail in trails:
        validated = bool(trail.get("LogFileValidationEnabled"))
        yield Fact(f"CloudTrail {trail['Name']}", "log file validation " + ("on" if validated else "off"), validated)
    if not trails:
        yield Fact("CloudTrail trails", "none", False)
    recorders = aws.client("config").describe_configuration_recorders()["ConfigurationRecorders"]
    yield Fact("AWS Config recorders", str(len(recorders)), bool(recorders))
    yield from _readable("Security Hub", _security_hub)


def _security_hub() -> Iterator[Fact]:
    from chalicelib import aws

    standards = aws.client("securityhub").get_enabled_standards()["StandardsSubscriptions"]
    names = ", ".join(s["StandardsArn"].rsplit("/", 3)[-3] for s in standards) or "none"
    yield Fact("Security Hub standards", names, bool(standards))


def _backups() -> Iterator[Fact]:
    from chalicelib import aws
    from chalicelib.config import settings
    from chalicelib.jobs import backup

    config = settings()
    for region, bucket in ((config.region, config.backup_bucket), (config.replica_region, config.replica_bucket)):
        s3 = aws.client("s3", region)
        complete = backup.complete_runs(s3, bucket)
        yield Fact(f"{bucket} ({region}): newest complete run", complete[-1] if complete else "none", bool(complete))
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "off")
        yield Fact(f"{bucket} ({region}): versioning", versioning, versioning == "Enabled")


def _job_runs() -> Iterator[Fact]:
    from chalicelib.jobs.runner import SYSTEM_CHAIN
    from chalicelib.services.audit import chain

    chain.build(SYSTEM_CHAIN)
    last: dict[str, Any] = {}
    for event in chain.events(SYSTEM_CHAIN):
        job = str(event.action).removeprefix("job.")
        if job in JOBS:
            last[job] = event
    for job, title in JOBS.items():
        if job not in last:
            yield Fact(title, "never run", False)
            continue
        yield Fact(title, f"{last[job].outcome} at {last[job].at}", last[job].outcome == "success")


SECTIONS: dict[str, Callable[[], Iterator[Fact]]] = {
    "Keys": _keys, "Alarms": _alarms, "Guardrails": _guardrails, "Backups in both regions": _backups,
    "Last runs of the jobs that prove recovery and integrity": _job_runs}


# --- the report ------------------------------------------------------------------------------------------

def render_html(evidence: Evidence) -> str:
    templates = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))
    return templates.get_template(TEMPLATE).render(evidence=evidence)


def write(directory: Path, pdf: bool = True, results_file: Path = controls_list.RESULTS_FILE,
          browser: Browser | None = None) -> list[Path]:
    """Write evidence.html (and evidence.pdf, printed by `browser` or a Chromium of its own) into `directory`;
    returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    html = directory / "evidence.html"
    html.write_text(render_html(collect(results_file)), encoding="utf-8")
    if not pdf:
        return [html]
    target = directory / "evidence.pdf"
    if browser:
        print_pdf(browser, html, target)
    else:
        with own_chromium() as launched:
            print_pdf(launched, html, target)
    return [html, target]


def print_pdf(browser: Browser, html: Path, target: Path) -> None:
    page = browser.new_page()
    try:
        page.goto(html.resolve().as_uri())
        page.pdf(path=str(target), format="A4", print_background=True)
    finally:
        page.close()


@contextmanager
def own_chromium() -> Iterator[Browser]:
    """Debian's chromium, driven by Playwright (`make browser` installs it)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        raise SystemExit("the PDF needs Debian's chromium (`make browser`); --html-only writes the HTML alone")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
