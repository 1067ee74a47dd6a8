"""Import cost of the app (a Lambda cold start's share that is ours) against importing boto3 alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.timing import median_seconds

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5


def _import_seconds(statement: str) -> float:
    env = {**os.environ, "SAFESLOT_STAGE": "test"}
    command = [sys.executable, "-c", statement]
    return median_seconds(lambda: subprocess.run(command, cwd=ROOT, env=env, check=True), REPEATS)  # noqa: S603


def measure() -> dict[str, float]:
    app = _import_seconds("import app")
    boto3 = _import_seconds("import boto3")
    bare = _import_seconds("pass")
    return {
        "import_app_ms": round(app * 1000, 1),
        "import_boto3_ms": round(boto3 * 1000, 1),
        "python_startup_ms": round(bare * 1000, 1),
        "import_app_vs_boto3": round(app / boto3, 2),
    }
