"""Patients' self-service: AWS calls per step (ask for the link, open the session, see the details) and
the download of a patient with 50 bookings, in calls and in time against reading those bookings alone."""

from __future__ import annotations

import statistics
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.notices import _clinic
from bench.timing import milliseconds
from infra.local_stack import mocked_stack

BOOKINGS, DOWNLOADS = 50, 5


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from chalicelib.models.booking import Booking
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.organizations import org_by_id
    from chalicelib.services.self_service import details, export, links, sessions

    clinic = _clinic()
    org = org_by_id(clinic["org_id"])
    customer_id = _patient_with_bookings(clinic)
    with counting_calls() as asking:
        links.request_link(org, "pat@bench.example", SYSTEM, None)
    token = sessions.new_link(org.org_id, customer_id)
    with counting_calls() as opening:
        _, session = sessions.exchange(org.org_id, token, SYSTEM)
    with counting_calls() as viewing:
        details.view(session)
    with counting_calls() as downloading:
        document = export.export(org, session)
    download_ms = milliseconds(lambda: export.export(org, session), DOWNLOADS)
    read_ms = milliseconds(lambda: [b.unseal() for b in Booking.by_customer.query(f"{org.org_id}/{customer_id}")],
                           DOWNLOADS)
    return {
        "aws_calls_ask_for_link": per_operation(asking, 1), "aws_calls_open_session": per_operation(opening, 1),
        "aws_calls_see_details": per_operation(viewing, 1),
        f"aws_calls_download_{BOOKINGS}_bookings": per_operation(downloading, 1),
        "download_p50_ms": round(statistics.median(download_ms), 1),
        "download_vs_reading_the_bookings": round(statistics.median(download_ms) / statistics.median(read_ms), 2),
        "download_bytes": len(str(document).encode()), "bookings": len(document["bookings"]),
    }


def _patient_with_bookings(clinic: dict[str, Any]) -> str:
    from datetime import UTC, datetime, timedelta

    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings

    contact = customers.CustomerDetails("Pat Bench", "pat@bench.example", "+14155550100")
    customer_id = customers.find_or_create(clinic["org_id"], contact, SYSTEM)
    actor = bookings.Actor(clinic["org_id"], "customer", SYSTEM, is_staff=False)
    first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    for index in range(BOOKINGS):
        bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], first + timedelta(hours=index),
                                                              clinic["staff_id"], None))
    return customer_id
