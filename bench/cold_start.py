"""Import cost of the app (a Lambda cold start's share that is ours) against importing boto3 alone, and
the size of what Lambda unpacks (app.py, chalicelib and the installed runtime requirements).

Wall time swings with whatever else the machine runs; the CPU time of the child process (user + system)
is given beside it and holds steadier on a shared machine.
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import_seconds(statement: str) -> tuple[float, float]:
    """Median wall and median CPU seconds of a fresh interpreter running `statement`."""
    env = {**os.environ, "SAFESLOT_STAGE": "test"}
    command = [sys.executable, "-c", statement]
    walls, cpus = [], []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603
        walls.append(time.perf_counter() - wall)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _requirement_names() -> list[str]:
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==", line)
        if match:
            names.append(match.group(1))
    return names


def package_bytes() -> dict[str, int]:
    """Bytes of the Lambda package's contents, uncompressed: our code, and each pinned runtime requirement
    as installed (its RECORD, bytecode caches excluded, as `chalice package` leaves them out)."""
    ours = sum(path.stat().st_size for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*")]
               if path.is_file() and "__pycache__" not in path.parts)
    requirements = 0
    for name in _requirement_names():
        for file in metadata.distribution(name).files or []:
            if "__pycache__" not in file.parts and file.size:
                requirements += file.size
    return {"ours": ours, "requirements": requirements}


def measure() -> dict[str, float]:
    app_wall, app_cpu = _import_seconds("import app")
    boto3_wall, boto3_cpu = _import_seconds("import boto3")
    bare_wall, _ = _import_seconds("pass")
    size = package_bytes()
    return {
        "import_app_ms": round(app_wall * 1000, 1),
        "import_boto3_ms": round(boto3_wall * 1000, 1),
        "python_startup_ms": round(bare_wall * 1000, 1),
        "import_app_vs_boto3": round(app_wall / boto3_wall, 2),
        "import_app_vs_boto3_cpu": round(app_cpu / boto3_cpu, 2),
        "package_ours_kb": round(size["ours"] / 1024, 1),
        "package_requirements_mb": round(size["requirements"] / 1024 / 1024, 1),
    }
