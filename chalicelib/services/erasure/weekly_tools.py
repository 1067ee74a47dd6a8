"""What erasing a customer removes of the weekly tools (issue 29): their intake answers, their waitlist
entries and the rows of their appointment series (the series' bookings are scrubbed with the others)."""

from __future__ import annotations

from collections import Counter

from chalicelib.models.series import BookingSeries
from chalicelib.models.waitlist import WaitlistEntry
from chalicelib.services.intake.answers import erase_customer as erase_intake_answers


def erase_weekly_records(org_id: str, customer_id: str) -> Counter[str]:
    """Delete the customer's rows; counts per kind (kinds with none are left out)."""
    removed: Counter[str] = Counter()
    removed["intake_answers"] += erase_intake_answers(org_id, customer_id)
    for entry in WaitlistEntry.query(org_id, filter_condition=WaitlistEntry.customer_id == customer_id,
                                     consistent_read=True):
        entry.delete()
        removed["waitlist_entries"] += 1
    for series in BookingSeries.query(org_id, filter_condition=BookingSeries.customer_id == customer_id,
                                      consistent_read=True):
        series.delete()
        removed["series"] += 1
    return +removed  # drops the zero counts
