"""The export's zip: every file of `layout.FILES`, written from the org's records in one pass per table.

Bookings are read once and written to three files at the same time (JSON, CSV, iCalendar); names of
customers, services and staff are kept in memory (small) so that each booking row reads on its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from chalicelib.models.booking import Booking
from chalicelib.models.catalog import Service, StaffMember
from chalicelib.models.organization import Organization
from chalicelib.services.booking.calendar import booking_event
from chalicelib.services.booking.wording import appointment_of
from chalicelib.services.exports import layout, records
from chalicelib.services.exports.formats import CalendarStream, CsvTable, JsonArray
from chalicelib.services.exports.readme import readme_text


@dataclass(frozen=True)
class ExportHeader:
    export_id: str
    org_id: str
    created_at: str
    created_by: str


@dataclass(frozen=True)
class Bundle:
    data: bytes  # the zip, unencrypted: `archive.seal` encrypts it before it leaves memory
    counts: dict[str, int]
    customer_ids: frozenset[str] = frozenset()  # every customer whose data is in it (the audit names them)


def build(org: Organization, header: ExportHeader) -> Bundle:
    """The whole zip of `org`'s data."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        writer = _Writer(archive)
        writer.json_file("organization.json", records.organization(org))
        writer.array("users.json", records.user_records(org.org_id))
        services = writer.array("services.json", records.service_records(org.org_id), keep="name")
        staff = writer.array("staff.json", records.staff_records(org.org_id), keep="display_name")
        customers = _customers(writer, org.org_id)
        _bookings(writer, org, records.Names(customers, services, staff))
        writer.array("privacy-policies.json", records.policy_records(org.org_id))
        writer.array("audit-events.json", records.audit_records(org.org_id))
        manifest = {"format_version": layout.FORMAT_VERSION, "export_id": header.export_id,
                    "org_id": header.org_id, "created_at": header.created_at, "created_by": header.created_by,
                    "counts": writer.counts, "sha256": writer.hashes}
        writer.json_file("manifest.json", manifest, counted=False)
        writer.text_file("README.txt", readme_text(org.name, header.created_at))
    return Bundle(out.getvalue(), dict(writer.counts), frozenset(customers))


def _customers(writer: _Writer, org_id: str) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    as_json, as_csv = JsonArray(), CsvTable(layout.columns(layout.CUSTOMER_FIELDS))
    for record in records.customer_records(org_id):
        names[record["customer_id"]] = record["name"]
        as_json.add(record)
        as_csv.add(record)
    writer.add("customers.json", as_json)
    writer.add("customers.csv", as_csv)
    return names


def _bookings(writer: _Writer, org: Organization, names: records.Names) -> None:
    as_json, as_csv, calendar = JsonArray(), CsvTable(layout.columns(layout.BOOKING_FIELDS)), CalendarStream()
    catalog = _Catalog(org.org_id)
    for booking in records.booking_rows(org.org_id):
        record = records.booking_record(booking, names)
        as_json.add(record)
        as_csv.add(record)
        calendar.add(_event(booking, record, org, catalog))
    writer.add("bookings.json", as_json)
    writer.add("bookings.csv", as_csv)
    writer.add("bookings.ics", calendar)


class _Catalog:
    """Services and staff by id, read once (a booking may name one since removed: None then)."""

    def __init__(self, org_id: str) -> None:
        self.services = {s.service_id: s for s in Service.query(org_id)}
        self.staff = {m.staff_id: m for m in StaffMember.query(org_id)}


def _event(booking: Booking, record: Mapping[str, Any], org: Organization, catalog: _Catalog) -> Any:
    """The booking's calendar event as patients get it (same UID and SEQUENCE), titled for the clinic."""
    service = catalog.services.get(booking.service_id) or Service(org.org_id, booking.service_id, name="?")
    staff = catalog.staff.get(booking.staff_id) or StaffMember(org.org_id, booking.staff_id, display_name="?",
                                                               timezone=org.timezone)
    event = booking_event(appointment_of(booking, service, staff, org), alarm=False)
    who = record.get("customer_name") or booking.customer_id
    event.pop("summary")
    event.add("summary", f"{service.name}: {who} with {staff.display_name}")
    return event


class _Writer:
    """Adds files to the zip and keeps each one's record count and SHA-256 for the manifest."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.counts: dict[str, int] = {}
        self.hashes: dict[str, str] = {}

    def array(self, name: str, rows: Iterable[Mapping[str, Any]], keep: str | None = None) -> dict[str, str]:
        """Write `rows` as a JSON array; returns {id: row[keep]} when asked (names for the booking rows)."""
        kept: dict[str, str] = {}
        out = JsonArray()
        for row in rows:
            out.add(row)
            if keep:
                kept[str(row["id"])] = str(row[keep])
        self.add(name, out)
        return kept

    def add(self, name: str, written: JsonArray | CsvTable | CalendarStream) -> None:
        self.counts[name] = written.count
        self._store(name, written.finish())

    def json_file(self, name: str, value: Any, counted: bool = True) -> None:
        data = (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()
        if counted:
            self.counts[name] = 1
        self._store(name, io.BytesIO(data))

    def text_file(self, name: str, text: str) -> None:
        with self.archive.open(name, "w") as target:
            target.write(text.encode())

    def _store(self, name: str, source: IO[bytes]) -> None:
        digest = hashlib.sha256()
        with self.archive.open(name, "w") as target:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                digest.update(chunk)
                target.write(chunk)
        source.close()
        self.hashes[name] = digest.hexdigest()

