"""Encrypting the export with age (age-encryption.org/v1: X25519, ChaCha20-Poly1305, the whole file
authenticated) to a key pair made for this one export: the public half encrypts (in the export job), the
secret half is the owner's decryption key, returned once by the request and never stored (ADR 0013).

Not an age passphrase (scrypt): pyrage sizes scrypt to about a second of this machine's CPU, which
chose 2^19 here (512 MiB of memory and 4 s), too much for a 1 GiB Lambda, and its cost cannot be set.
A random 256-bit key needs no key stretching. Any age implementation opens the file (`age -d -i`).
"""

from __future__ import annotations

import pyrage

KEY_PREFIX = "AGE-SECRET-KEY-1"


def new_key() -> str:
    """A fresh X25519 identity (256 random bits, Bech32: `AGE-SECRET-KEY-1...`)."""
    return str(pyrage.x25519.Identity.generate())


def recipient_of(key: str) -> str:
    """The public half (`age1...`): what the export job encrypts to; it opens nothing."""
    return str(pyrage.x25519.Identity.from_str(key).to_public())


def seal(data: bytes, recipient: str) -> bytes:
    """`data` as an age file that only the secret key of `recipient` opens."""
    return bytes(pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(recipient)]))


def open_sealed(sealed: bytes, key: str) -> bytes:
    """The inverse of `seal` (the bench checks its own archives with it; tests use the age CLI)."""
    return bytes(pyrage.decrypt(sealed, [pyrage.x25519.Identity.from_str(key)]))
