"""README.txt of an export: how to open it, and every file and field (from `layout`)."""

from __future__ import annotations

import textwrap

from chalicelib.services.exports import layout

OPENING = """\
SafeSlot export of {org}, made {created_at} (UTC)

This archive holds all of the organization's data that SafeSlot stores, decrypted, in open formats:
JSON (RFC 8259, UTF-8) for everything, CSV (RFC 4180, UTF-8) for customers and bookings, and an
iCalendar file (RFC 5545) of the bookings. It contains personal and health information: keep it
encrypted, and delete it when you no longer need it.

Opening it: the file you downloaded (.zip.age) is encrypted with age (age-encryption.org/v1:
X25519 and ChaCha20-Poly1305, the whole file authenticated) to a key made for this export alone.
Its decryption key (a line starting AGE-SECRET-KEY-1) was shown once, when the export was made;
SafeSlot keeps no copy. Save that line in a file, say export-key.txt, then:
    age --decrypt -i export-key.txt -o safeslot-export.zip safeslot-export.zip.age
    unzip safeslot-export.zip
age is free software for every system (Debian/Ubuntu: apt install age; macOS: brew install age;
Windows: the age releases). Delete export-key.txt with the archive.

Times are UTC instants in ISO 8601 (2026-11-24T09:30:00Z). Ids are the ones SafeSlot uses
everywhere: audit events name people and records by these ids. An empty CSV cell or a JSON null
means "not set".

SPREADSHEETS: a CSV cell whose text begins with = + - @ or a tab, carriage return, line feed or NUL
is written with a ' in front of it, so that a spreadsheet shows it as text and never runs it as a
formula (a phone number +14155550123 appears as '+14155550123). The JSON files hold the values as
they are.

manifest.json lists each file's SHA-256: `sha256sum` proves a file is the one exported.
"""


def readme_text(org_name: str, created_at: str) -> str:
    parts = [OPENING.format(org=org_name, created_at=created_at), "FILES", ""]
    for doc in layout.FILES:
        parts.append(f"{doc.name}: {doc.what}")
        parts.extend(_field_lines(doc.fields))
        parts.append("")
    return "\n".join(parts)


def _field_lines(fields: tuple[tuple[str, str], ...]) -> list[str]:
    lines = []
    for name, meaning in fields:
        lines.extend(textwrap.wrap(f"{name}: {meaning}", width=100, initial_indent="    ",
                                   subsequent_indent="        "))
    return lines
