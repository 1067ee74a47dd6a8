"""SafeSlot's sub-processors: the services that carry an org's personal data, and what for.

Served with every org's privacy policy so that "we never share your data" can be checked: these are
the only places it goes, each under the org's own encryption key where the service allows it.
"""

from __future__ import annotations

from typing import Any

SUBPROCESSORS: tuple[dict[str, str], ...] = (
    {"name": "Amazon DynamoDB", "provider": "Amazon Web Services",
     "purpose": "Stores bookings, customers and staff accounts; personal fields are sealed with the org's key."},
    {"name": "AWS Key Management Service (KMS)", "provider": "Amazon Web Services",
     "purpose": "Holds the key that seals personal data; it never sees the data itself, only data keys."},
    {"name": "Amazon S3", "provider": "Amazon Web Services",
     "purpose": "Keeps encrypted daily backups in two regions for disaster recovery."},
    {"name": "Amazon Simple Email Service (SES)", "provider": "Amazon Web Services",
     "purpose": "Sends booking confirmations, reminders, links and policy notices by e-mail."},
    {"name": "Amazon Simple Notification Service (SNS)", "provider": "Amazon Web Services",
     "purpose": "Sends sign-in codes by SMS to staff who chose SMS, and operational alerts."},
)
STATEMENT = ("SafeSlot does not sell or share your data. It reaches only the sub-processors listed here, "
             "for the purposes stated; SafeSlot staff see it only when the clinic grants support access, "
             "and the clinic sees every such read.")


def subprocessor_document() -> dict[str, Any]:
    return {"statement": STATEMENT, "subprocessors": [dict(entry) for entry in SUBPROCESSORS]}
