"""Envelope encryption of sensitive fields and blind indexes for lookups on them."""
