"""Checking an audit chain against its signed digests, with nothing but Python and `cryptography`.

This module imports nothing from SafeSlot, so an auditor outside the company can run it on an export:

    python proof.py EXPORT_DIR --public-key signing-key.pem

An export holds `events.jsonl` (one chained event a line), `state.json` (the chain head and what
retention removed) and `digests/*.json` (each `{"digest": {...}, "event_hashes": [...], "signature": b64}`).
SafeSlot's own verification calls the same `verify` on what it reads from DynamoDB and S3.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

GENESIS_HASH = "0" * 64
SIGNING_ALGORITHM = "ECDSA_SHA_256"
_EVENT_FIELDS = ("org_id", "seq", "at", "actor", "action", "subjects", "outcome", "source_ip", "user_agent",
                 "prev_hash")


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    failed_at_seq: int | None = None
    reason: str | None = None
    digests_checked: int = 0
    events_after_last_digest: int = 0  # linked, but not yet sealed by a signed digest


@dataclass(frozen=True)
class ChainState:
    """The head as the table holds it, and what retention removed from the start of the chain."""

    last_seq: int
    head_hash: str
    pruned_seq: int = 0
    pruned_hash: str = GENESIS_HASH


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the event's fields (all but its own hash)."""
    body: dict[str, Any] = {name: event.get(name) for name in _EVENT_FIELDS}
    body["seq"] = int(event["seq"])
    body["subjects"] = {str(k): str(v) for k, v in (event.get("subjects") or {}).items()}
    if event.get("entry_id"):
        body["entry_id"] = event["entry_id"]
    return hashlib.sha256(canonical(body)).hexdigest()


def hashes_digest(event_hashes: Sequence[str]) -> str:
    """The SHA-256 that a signed digest holds for its list of event hashes."""
    return hashlib.sha256("\n".join(event_hashes).encode()).hexdigest()


def digest_file_hash(signed: Mapping[str, Any]) -> str:
    """What the next digest names as its previous one: the hash of this digest's signed document."""
    return hashlib.sha256(canonical(signed["digest"])).hexdigest()


def load_public_key(pem_or_der: bytes) -> ec.EllipticCurvePublicKey:
    key = (serialization.load_pem_public_key(pem_or_der) if pem_or_der.lstrip().startswith(b"-----")
           else serialization.load_der_public_key(pem_or_der))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the digest key must be an elliptic-curve public key")
    return key


def signature_ok(signed: Mapping[str, Any], public_key: ec.EllipticCurvePublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(signed["signature"]), canonical(signed["digest"]),
                          ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


class _Failure(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.seq, self.reason = seq, reason


def verify(org_id: str, events: Iterable[Mapping[str, Any]], state: ChainState,
           signed_digests: Sequence[Mapping[str, Any]], public_key: ec.EllipticCurvePublicKey) -> Verification:
    """Check every digest's signature and links, then every event's sequence, link and hash, and each
    hash against what the digests sealed. Names the first event (lowest sequence) that differs."""
    checked = 0
    try:
        sealed = _sealed_hashes(org_id, signed_digests, public_key)
        if sealed.get(state.pruned_seq, state.pruned_hash) != state.pruned_hash:
            raise _Failure(state.pruned_seq + 1, "the retention marker differs from the signed digest")
        expected_prev = state.pruned_hash
        for expected_seq, event in enumerate(events, start=state.pruned_seq + 1):
            expected_prev = _check_event(event, expected_seq, expected_prev, sealed.get(expected_seq))
            checked += 1
        last = state.pruned_seq + checked
        last_sealed = max(sealed, default=0)
        if last < last_sealed or state.last_seq != last or state.head_hash != expected_prev:
            raise _Failure(last + 1, "events missing after the last one found")
    except _Failure as failure:
        return Verification(False, checked, failure.seq, failure.reason, len(signed_digests))
    return Verification(True, checked, digests_checked=len(signed_digests),
                        events_after_last_digest=max(0, last - max(last_sealed, state.pruned_seq)))


def _check_event(event: Mapping[str, Any], expected_seq: int, expected_prev: str, sealed_hash: str | None) -> str:
    if int(event["seq"]) != expected_seq:
        raise _Failure(expected_seq, "event missing or out of order")
    if event.get("prev_hash") != expected_prev:
        raise _Failure(expected_seq, "link to the previous event is broken")
    recomputed = event_hash(event)
    if event.get("hash") != recomputed:
        raise _Failure(expected_seq, "event was altered")
    if sealed_hash is not None and sealed_hash != recomputed:
        raise _Failure(expected_seq, "event differs from the signed digest")
    return recomputed


def _sealed_hashes(org_id: str, signed_digests: Sequence[Mapping[str, Any]],
                   public_key: ec.EllipticCurvePublicKey) -> dict[int, str]:
    """seq -> hash, from digests whose signatures, numbering, links and coverage all check out."""
    sealed: dict[int, str] = {}
    previous: Mapping[str, Any] | None = None
    for number, signed in enumerate(signed_digests, start=1):
        digest = signed["digest"]
        first_seq = int(digest["first_seq"])
        problem = _digest_problem(org_id, number, signed, previous, public_key)
        if problem:
            raise _Failure(first_seq, f"digest {number}: {problem}")
        sealed.update(zip(range(first_seq, int(digest["last_seq"]) + 1), signed["event_hashes"], strict=True))
        previous = signed
    return sealed


def _digest_problem(org_id: str, number: int, signed: Mapping[str, Any], previous: Mapping[str, Any] | None,
                    public_key: ec.EllipticCurvePublicKey) -> str | None:
    digest, event_hashes = signed["digest"], list(signed["event_hashes"])
    expected_first = int(previous["digest"]["last_seq"]) + 1 if previous else int(digest["first_seq"])
    checks = [
        (signature_ok(signed, public_key), "signature does not verify"),
        (digest.get("org_id") == org_id and int(digest.get("number", 0)) == number, "wrong org or number"),
        (digest.get("previous_digest_sha256") == (digest_file_hash(previous) if previous else None),
         "previous digest missing or replaced"),
        (int(digest["first_seq"]) == expected_first, "sequence gap between digests"),
        (len(event_hashes) == int(digest["last_seq"]) - int(digest["first_seq"]) + 1
         and hashes_digest(event_hashes) == digest["event_hashes_sha256"], "event hash list altered"),
        (not event_hashes or event_hashes[-1] == digest["head_hash"], "head differs from the hash list"),
    ]
    return next((problem for passed, problem in checks if not passed), None)


def verify_export(directory: Path, public_key_file: Path) -> Verification:
    """Verify an export made by `manage.py verify-audit --export DIR`."""
    state_doc = json.loads((directory / "state.json").read_text())
    events = [json.loads(line) for line in (directory / "events.jsonl").read_text().splitlines() if line]
    digests = [json.loads(path.read_text()) for path in sorted((directory / "digests").glob("*.json"))]
    state = ChainState(int(state_doc["last_seq"]), state_doc["head_hash"], int(state_doc.get("pruned_seq", 0)),
                       state_doc.get("pruned_hash") or GENESIS_HASH)
    return verify(state_doc["org_id"], events, state, digests, load_public_key(public_key_file.read_bytes()))


def main(argv: list[str] | None = None) -> int:
    import argparse  # the offline verifier's command line: not loaded by the app

    parser = argparse.ArgumentParser(description="Verify an exported SafeSlot audit chain offline.")
    parser.add_argument("export_dir", type=Path)
    parser.add_argument("--public-key", type=Path, required=True,
                        help="the digest signing key's public key (PEM or DER), obtained from SafeSlot directly")
    args = parser.parse_args(argv)
    result = verify_export(args.export_dir, args.public_key)
    print(json.dumps(asdict(result)))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
