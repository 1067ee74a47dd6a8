"""Erasure of personal data: the ledger every restore replays, and the erasures themselves."""
