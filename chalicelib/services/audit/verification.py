"""Verifying an org's chain against every signed digest, and exporting both for an auditor."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from chalicelib.models.audit import AuditEvent
from chalicelib.services.audit import chain, digests, proof
from chalicelib.services.audit.outbox import SYSTEM, Origin, record


def verify(org_id: str, reader: str | None = None, origin: Origin = SYSTEM) -> proof.Verification:
    """Check the chain in the table against the digests in S3; name the first event that differs.
    A person's check (`reader`) is itself an event."""
    signed = digests.all_for(org_id)  # before the head: a digest never covers more than the head read next
    head = chain.read_head(org_id)
    result = proof.verify(org_id, _records(org_id, head), head.state(), signed, digests.public_key())
    if reader:
        record(org_id, reader, "audit.verified", outcome="success" if result.ok else "failure",
               subjects={"events_checked": str(result.events_checked)}, origin=origin)
    return result


def export(org_id: str, directory: Path) -> proof.Verification:
    """Write the chain, its digests and the public key to `directory`, then verify the export offline."""
    signed = digests.all_for(org_id)
    head = chain.read_head(org_id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "digests").mkdir(exist_ok=True)
    with (directory / "events.jsonl").open("w") as out:
        for record in _records(org_id, head):
            out.write(json.dumps(record, sort_keys=True) + "\n")
    (directory / "state.json").write_text(json.dumps({
        "org_id": org_id, "last_seq": head.last_seq, "head_hash": head.hash,
        "pruned_seq": head.pruned_seq, "pruned_hash": head.pruned_hash}, indent=2))
    for document in signed:
        number = int(document["digest"]["number"])
        (directory / "digests" / f"{number:010d}.json").write_text(json.dumps(document, indent=2))
    pem = digests.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    (directory / "signing-key.pem").write_bytes(pem)
    return proof.verify_export(directory, directory / "signing-key.pem")


def _records(org_id: str, head: chain.Head) -> list[dict[str, object]]:
    """The events the head vouches for (later ones, chained while we read, wait for the next check)."""
    kept = AuditEvent.query(org_id, AuditEvent.seq.between(head.pruned_seq + 1, max(head.last_seq, 1)),
                            consistent_read=True)
    return [chain.as_record(event) for event in kept if int(event.seq) <= head.last_seq]
