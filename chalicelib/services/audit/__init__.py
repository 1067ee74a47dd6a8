"""The audit trail (decision 8, HIPAA 164.312(b)): who did what, to which ids, when, from where, and how
it ended; never the contents.

- `outbox`: entries written with the change they record (`audited_transaction`, `add_to`) or alone
  (`record`), never refused because the chain is busy;
- `chain`: one writer per org links entries onto a hash chain, after each commit and on a schedule;
- `digests`: signed digests of each chain in S3 under Object Lock, daily and on demand;
- `verification`: the chain against every digest, and exports that `proof` verifies offline.
"""

from __future__ import annotations

from chalicelib.services.audit.chain import build, build_after_commit, event_hash, prune_older_than
from chalicelib.services.audit.events import EventFilter, describe, list_events, matching_events
from chalicelib.services.audit.handoff import build_soon
from chalicelib.services.audit.outbox import SYSTEM, Origin, add_to, audited_transaction, entry, record
from chalicelib.services.audit.proof import Verification
from chalicelib.services.audit.shown import names_customer, record_shown
from chalicelib.services.audit.verification import export, verify

__all__ = [
    "SYSTEM", "EventFilter", "Origin", "Verification", "add_to", "audited_transaction", "build",
    "build_after_commit", "build_soon", "describe",
    "entry", "event_hash", "export", "list_events", "matching_events", "names_customer", "prune_older_than",
    "record", "record_shown", "verify",
]
