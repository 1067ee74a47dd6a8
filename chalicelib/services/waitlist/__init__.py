"""A waitlist with backfill (issue 29, item 2): patients ask for an earlier time; a cancellation offers it."""
