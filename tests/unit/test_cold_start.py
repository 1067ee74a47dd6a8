"""A Lambda cold start imports what every request needs, and nothing that only some requests use.

`import app` runs in a fresh interpreter (this process has imported everything already) and the test
counts the modules it loaded that belong to one feature: Duo, security keys, QR codes, e-mail and phone
parsing, calendar files, Markdown, the OpenAPI YAML, Babel's catalogues and dates, the Encryption SDK,
exports and the scheduled jobs. The count is 0, whatever the machine's speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loaded on first use by the code that needs them (a local import or kms_sealer.py), never by `import app`.
DEFERRED = (
    "aws_encryption_sdk",  # crypto/kms_sealer.py, through envelope.sealer()
    "chalicelib.crypto.kms_sealer",
    "wrapt",  # the Encryption SDK's, and with it asyncio
    "asyncio",
    "duo_universal",  # services/identity/mfa/duo.py
    "webauthn",  # services/identity/mfa/security_keys.py
    "segno",  # services/identity/mfa/totp.py: the enrolment QR code
    "email_validator",  # email_address.py
    "phonenumbers",  # phone_numbers.py
    "icalendar",  # services/booking/calendar.py, services/exports/formats.py
    "markdown_it",  # services/privacy_policies.py
    "yaml",  # api/spec.py: the OpenAPI document, read by the first body validated
    "babel.messages",  # i18n: catalogues compiled with the first translation
    "babel.dates",  # i18n/dates.py
    "babel.support",
    "zxcvbn",  # services/identity/passwords.py
    "pyrage",  # services/exports/archive.py
    "chalicelib.services.exports",  # api/exports.py
    "chalicelib.jobs.backup",  # api/schedules.py: each scheduled function imports its own job
    "chalicelib.jobs.restore",
    "chalicelib.jobs.retention",
    "chalicelib.jobs.org_exports",
    "chalicelib.services.erasure.customers",  # api/bookings.py's DELETE of a customer
    "chalicelib.services.org_lifecycle.deletion",  # api/org_account.py's deletion routes
)


def modules_after_import_app() -> set[str]:
    statement = "import json, sys, app; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_app_loads_no_module_only_some_requests_use():
    loaded = modules_after_import_app()
    early = sorted(name for name in loaded
                   if any(name == deferred or name.startswith(f"{deferred}.") for deferred in DEFERRED))
    assert early == []
    assert "app" in loaded and "boto3" in loaded  # the child did import the app


def test_the_sealer_class_is_still_reachable_from_envelope():
    from chalicelib.crypto import envelope, kms_sealer

    assert envelope.Sealer is kms_sealer.Sealer
