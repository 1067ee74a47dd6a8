"""The domain: plain values in, domain errors out; no HTTP here."""
