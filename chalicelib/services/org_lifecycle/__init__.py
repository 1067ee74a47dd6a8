"""The end of an org's account: operators' suspension, the owner's deletion request with its grace, and
the deletion itself (every item of the org in every table, then its key material)."""
