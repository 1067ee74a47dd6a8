"""Appointment reminders: at the org's offsets, exactly once, however the runs repeat or overlap."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from chalicelib.jobs import reminders
from chalicelib.jobs.runner import JobReport
from chalicelib.services.identity.policy import change_policy
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body
from tests.functional.jobs.helpers import invoke, mail_to


@pytest.fixture
def booked(client, fake_clock):
    clinic = make_clinic()
    day = next_weekday()
    answer = body(book(client, clinic, at(day, "10:00")))
    clinic.start = datetime.fromisoformat(at(day, "10:00"))
    clinic.booking_id, clinic.token = answer["booking"]["id"], token_of(answer["manage_url"])
    return clinic


def reminders_sent() -> list[str]:
    return [m.raw_data for m in mail_to(ALICE["email"]) if "Subject: Reminder" in getattr(m, "raw_data", "")]


def test_a_reminder_goes_out_24_hours_before_and_only_once(client, booked, fake_clock):
    fake_clock.now = booked.start - timedelta(hours=24, minutes=5)
    invoke(client, "appointment_reminders")
    assert reminders_sent() == []  # not yet

    fake_clock.advance(minutes=15)
    first = invoke(client, "appointment_reminders")
    again = invoke(client, "appointment_reminders")

    assert (first["reminders_sent"], again["reminders_sent"]) == (1, 0)
    assert len(reminders_sent()) == 1 and "is coming up" in reminders_sent()[0]


def test_overlapping_runs_send_one_reminder(client, booked, fake_clock, atomic_dynamodb):
    fake_clock.now = booked.start - timedelta(hours=23)
    runs = [threading.Thread(target=reminders.run_reminders, args=(JobReport("reminders"),)) for _ in range(5)]

    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert len(reminders_sent()) == 1


def test_each_offset_of_the_org_gets_its_reminder_and_a_late_run_sends_only_the_latest(client, booked, fake_clock):
    change_policy(booked.owner, {"reminder_offsets_minutes": [1440, 60]})

    fake_clock.now = booked.start - timedelta(minutes=30)  # both were due; the job did not run until now
    invoke(client, "appointment_reminders")
    invoke(client, "appointment_reminders")

    assert len(reminders_sent()) == 1


def test_a_moved_booking_is_reminded_of_its_new_time_and_a_cancelled_one_not_at_all(client, booked, fake_clock):
    fake_clock.now = booked.start - timedelta(hours=23)
    invoke(client, "appointment_reminders")
    new_start = booked.start + timedelta(days=7)
    manage(client, "POST", f"/v1/public/bookings/{booked.booking_id}/reschedule", booked.token,
           {"start": new_start.isoformat()})

    fake_clock.now = new_start - timedelta(hours=23)
    invoke(client, "appointment_reminders")
    manage(client, "POST", f"/v1/public/bookings/{booked.booking_id}/cancel", booked.token, {})
    invoke(client, "appointment_reminders")

    assert len(reminders_sent()) == 2


def test_a_booking_made_inside_the_reminder_window_gets_no_reminder(client, fake_clock):
    clinic = make_clinic()
    day = next_weekday()
    fake_clock.now = datetime.fromisoformat(at(day, "06:00"))
    book(client, clinic, at(day, "10:00"))

    invoke(client, "appointment_reminders")

    assert reminders_sent() == []


def test_a_failed_send_is_retried_by_the_next_run(client, booked, fake_clock, monkeypatch):
    from chalicelib.services.booking import mail

    fake_clock.now = booked.start - timedelta(hours=23)
    def ses_down(*_args, **_kwargs):
        raise RuntimeError("SES is down")

    real_send = mail.send_letter
    monkeypatch.setattr(mail, "send_letter", ses_down)
    failed = invoke(client, "appointment_reminders")
    monkeypatch.setattr(mail, "send_letter", real_send)
    retried = invoke(client, "appointment_reminders")

    assert not failed["ok"] and retried["reminders_sent"] == 1
    assert len(reminders_sent()) == 1
