"""A booking, a reschedule and a cancellation are one transaction and at most 3 reads each (issue 24,
item 2), with the catalog served from the short-lived in-process cache (ADR 0020), and a stale cache
never books what the stored hours refuse. Counted call by call, which does not drift between machines."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.models.booking import Booking
from chalicelib.models.catalog import StaffMember
from chalicelib.services import hot_cache
from chalicelib.services.booking import catalog
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.calls_counting import request_calls
from tests.functional.identity.helpers import body
from tests.functional.self_service.helpers import mails_to

MAX_READS = 3


@pytest.fixture
def clinic(aws_stack, monkeypatch):
    monkeypatch.setattr(hot_cache, "TTL_SECONDS", 600.0)  # the warm path, however slow the machine
    return make_clinic()


@pytest.fixture
def day():
    return next_weekday()


def warm(client, clinic, day) -> None:
    assert book(client, clinic, at(day, "09:00"), customer={"name": "Warm Up", "email": "warm@example.org"}
                ).status_code == 201


def assert_one_transaction_and_few_reads(calls) -> None:
    assert calls.count("dynamodb:TransactWriteItems") == 1, calls.made
    assert calls.reads() <= MAX_READS, calls.made
    assert calls.count("dynamodb:PutItem") == calls.count("dynamodb:DeleteItem") == 0, calls.made
    assert not [c for c in calls.made if c.startswith(("ses:", "sns:"))], calls.made
    assert calls.count("sqs:SendMessage") == 1  # its mail and its audit chaining, handed to the queue


def test_a_first_booking_is_one_transaction_and_three_reads_and_its_mail_is_queued(client, clinic, day,
                                                                                   monkeypatch):
    warm(client, clinic, day)

    with request_calls(monkeypatch) as calls:
        answer = book(client, clinic, at(day, "10:00"))

    assert answer.status_code == 201
    assert_one_transaction_and_few_reads(calls)
    # before the work: the address's limit; the new customer's id claimed once; nothing else is written
    assert calls.made[0] == "dynamodb:UpdateItem" and calls.count("dynamodb:UpdateItem") == 2
    assert calls.count("dynamodb:GetItem") == 1  # the org (its policy is never cached); no shred key read
    assert len(mails_to(ALICE["email"])) == 1  # the consumer sent it


def test_a_returning_customers_booking_is_one_transaction_and_three_reads(client, clinic, day, monkeypatch):
    warm(client, clinic, day)
    assert book(client, clinic, at(day, "10:00")).status_code == 201

    with request_calls(monkeypatch) as calls:
        answer = book(client, clinic, at(day, "11:00"), key="once")

    assert answer.status_code == 201
    assert_one_transaction_and_few_reads(calls)
    assert calls.count("dynamodb:UpdateItem") == 1  # the address's limit only


def test_a_reschedule_and_a_cancel_are_one_transaction_and_three_reads_each(client, clinic, day, monkeypatch):
    warm(client, clinic, day)
    booked = body(book(client, clinic, at(day, "10:00")))
    token, path = token_of(booked["manage_url"]), f"/v1/public/bookings/{booked['booking']['id']}"

    with request_calls(monkeypatch) as moving:
        moved = manage(client, "POST", f"{path}/reschedule", token, {"start": at(day, "11:00")})
    with request_calls(monkeypatch) as cancelling:
        cancelled = manage(client, "POST", f"{path}/cancel", token, {})

    assert moved.status_code == cancelled.status_code == 200
    assert body(cancelled)["booking"]["status"] == "cancelled"
    assert_one_transaction_and_few_reads(moving)
    assert_one_transaction_and_few_reads(cancelling)
    moved_mail, cancelled_mail = mails_to(ALICE["email"])[-2:]  # sent by the queue's consumer
    assert "has moved" in moved_mail and "is cancelled" in cancelled_mail


def test_hours_changed_in_another_lambda_are_never_booked_from_a_stale_cache(client, clinic, day):
    warm(client, clinic, day)  # this process caches the doctor's hours
    staff_id = clinic.staff[0]["id"]
    other_lambda = StaffMember.get(clinic.org_id, staff_id)  # another process gives the day off, bypassing
    other_lambda.time_off = [{"start": at(day, "00:00"), "end": at(day, "23:59")}]  # this one's cache
    other_lambda.save()
    assert catalog.cached_staff_member(clinic.org_id, staff_id).version != other_lambda.version  # stale here

    refused = book(client, clinic, at(day, "10:00"))

    assert (refused.status_code, body(refused)["error"]["code"]) == (409, "slot_unavailable")
    assert Booking.count() == 1  # the warm-up only


def test_a_stale_cache_costs_a_retry_not_a_refusal(client, clinic, day):
    warm(client, clinic, day)
    staff_id = clinic.staff[0]["id"]
    other_lambda = StaffMember.get(clinic.org_id, staff_id)  # another process changes only the name
    other_lambda.display_name = "Dr Ada L."
    other_lambda.save()

    answer = book(client, clinic, at(day, "10:00"))

    assert answer.status_code == 201


def test_a_service_switched_off_in_this_process_cannot_be_booked_at_once(client, clinic, day):
    warm(client, clinic, day)

    catalog.update_service(clinic.owner, clinic.service["id"], {"active": False})
    refused = book(client, clinic, at(day, "10:00"))

    assert refused.status_code == 404


def test_a_retried_booking_after_its_slot_moved_on_still_gets_the_first_answer(client, clinic, day):
    first = book(client, clinic, at(day, "10:00"), key="k-1")
    catalog.update_service(clinic.owner, clinic.service["id"], {"active": False})  # nothing offered now

    retry = book(client, clinic, at(day, "10:00"), key="k-1")

    assert retry.status_code == 201 and json.loads(retry.body) == json.loads(first.body)


def test_a_new_customers_key_from_a_refused_booking_is_never_used_for_their_next_one(client, clinic, day):
    from chalicelib.models.customer import Customer
    from chalicelib.services import customers

    assert book(client, clinic, at(day, "10:00")).status_code == 201  # the slot a newcomer will lose
    newcomer = {"name": "Nina Newcomer", "email": "nina@example.org"}
    lost = book(client, clinic, at(day, "10:00"), customer=newcomer)  # her key is made, nothing is written
    assert lost.status_code == 409

    again = book(client, clinic, at(day, "11:00"), customer=newcomer, notes="second try")

    assert again.status_code == 201
    [customer_id] = customers.find_customer_ids_by_email(clinic.org_id, newcomer["email"])
    booking_id = body(again)["booking"]["id"]
    with ThreadPoolExecutor(1) as another_request:  # as any other request reads them: from the key table
        name = another_request.submit(lambda: Customer.get(clinic.org_id, customer_id).unseal()["name"]).result()
        notes = another_request.submit(lambda: Booking.get(clinic.org_id, booking_id).unseal()["notes"]).result()
    assert (name, notes) == ("Nina Newcomer", "second try")


def test_a_booking_rebuilds_from_the_cache_only_the_staff_member_and_service_it_names(client, clinic, day,
                                                                                     monkeypatch):
    """A public booking that names its staff member rebuilt every cached staff member and service on each
    look-up (issue 23's burst: ~6% of a request's CPU); now only the one it names."""
    from chalicelib.models.catalog import Service

    for n in range(8):
        clinic.add_staff(f"Dr {n}")
    warm(client, clinic, day)
    rebuilt: list[str] = []
    for model in (StaffMember, Service):
        build = model.from_raw_data.__func__
        monkeypatch.setattr(model, "from_raw_data", classmethod(
            lambda cls, data, _build=build: rebuilt.append(cls.__name__) or _build(cls, data)))

    answer = book(client, clinic, at(day, "10:00"), staff_id=clinic.staff[0]["id"])

    assert answer.status_code == 201
    named = {"StaffMember": rebuilt.count("StaffMember"), "Service": rebuilt.count("Service")}
    assert 1 <= named["StaffMember"] < len(clinic.staff) and named["Service"] >= 1, named
