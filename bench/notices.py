"""What telling a patient costs: AWS calls per booking with an e-mail and a text, composing one notice
(e-mail text, .ics, SMS) against a PutItem in the same run, and compiling a catalogue on first use."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api_calls import counting_calls, per_operation
from bench.timing import milliseconds
from infra.local_stack import mocked_stack

BOOKINGS, COMPOSES = 20, 50


def measure() -> dict[str, Any]:
    with mocked_stack():
        return _in_process()


def _in_process() -> dict[str, Any]:
    from chalicelib.i18n import translations
    from chalicelib.models.counter import Counter

    clinic = _clinic()
    put_ms = milliseconds(lambda: Counter(f"bench/{time.perf_counter_ns()}", ttl=0).save(), BOOKINGS)
    with counting_calls() as calls:
        booked = [_book(clinic, i) for i in range(BOOKINGS)]
    notice = _notice(clinic, booked[0])
    compose_ms = milliseconds(lambda: _compose(notice), COMPOSES)
    translations.cache_clear()
    [compile_ms] = milliseconds(lambda: translations("es"), 1)
    return {
        "aws_calls_per_booking_with_email_and_text": per_operation(calls, BOOKINGS),
        "compose_notice_p50_ms": round(statistics.median(compose_ms), 2),
        "compose_notice_vs_put_item": round(statistics.median(compose_ms) / statistics.median(put_ms), 2),
        "catalogue_first_use_ms": round(compile_ms, 1),
    }


def _clinic() -> dict[str, Any]:
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import catalog, profile
    from chalicelib.services.identity.sessions import Principal
    from chalicelib.services.organizations import create_org

    org = create_org("bench-notices", "Bench Clinic")
    owner = Principal(org.org_id, "bench", "owner", "bench", "full", SYSTEM)
    profile.change_profile(owner, {"address": "1 Bench St\nSydney", "phone": "+61 2 9123 4567", "sms_enabled": True,
                                   "cancellation_policy": "24 hours' notice."})
    service = catalog.create_service(owner, {"name": "Visit", "duration_minutes": 30, "min_notice_minutes": 0})
    hours = {day: [{"start": "00:00", "end": "24:00"}] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    staff = catalog.create_staff(owner, {"display_name": "Dr Bench", "timezone": "Australia/Sydney",
                                         "weekly_hours": hours, "service_ids": [service["id"]]})
    return {"org_id": org.org_id, "service_id": service["id"], "staff_id": staff["id"]}


def _book(clinic: dict[str, Any], index: int) -> str:
    from chalicelib.services import customers
    from chalicelib.services.audit import SYSTEM
    from chalicelib.services.booking import bookings

    mobile = f"+1415555{index + 100:04d}"  # one number each: the per-number daily limit stays out of the count
    contact = customers.CustomerDetails("Bench Patient", f"p{index}@bench.example", mobile)
    customer_id = customers.find_or_create(clinic["org_id"], contact, SYSTEM)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2, hours=index)
    patient = bookings.PatientPreferences("America/New_York", "es_ES", mobile)
    actor = bookings.Actor(clinic["org_id"], "customer", SYSTEM, is_staff=False)
    _, body = bookings.book(actor, customer_id, bookings.NewBooking(clinic["service_id"], start, clinic["staff_id"],
                                                                    None, patient=patient))
    return str(body["booking"]["id"])


def _notice(clinic: dict[str, Any], booking_id: str) -> Any:
    from chalicelib.services.booking import catalog, mail
    from chalicelib.services.booking.bookings import get_booking
    from chalicelib.services.organizations import org_by_id

    booking = get_booking(clinic["org_id"], booking_id)
    return mail.BookingMail("confirmed", booking, catalog.get_service(clinic["org_id"], booking.service_id),
                            catalog.get_staff(clinic["org_id"], booking.staff_id), org_by_id(clinic["org_id"]),
                            "p@bench.example", "https://bench.example/manage/x#secret")


def _compose(notice: Any) -> None:
    """E-mail text, invitation and text message of one booking, from rows already loaded (no AWS call)."""
    from chalicelib.services.booking import mail, texts
    from chalicelib.services.booking.calendar import calendar_file

    appointment = notice.appointment()
    mail.body(notice, appointment)
    calendar_file(appointment, "REQUEST", "p@bench.example")
    texts.text("confirmed", appointment)
