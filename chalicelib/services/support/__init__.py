"""Vendor support access: nobody at SafeSlot reads a clinic's data unless the clinic grants it.

grants.py: asking, approving (owner or admin, fresh second factor), break-glass by two vendor people,
revoking, reviewing; sessions.py: the support principal a live grant allows; reads.py: the read-only
views, each audited under the support person's own id; alerts.py: telling the clinic.
"""
