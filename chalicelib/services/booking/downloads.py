"""The calendar file a patient downloads from the page ("Add to calendar"): the booking's own event."""

from __future__ import annotations

from chalicelib.models.booking import Booking
from chalicelib.services.booking import catalog
from chalicelib.services.booking.calendar import calendar_file
from chalicelib.services.booking.wording import appointment_of
from chalicelib.services.organizations import org_by_id


def calendar_download(booking: Booking) -> bytes:
    """METHOD PUBLISH, no attendee: the same event (UID, SEQUENCE) as the e-mailed invitation."""
    service = catalog.get_service(booking.org_id, booking.service_id)
    staff = catalog.get_staff(booking.org_id, booking.staff_id)
    return calendar_file(appointment_of(booking, service, staff, org_by_id(booking.org_id)), "PUBLISH")
