"""Patients' self-service through an e-mailed, single-use link (issue 14, item 1).

- `links`: ask for the link (the same answer for any address), e-mailed to the address on file;
- `sessions`: the link exchanged once for a 15-minute session;
- `details`: see and correct name and phone;
- `email_change`: a new address proven with a code sent to it before it replaces the old one;
- `export`: everything about the patient as one JSON document;
- `erasure_requests`: the patient asks, the clinic's admins list and refuse or erase.
"""
