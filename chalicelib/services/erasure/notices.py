"""Telling the clinic that a customer was erased: its owners and admins, and the staff users whose
appointments were cancelled. Ids, times and staff names only: what those readers already see in the
calendar, never the patient's name, contact details or notes (they are gone)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chalicelib.logs import logger
from chalicelib.models.booking import Booking
from chalicelib.models.catalog import StaffMember
from chalicelib.models.user import User
from chalicelib.services import notify
from chalicelib.services.booking import catalog
from chalicelib.services.support.alerts import ALERTED_ROLES

SUBJECT = "A patient's record was erased"


def tell_clinic(org_id: str, customer_id: str, reason: str, cancelled: list[Booking]) -> int:
    """E-mail the clinic; returns how many people were told (a failed e-mail is logged, never raised:
    the erasure stands)."""
    staff = {member.staff_id: member for member in catalog.list_staff(org_id)}
    booked_users = {staff[b.staff_id].user_id for b in cancelled if b.staff_id in staff and staff[b.staff_id].user_id}
    text = _text(customer_id, reason, cancelled, staff)
    told = 0
    for user in User.query(org_id):
        if user.disabled or (user.role not in ALERTED_ROLES and user.user_id not in booked_users):
            continue
        try:
            notify.send_email(str(user.unseal()["email"]), SUBJECT, text)
            told += 1
        except Exception as error:  # the erasure is done whatever the mail server says
            logger.error("erasure notice not sent", extra={"user_id": user.user_id,
                                                          "error_type": type(error).__name__})
    return told


def _text(customer_id: str, reason: str, cancelled: list[Booking], staff: dict[str, StaffMember]) -> str:
    lines = [f"The record of customer {customer_id} was erased from SafeSlot ({reason.replace('_', ' ')}): "
             "their details, notes and secret links are gone, and their past appointments remain in the "
             "calendar without them."]
    if cancelled:
        lines.append(f"{len(cancelled)} upcoming appointment(s) were cancelled and their time is free again:")
        lines += [f"- {_when(b, staff.get(b.staff_id))} with {_name(staff.get(b.staff_id))} (booking {b.booking_id})"
                  for b in sorted(cancelled, key=lambda b: b.starts_at)]
    else:
        lines.append("They had no upcoming appointments.")
    lines.append("Backups taken before today no longer give their data back. Keep any paper copies in line "
                 "with your own retention duties.")
    return "\n".join(lines)


def _when(booking: Booking, member: StaffMember | None) -> str:
    zone = ZoneInfo(member.timezone) if member and member.timezone else None
    start = booking.starts_at.astimezone(zone) if zone else booking.starts_at
    return start.strftime("%Y-%m-%d %H:%M %Z")


def _name(member: StaffMember | None) -> str:
    return str(member.display_name) if member else "a staff member"
