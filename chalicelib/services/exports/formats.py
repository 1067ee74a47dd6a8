"""Writers of the export's open formats, one record at a time into a spooled file: a JSON array, a CSV
table that spreadsheets cannot turn into formulas, and an iCalendar file of many events.

Each keeps memory flat however many records pass (a spooled file moves to /tmp past SPOOL_BYTES).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from chalicelib.services.booking.calendar import new_calendar

if TYPE_CHECKING:
    import icalendar

SPOOL_BYTES = 8 * 1024 * 1024
# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one):
# ASVS 5.0 1.2.10 names = + - @ tab and NUL; CR and LF start a new line in some importers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
CALENDAR_END = b"END:VCALENDAR\r\n"


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading formula character gets a `'` before it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Spooled:
    """One file of the archive, written row by row."""

    def __init__(self) -> None:
        self.buffer: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self.count = 0

    def write(self, text: str) -> int:  # csv.writer writes text here
        return self.buffer.write(text.encode())

    def finish(self) -> IO[bytes]:
        """The written file, rewound for reading."""
        self.buffer.seek(0)
        return self.buffer


class JsonArray(_Spooled):
    """A JSON array of objects, one per line (UTF-8, keys sorted)."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer.write(b"[")

    def add(self, record: Mapping[str, Any]) -> None:
        self.buffer.write(b",\n" if self.count else b"\n")
        self.buffer.write(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
        self.count += 1

    def finish(self) -> IO[bytes]:
        self.buffer.write(b"\n]\n")
        return super().finish()


class CsvTable(_Spooled):
    """RFC 4180 CSV with a header row; every cell through `safe_cell`."""

    def __init__(self, columns: Sequence[str]) -> None:
        super().__init__()
        self.columns = list(columns)
        self.writer = csv.writer(self, lineterminator="\r\n")
        self.writer.writerow(self.columns)

    def add(self, record: Mapping[str, Any]) -> None:
        self.writer.writerow([safe_cell(record.get(column)) for column in self.columns])
        self.count += 1


class CalendarStream(_Spooled):
    """A VCALENDAR (METHOD:PUBLISH) whose events are written as they come, not held in memory."""

    def __init__(self) -> None:
        super().__init__()
        empty = new_calendar("PUBLISH").to_ical()
        assert empty.endswith(CALENDAR_END)
        self.buffer.write(empty[: -len(CALENDAR_END)])

    def add(self, event: icalendar.Event) -> None:
        self.buffer.write(event.to_ical())
        self.count += 1

    def finish(self) -> IO[bytes]:
        self.buffer.write(CALENDAR_END)
        return super().finish()
