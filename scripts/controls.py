"""`make controls`: controls that prove themselves (issue 28). For each control of `security/controls.yaml`,
apply its removal (exact text patches) in a temporary copy of the tree, run the tests that claim to prove it
(`pytest -p no:xdist -q -x`) and report every control whose tests still pass without it ("survived").

The working tree is never edited: the tree (tracked and untracked files, as git lists them) is copied once
into a temporary directory; each removal is applied there and the original text is put back in a `finally`.
The controls' tests are first run once, unpatched, in that copy: a test that already fails proves nothing.

    python -m scripts.controls                      # every control
    python -m scripts.controls --only duo-nonce     # one (repeatable)
    python -m scripts.controls --sample 3 --seed 0  # a rotating sample: day of year picks the window
    python -m scripts.controls --write-doc          # docs/security.md's table, made from the list

A sample of N takes N consecutive controls (in the list's order, wrapping) starting at
((day number + seed) * N) mod count, so daily runs cover every control within ceil(count / N) days (a week
when N >= ceil(count / 7)). Prints a JSON summary on stdout (progress on stderr) and exits 1 when a control
survived, a removal no longer applies (the code moved: update the list), or the unpatched tests fail. Each
control's latest result (with the baseline's and the time) is kept in `.local/controls-results.json`, which
`manage.py evidence` reports.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTROLS_FILE = ROOT / "security" / "controls.yaml"
RESULTS_FILE = ROOT / ".local" / "controls-results.json"
SECURITY_DOC = ROOT / "docs" / "security.md"
TABLE_BEGIN, TABLE_END = "<!-- controls table: made by `python -m scripts.controls --write-doc` -->", "<!-- end -->"
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FIELDS = {"id", "requirement", "code", "removes", "disable", "tests"}
PATCH_FIELDS = {"file", "find", "replace"}


@dataclass(frozen=True)
class Patch:
    file: str
    find: str
    replace: str


@dataclass(frozen=True)
class Control:
    id: str
    requirement: str
    code: str
    removes: str  # what the removal takes away, in words (docs/security.md's table)
    disable: tuple[Patch, ...]
    tests: tuple[str, ...]  # pytest node ids relative to tests/

    def test_paths(self) -> list[str]:
        return [f"tests/{test}" for test in self.tests]


class ListError(ValueError):
    """The controls list is malformed."""


def load(path: Path = CONTROLS_FILE) -> list[Control]:
    """The controls of `path`, checked for shape (not against the code: see `stale_patches`)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("controls"), list):
        raise ListError("the file holds a mapping with a `controls` list")
    controls: list[Control] = []
    for entry in document["controls"]:
        control = _control(entry)
        if control.id in {c.id for c in controls}:
            raise ListError(f"control ids are unique: {control.id!r}")
        controls.append(control)
    if not controls:
        raise ListError("the list names no control")
    return controls


def _control(entry: Any) -> Control:
    if not isinstance(entry, dict) or set(entry) != FIELDS:
        raise ListError(f"each control has exactly the fields {sorted(FIELDS)}: {entry!r}")
    ident = entry["id"]
    if not isinstance(ident, str) or not ID_PATTERN.match(ident):
        raise ListError(f"control ids are kebab-case: {ident!r}")
    for field in ("requirement", "code", "removes"):
        if not isinstance(entry[field], str) or not entry[field].strip():
            raise ListError(f"{ident}: `{field}` is a non-empty string")
    patches = entry["disable"]
    if not isinstance(patches, list) or not patches:
        raise ListError(f"{ident}: `disable` is a non-empty list of patches")
    tests = entry["tests"]
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) and "::" in t for t in tests):
        raise ListError(f"{ident}: `tests` is a non-empty list of pytest node ids (file::test)")
    return Control(ident, entry["requirement"], entry["code"], entry["removes"],
                   tuple(_patch(ident, p) for p in patches), tuple(tests))


def _patch(ident: str, patch: Any) -> Patch:
    if not isinstance(patch, dict) or set(patch) != PATCH_FIELDS:
        raise ListError(f"{ident}: each patch has exactly the fields {sorted(PATCH_FIELDS)}")
    if not all(isinstance(patch[field], str) for field in PATCH_FIELDS) or not patch["find"]:
        raise ListError(f"{ident}: a patch's file, find and replace are strings, find not empty")
    if patch["find"] == patch["replace"]:
        raise ListError(f"{ident}: a patch must change its text")
    return Patch(patch["file"], patch["find"], patch["replace"])


def stale_patches(control: Control, root: Path = ROOT) -> list[str]:
    """Why each of the control's patches no longer applies to the tree at `root` (empty: all apply)."""
    problems = []
    for patch in control.disable:
        target = root / patch.file
        if not target.is_file():
            problems.append(f"{patch.file}: no such file")
            continue
        found = target.read_text(encoding="utf-8").count(patch.find)
        if found != 1:
            problems.append(f"{patch.file}: the text to find occurs {found} times, not once: {patch.find!r}")
    return problems


def sample(controls: list[Control], size: int, seed: int, day: date) -> list[Control]:
    """`size` consecutive controls (wrapping) from a start that moves by `size` each day (days counted without
    a break at the new year, so the rotation never skips a window)."""
    size = max(1, min(size, len(controls)))
    start = ((day.toordinal() + seed) * size) % len(controls)
    return [controls[(start + i) % len(controls)] for i in range(size)]


def copy_tree(destination: Path) -> None:
    """The working tree as git sees it (tracked and untracked, ignored files left out), into `destination`."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=ROOT, check=True, capture_output=True).stdout.decode()  # noqa: S603
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run_tests(tree: Path, tests: list[str]) -> tuple[int, str]:
    """pytest's exit code and the tail of its output, run in `tree` with this interpreter."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "-x", *tests]
    completed = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)  # noqa: S603
    return completed.returncode, "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-5:])


def apply(tree: Path, patches: tuple[Patch, ...]) -> dict[Path, str]:
    """Apply the patches in `tree`; returns each touched file's original text (to restore it)."""
    originals: dict[Path, str] = {}
    for patch in patches:
        target = tree / patch.file
        text = target.read_text(encoding="utf-8")
        originals.setdefault(target, text)
        target.write_text(text.replace(patch.find, patch.replace, 1), encoding="utf-8")
    return originals


def prove(tree: Path, control: Control) -> dict[str, Any]:
    """Remove the control in `tree`, run its tests, put it back: `killed` when they fail, `survived` when not."""
    started = time.monotonic()
    problems = stale_patches(control, tree)
    if problems:
        return {"id": control.id, "result": "stale", "problems": problems, "seconds": 0.0}
    originals = apply(tree, control.disable)
    try:
        code, tail = run_tests(tree, control.test_paths())
    finally:
        for target, text in originals.items():
            target.write_text(text, encoding="utf-8")
    result = {0: "survived", 1: "killed"}.get(code, "error")  # pytest: 1 = tests failed; else it did not run
    entry: dict[str, Any] = {"id": control.id, "result": result,
                             "seconds": round(time.monotonic() - started, 1)}
    if result == "killed":  # the evidence: which test caught the removal
        entry["failed"] = [line.split(" ", 1)[1].split(" - ", 1)[0] for line in tail.splitlines()
                           if line.startswith(("FAILED ", "ERROR "))]
    else:
        entry["pytest_exit_code"], entry["output"] = code, tail
    return entry


def doc_table(controls: list[Control]) -> str:
    """The Markdown table of docs/security.md's "Controls proven by removal", one row a control."""
    rows = [f"| `{c.id}` | {c.removes} | {c.requirement} | {', '.join(f'`{t}`' for t in c.tests)} |"
            for c in controls]
    return "\n".join(["| control id | what is removed | requirement | tests that must then fail |",
                      "|---|---|---|---|", *rows])


def with_table(doc: str, controls: list[Control]) -> str:
    """`doc` with the text between the table's markers replaced by the table made from `controls`."""
    head, found, rest = doc.partition(TABLE_BEGIN)
    _, found_end, tail = rest.partition(TABLE_END)
    if not (found and found_end):
        raise ListError(f"docs/security.md marks the controls table with {TABLE_BEGIN} ... {TABLE_END}")
    return f"{head}{TABLE_BEGIN}\n{doc_table(controls)}\n{TABLE_END}{tail}"


def remember(summary: dict[str, Any], path: Path = RESULTS_FILE) -> None:
    """Merge this run's results into the file of each control's latest result."""
    known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    when = datetime.now(UTC).isoformat(timespec="seconds")
    baseline = summary.get("baseline", {}).get("pytest_exit_code")
    for entry in summary["results"]:
        known[entry["id"]] = {**entry, "at": when, "tests_passed_with_the_control": baseline == 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(known, indent=2, sort_keys=True), encoding="utf-8")


def _selected(parser: argparse.ArgumentParser, args: argparse.Namespace, controls: list[Control]) -> list[Control]:
    if args.only:
        unknown = sorted(set(args.only) - {c.id for c in controls})
        if unknown:
            parser.error(f"no such control: {', '.join(unknown)}")
        return [c for c in controls if c.id in args.only]
    if args.sample:
        if args.sample < math.ceil(len(controls) / 7):
            print(f"note: a sample of {args.sample} covers all {len(controls)} controls only every "
                  f"{math.ceil(len(controls) / args.sample)} days", file=sys.stderr)
        return sample(controls, args.sample, args.seed, args.day or date.today())
    return controls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run this control (repeatable)")
    parser.add_argument("--sample", type=int, metavar="N", help="a rotating sample of N controls")
    parser.add_argument("--seed", type=int, default=0, help="shifts the rotating sample")
    parser.add_argument("--day", type=date.fromisoformat, default=None, help="the sample's day (default: today)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not first run the tests unpatched")
    parser.add_argument("--write-doc", action="store_true", help="write docs/security.md's table and stop")
    args = parser.parse_args(argv)
    started = time.monotonic()
    controls = load()
    if args.write_doc:
        SECURITY_DOC.write_text(with_table(SECURITY_DOC.read_text(encoding="utf-8"), controls), encoding="utf-8")
        return 0
    selected = _selected(parser, args, controls)
    summary: dict[str, Any] = {"controls": len(selected), "of": len(controls), "results": []}
    with tempfile.TemporaryDirectory(prefix="safeslot-controls-") as temporary:
        tree = Path(temporary)
        copy_tree(tree)
        if not args.skip_baseline:
            tests = list(dict.fromkeys(t for c in selected for t in c.test_paths()))
            print(f"baseline: {len(tests)} tests with every control in place", file=sys.stderr)
            code, tail = run_tests(tree, tests)
            summary["baseline"] = {"pytest_exit_code": code, "seconds": round(time.monotonic() - started, 1)}
            if code != 0:
                summary["baseline"]["output"] = tail
        if summary.get("baseline", {}).get("pytest_exit_code", 0) == 0:
            for control in selected:
                print(f"removing {control.id} ...", file=sys.stderr)
                entry = prove(tree, control)
                print(f"  {entry['result']} ({entry['seconds']} s)", file=sys.stderr)
                summary["results"].append(entry)
    for result in ("survived", "stale", "error"):
        summary[result] = [e["id"] for e in summary["results"] if e["result"] == result]
    summary["seconds"] = round(time.monotonic() - started, 1)
    remember(summary)
    print(json.dumps(summary, indent=2))
    failed = summary["survived"] or summary["stale"] or summary["error"] or \
        summary.get("baseline", {}).get("pytest_exit_code", 0) != 0
    print(f"{len(summary['results'])} controls removed: {len(summary['survived'])} survived, "
          f"{len(summary['stale'])} stale, {len(summary['error'])} errors in {summary['seconds']} s",
          file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
