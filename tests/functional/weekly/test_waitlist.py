"""A waitlist with backfill (issue 29, item 2): a cancellation offers its time to the first waiting
patients by e-mail; when two race for it, the booking service's locks let exactly one have it."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.errors import Conflict, NotFound, SlotUnavailable
from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.booking import Booking
from chalicelib.models.waitlist import WaitlistEntry
from chalicelib.services.audit import SYSTEM
from chalicelib.services.waitlist import entries
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body
from tests.functional.self_service.helpers import mails_to

BOB = {"name": "Bob Okafor", "email": "bob@example.org"}
CAROL = {"name": "Carol Elsewhere", "email": "carol@example.org"}
DAVE = {"name": "Dave Later", "email": "dave@example.org"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic")


@pytest.fixture
def day():
    return next_weekday()


def booked(client, clinic, day, hhmm: str, customer: dict) -> tuple[str, str]:
    answer = book(client, clinic, at(day, hhmm), customer=customer)
    assert answer.status_code == 201, answer.body
    created = body(answer)
    return created["booking"]["id"], token_of(created["manage_url"])


def join(client, booking: tuple[str, str], **wish):
    return manage(client, "POST", f"/v1/public/bookings/{booking[0]}/waitlist", booking[1], wish)


def offer_in_mail(address: str) -> tuple[str, str]:
    """(entry id, token) of the newest offer e-mailed to `address`."""
    text = next(t for t in reversed(mails_to(address)) if "#waitlist/" in t)
    found = re.search(r"#waitlist/([0-9a-f-]+)/([A-Za-z0-9_-]+)", text)
    assert found
    return found[1], found[2]


def actions(org_id: str) -> list[str]:
    return [e.action for e in [*AuditEvent.query(org_id), *AuditOutboxEntry.query(org_id)] if e.action]


def test_a_cancellation_reaches_the_first_waiting_patient_and_of_two_racing_exactly_one_gets_it(
        client, clinic, day, atomic_dynamodb):
    alice = booked(client, clinic, day, "10:00", ALICE)
    bob = booked(client, clinic, day, "15:00", BOB)
    carol = booked(client, clinic, day, "16:00", CAROL)
    dave = booked(client, clinic, day, "16:30", DAVE)
    for patient in (bob, carol, dave):  # in this order: Bob asked first
        assert join(client, patient).status_code == 201

    cancelled = manage(client, "POST", f"/v1/public/bookings/{alice[0]}/cancel", alice[1], {})

    assert cancelled.status_code == 200
    offers = {name: offer_in_mail(person["email"]) for name, person in (("bob", BOB), ("carol", CAROL))}
    assert not [t for t in mails_to(DAVE["email"]) if "#waitlist/" in t]  # the first two waiting only
    results: dict[str, str] = {}
    gate = threading.Barrier(2)

    def take(name: str) -> None:
        entry_id, token = offers[name]
        gate.wait()
        try:
            entries.accept(clinic.org_id, entry_id, token, SYSTEM)
            results[name] = "moved"
        except (SlotUnavailable, Conflict):
            results[name] = "refused"

    racers = [threading.Thread(target=take, args=(name,)) for name in offers]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)

    assert sorted(results.values()) == ["moved", "refused"]
    at_ten = [b for b in Booking.query(clinic.org_id) if b.status == "confirmed"
              and b.starts_at == Booking.get(clinic.org_id, alice[0]).starts_at]
    assert len(at_ten) == 1
    winner = next(name for name, outcome in results.items() if outcome == "moved")
    assert at_ten[0].booking_id == {"bob": bob, "carol": carol}[winner][0]
    loser = WaitlistEntry.get(clinic.org_id, offers[{"bob": "carol", "carol": "bob"}[winner]][0])
    assert loser.status == "waiting" and loser.offer_hash is None  # still waiting for the next opening
    assert {"waitlist.joined", "waitlist.offered", "waitlist.accepted", "waitlist.offer_lost"} <= set(actions(
        clinic.org_id))


def test_an_offer_expires(client, clinic, day, fake_clock):
    alice = booked(client, clinic, day, "10:00", ALICE)
    bob = booked(client, clinic, day, "15:00", BOB)
    join(client, bob)
    manage(client, "POST", f"/v1/public/bookings/{alice[0]}/cancel", alice[1], {})
    entry_id, token = offer_in_mail(BOB["email"])
    fake_clock.advance(minutes=entries.OFFER_MINUTES + 1)

    answer = client.http.post(f"/v1/public/orgs/{clinic.slug}/waitlist/{entry_id}/accept",
                              headers={"Content-Type": "application/json"}, body=json.dumps({"token": token}))

    assert answer.status_code == 409
    assert Booking.get(clinic.org_id, bob[0]).starts_at.hour == 15
    assert WaitlistEntry.get(clinic.org_id, entry_id).status == "waiting"


def test_a_wrong_or_spent_offer_token_is_a_404(client, clinic, day):
    alice = booked(client, clinic, day, "10:00", ALICE)
    bob = booked(client, clinic, day, "15:00", BOB)
    join(client, bob)
    manage(client, "POST", f"/v1/public/bookings/{alice[0]}/cancel", alice[1], {})
    entry_id, token = offer_in_mail(BOB["email"])

    with pytest.raises(NotFound):
        entries.accept(clinic.org_id, entry_id, token[:-2] + "xx", SYSTEM)
    entries.accept(clinic.org_id, entry_id, token, SYSTEM)
    with pytest.raises(NotFound):
        entries.accept(clinic.org_id, entry_id, token, SYSTEM)
    assert Booking.get(clinic.org_id, bob[0]).starts_at == Booking.get(clinic.org_id, alice[0]).starts_at


def test_only_a_time_inside_the_wish_is_offered(client, clinic, day):
    alice = booked(client, clinic, day, "10:00", ALICE)
    bob = booked(client, clinic, day, "15:00", BOB)
    later = (clock.now() + timedelta(days=60)).isoformat()
    assert join(client, bob, earliest=later).status_code == 422  # not before the booking
    assert join(client, bob, earliest=at(day, "11:00")).status_code == 201  # 10:00 is too early for Bob

    manage(client, "POST", f"/v1/public/bookings/{alice[0]}/cancel", alice[1], {})

    assert not [t for t in mails_to(BOB["email"]) if "#waitlist/" in t]
