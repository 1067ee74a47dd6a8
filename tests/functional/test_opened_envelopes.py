"""Reading a sealed row again costs no SDK decrypt (issue 24, item 4), and what makes that cheap keeps no
personal value in the clear: an erasure still stops the row opening at once, a copy or a tampered message
is still refused."""

from __future__ import annotations

import pytest

from chalicelib import clock
from chalicelib.crypto import opened_envelopes, shred_keys
from chalicelib.errors import SealedDataErased, SealedDataInvalid
from chalicelib.models.customer import Customer

FIELDS = {"name": "Alice Zebrowski", "email": "alice@example.org"}


def sealed_customer(customer_id: str = "c1") -> Customer:
    customer = Customer("org-1", customer_id, email_index="x", created_at=clock.now())
    customer.seal(FIELDS)
    customer.save()
    opened_envelopes.clear()  # as another process wrote it: the first read here decrypts it
    return Customer.get("org-1", customer_id)


def test_a_row_opened_before_stops_opening_the_moment_its_subject_is_erased(aws_stack):
    customer = sealed_customer()
    assert customer.unseal() == FIELDS  # its envelope is now in this process's cache

    shred_keys.destroy_subject("org-1", shred_keys.customer_subject("c1"))

    with pytest.raises(SealedDataErased):
        customer.unseal()


def test_the_cache_holds_only_ciphertext(aws_stack):
    sealed_customer().unseal()

    cached = [entry for _, entry in opened_envelopes._entries.values()]
    assert cached and all("Alice" not in repr(entry) and "alice@" not in repr(entry) for entry in cached)


def test_a_cached_message_copied_onto_another_row_or_tampered_with_is_still_refused(aws_stack):
    original = sealed_customer("c1")
    original.unseal()
    copy = Customer("org-1", "c2", email_index="x", created_at=clock.now(), sealed=original.sealed)
    tampered = Customer("org-1", "c1", email_index="x", created_at=clock.now(),
                        sealed=original.sealed[:-1] + bytes([original.sealed[-1] ^ 1]))

    for row in (copy, tampered):
        with pytest.raises(SealedDataInvalid):
            row.unseal()
