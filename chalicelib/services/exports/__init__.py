"""Org exports (issue 14, item 3): all of a clinic's data, decrypted into documented open formats,
in an encrypted archive the owner downloads through a short-lived link (ADR 0013).

- `layout`: every file and field of the archive (README.txt is written from it)
- `records`: the org's data as plain records, a page at a time
- `formats`: JSON arrays, formula-safe CSV, iCalendar, written row by row
- `bundle`: the zip; `archive`: age encryption to a key made for each export
- `storage`: the export bucket and presigned links; `org_export`: the owner's requests
"""
