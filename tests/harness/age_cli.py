"""Opening an export with the standard tool, Debian's `age` CLI (installed here if missing, as `make test`
does), as the README tells an owner to: the key saved in a file, `age --decrypt -i`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def age_executable() -> str:
    """The `age` CLI, installed with apt-get when it is missing."""
    if shutil.which("age") is None:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        installed = subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "age"], check=False,
                                   capture_output=True)
        if installed.returncode != 0:
            subprocess.run([*sudo, "apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "age"], check=False, capture_output=True)
    found = shutil.which("age")
    assert found, "Debian's age is missing and could not be installed: `make test` installs it"
    return found


def age_decrypt(encrypted: Path, output: Path, key: str) -> subprocess.CompletedProcess[str]:
    """`age --decrypt -i <key file> -o output encrypted`, the key in a file of its own (mode 600)."""
    key_file = encrypted.with_name("export-key.txt")
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return subprocess.run([age_executable(), "--decrypt", "-i", str(key_file), "-o", str(output), str(encrypted)],
                          capture_output=True, text=True, timeout=60, check=False)
