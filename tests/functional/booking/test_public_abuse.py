"""The public booking API under attack: look-alike addresses, unproven mailboxes, calendar filling,
writes into a known patient's record and attacker text in the clinic's e-mails (issue 12)."""

from __future__ import annotations

import email
import json

import icalendar
import pytest

from chalicelib.models.audit import AuditEvent
from chalicelib.models.booking import Booking
from chalicelib.services import customers, rate_limits
from chalicelib.services.audit import SYSTEM
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, manage, next_weekday, token_of
from tests.functional.identity.helpers import body

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(verify_email=True)  # the product's default


@pytest.fixture
def day():
    return next_weekday()


def sent() -> list:
    from moto.ses.models import ses_backends

    return list(ses_backends["123456789012"]["us-east-1"].sent_messages)


def recipients(message) -> list[str]:
    destinations = message.destinations  # a plain message's is a dict, a MIME one's a list
    return list(destinations["ToAddresses"]) if isinstance(destinations, dict) else list(dict.fromkeys(destinations))


def text_of(message) -> str:
    if not hasattr(message, "raw_data"):
        return f"{message.subject}\n{message.body}"
    parsed = email.message_from_string(message.raw_data)
    parts = [p.get_payload(decode=True).decode() for p in parsed.walk() if p.get_content_maintype() == "text"]
    return "\n".join([str(parsed["Subject"]), *parts])


def code_in(message) -> str:
    return next(w.strip(".,") for w in text_of(message).split() if w.strip(".,").isdigit() and len(w.strip(".,")) == 6)


def link_token_in(message) -> tuple[str, str]:
    link = next(w for w in text_of(message).split() if "#confirm/" in w)
    _, booking_id, token = link.split("#", 1)[1].split("/")
    return booking_id, token


def confirm(client, clinic, booking_id: str, **proof: str):
    return client.http.post(f"/v1/public/orgs/{clinic.slug}/bookings/{booking_id}/confirm", headers=JSON,
                            body=json.dumps(proof))


def ask_link(client, slug: str, address: str):
    return client.http.post(f"/v1/public/orgs/{slug}/my-bookings", headers=JSON, body=json.dumps({"email": address}))


def events(org_id: str, action: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.query(org_id) if e.action == action]


def free_starts(client, clinic, day) -> list[str]:
    answer = body(client.http.get(f"/v1/public/orgs/{clinic.slug}/slots?service_id={clinic.service['id']}"
                                  f"&from={day}&to={day}&tz=UTC"))
    return [slot["start"][11:16] for slot in answer["slots"]]


# --- 1. links go only to the address on file ---------------------------------------------------------

def test_a_look_alike_address_never_receives_a_customers_link(client, aws_stack):
    open_clinic = make_clinic("open")  # verification off: Alice books at once
    customers.create_customer(open_clinic.org_id, customers.CustomerDetails("Alice", "alice@strasse.example"),
                              "seed", SYSTEM)
    before = len(sent())

    for look_alike in ("alice@straße.example", "alice@STRAßE.example"):
        assert ask_link(client, "open", look_alike).status_code == 202
    assert ask_link(client, "open", "ALICE@Strasse.Example").status_code == 202

    mails = sent()[before:]
    assert [recipients(m) for m in mails] == [["alice@strasse.example"]]  # only the real one, to the address on file


@pytest.mark.parametrize("look_alike", [
    "\uff41\uff4c\uff49\uff43\uff45@example.org",  # full-width letters: NFKC would make them "alice"
    "alice@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org",  # full-width domain
    "alice@stra\u017fse.example",  # long s: case folding makes it "s"
    "alice@STRAẞE.example",  # capital sharp s in a domain: IDNA mapping would pick one of two domains
])
def test_addresses_that_cannot_be_normalized_safely_are_refused(client, clinic, day, look_alike):
    response = book(client, clinic, at(day, "10:00"), customer={"name": "Mallory", "email": look_alike})

    assert (response.status_code, body(response)["error"]["field"]) == (422, "email")
    assert Booking.count(clinic.org_id) == 0


@pytest.mark.parametrize("one,other", [
    ("alice@strasse.example", "alice@straße.example"),  # ß is not ss
    ("σίσυφος@example.gr", "σίσυφοσ@example.gr"),  # final sigma is not sigma
    ("al\u0131ce@example.org", "alice@example.org"),  # dotless i is not i
    ("Straße@example.org", "strasse@example.org"),
])
def test_different_mailboxes_never_share_a_lookup(aws_stack, one, other):
    assert customers.email_index("org", one) != customers.email_index("org", other)


def test_ascii_addresses_are_found_in_any_case_as_before(aws_stack):
    assert customers.email_index("org", "Alice.Zebrowski@EXAMPLE.org") == customers.email_index("org", ALICE["email"])


def test_issuing_the_link_and_every_read_through_it_are_audited_for_that_customer(client, aws_stack, day):
    open_clinic = make_clinic("open")
    booking_id = body(book(client, open_clinic, at(day, "10:00")))["booking"]["id"]
    customer_id = Booking.get(open_clinic.org_id, booking_id).customer_id

    ask_link(client, "open", ALICE["email"])
    token = token_of(next(w for w in text_of(sent()[-1]).split() if "/my/bookings#" in w))
    assert manage(client, "GET", "/v1/public/my-bookings", token).status_code == 200
    assert manage(client, "GET", f"/v1/public/bookings/{booking_id}", token).status_code == 200

    for action in ("customer.link_issued", "customer.bookings_read", "booking.read"):
        [event] = events(open_clinic.org_id, action)
        assert (event.actor, event.subjects["customer_id"]) == ("customer", customer_id)
    assert events(open_clinic.org_id, "booking.read")[0].subjects["booking_id"] == booking_id


# --- 2. proof of the mailbox before a booking stands -------------------------------------------------

def test_a_public_booking_is_only_held_until_the_emailed_code_proves_the_mailbox(client, clinic, day):
    held = book(client, clinic, at(day, "10:00"))

    answer = body(held)
    assert held.status_code == 202 and "manage_url" not in answer
    assert answer["booking"]["status"] == "pending" and "hold_expires_at" in answer["booking"]
    assert "10:00" not in free_starts(client, clinic, day)  # the hold blocks the slot
    assert book(client, clinic, at(day, "10:00"), customer={"name": "B", "email": "b@example.org"}).status_code == 409
    [mail] = [m for m in sent() if recipients(m) == [ALICE["email"]]]
    assert customers.find_customer_ids_by_email(clinic.org_id, ALICE["email"]) == []  # nobody's yet

    wrong = confirm(client, clinic, answer["booking"]["id"], code="000000" if code_in(mail) != "000000" else "111111")
    right = confirm(client, clinic, answer["booking"]["id"], code=code_in(mail))

    assert (wrong.status_code, body(wrong)["error"]["code"]) == (422, "verification_failed")
    assert right.status_code == 200 and body(right)["booking"]["status"] == "confirmed"
    booking_id = answer["booking"]["id"]
    opened = manage(client, "GET", f"/v1/public/bookings/{booking_id}", token_of(body(right)["manage_url"]))
    assert opened.status_code == 200
    assert customers.find_customer_ids_by_email(clinic.org_id, ALICE["email"]) == [
        Booking.get(clinic.org_id, answer["booking"]["id"]).customer_id]
    again = confirm(client, clinic, answer["booking"]["id"], code=code_in(mail))
    assert (again.status_code, body(again)["error"]["code"]) == (409, "already_confirmed")


def test_the_emailed_link_confirms_a_hold_and_a_token_for_another_hold_does_not(client, clinic, day):
    first = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    book(client, clinic, at(day, "11:00"), customer={"name": "Bob", "email": "bob@example.org"})
    bob_id, bob_token = link_token_in(sent()[-1])

    assert confirm(client, clinic, first, token=bob_token).status_code == 422
    assert confirm(client, clinic, bob_id, token=bob_token).status_code == 200


def test_an_unconfirmed_hold_expires_and_frees_its_time(client, clinic, day, fake_clock):
    held = body(book(client, clinic, at(day, "10:00")))["booking"]
    code = code_in(sent()[-1])

    fake_clock.advance(minutes=16)

    assert "10:00" in free_starts(client, clinic, day)
    other = book(client, clinic, at(day, "10:00"), customer={"name": "Bob", "email": "bob@example.org"})
    assert other.status_code == 202
    late = confirm(client, clinic, held["id"], code=code)
    assert (late.status_code, body(late)["error"]["code"]) == (409, "hold_expired")
    assert Booking.get(clinic.org_id, held["id"]).customer_id == ""


def test_guessing_codes_is_bounded_and_releases_the_held_time(client, clinic, day):
    held = body(book(client, clinic, at(day, "10:00")))["booking"]["id"]
    real = code_in(sent()[-1])
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != real][:6]

    codes = [confirm(client, clinic, held, code=guess).status_code for guess in guesses]

    assert codes == [422, 422, 422, 422, 422, 429]
    assert confirm(client, clinic, held, code=real).status_code == 409  # the real code is worthless now
    assert "10:00" in free_starts(client, clinic, day)


def test_holds_are_limited_per_address(client, clinic, day):
    starts = ["09:00", "10:00", "11:00", "12:00"]
    codes = [book(client, clinic, at(day, hhmm)).status_code for hhmm in starts]

    assert codes == [202, 202, 202, 429]


def test_holds_are_limited_per_source_address_beyond_the_write_window(client, clinic, day, from_ip, fake_clock,
                                                                      monkeypatch):
    monkeypatch.setenv("SAFESLOT_PUBLIC_WRITES_PER_IP", "2")
    from chalicelib.config import settings

    settings.cache_clear()
    fake_clock.now = fake_clock.now.replace(minute=1, second=0, microsecond=0)  # both windows start this hour
    from_ip("198.51.100.7")
    made = [book(client, clinic, at(day, hhmm), customer={"name": "M", "email": f"m{i}@example.org"}).status_code
            for i, hhmm in enumerate(["09:00", "10:00"])]
    fake_clock.advance(minutes=16)  # a new 15-minute write window, the same hour of holds
    third = book(client, clinic, at(day, "11:00"), customer={"name": "M", "email": "m9@example.org"})

    assert made == [202, 202] and third.status_code == 429
    settings.cache_clear()


def test_holds_are_limited_per_org(client, clinic, day, from_ip, monkeypatch):
    monkeypatch.setattr(rate_limits, "HOLDS_PER_ORG", rate_limits.Limit("hold-org", 2, 3600))
    made = []
    for i, hhmm in enumerate(["09:00", "10:00", "11:00"]):
        from_ip(f"198.51.100.{i + 10}")  # many addresses and sources: the org's own ceiling still holds
        made.append(book(client, clinic, at(day, hhmm), customer={"name": "M", "email": f"o{i}@example.org"}))

    assert [r.status_code for r in made] == [202, 202, 429]


# --- 3. a stranger cannot write into a known patient's record ----------------------------------------

def test_a_stranger_using_a_patients_address_writes_nothing_into_their_record(client, clinic, day):
    alice_id = customers.create_customer(clinic.org_id, customers.CustomerDetails(**ALICE), "seed", SYSTEM)
    before = len(sent())

    stranger = book(client, clinic, at(day, "10:00"), notes="Patient asked to cancel all treatment",
                    customer={"name": "Not Alice", "email": ALICE["email"]})

    held = Booking.get(clinic.org_id, body(stranger)["booking"]["id"])
    assert stranger.status_code == 202 and "manage_url" not in body(stranger)
    assert held.customer_id == "" and held.customer_id != alice_id  # nobody's notes
    assert list(Booking.by_customer.query(f"{clinic.org_id}/{alice_id}")) == []
    assert customers.contact_of(clinic.org_id, alice_id).name == ALICE["name"]
    [mail] = sent()[before:]  # the verification message and nothing else
    assert "cancel all treatment" not in text_of(mail) and "Not Alice" not in text_of(mail)


# --- 4. the clinic's e-mails carry no attacker text --------------------------------------------------

@pytest.mark.parametrize("name", ["Alice\r\nBcc: victim@example.org", "Alice\nPay now", "Ali\u202ece",
                                  "Ali\x00ce", "Ali\u2028ce", "A" * 201, "\u200b"])
def test_names_must_be_one_bounded_line_without_control_characters(client, clinic, day, name):
    response = book(client, clinic, at(day, "10:00"), customer={"name": name, "email": "m@example.org"})

    assert (response.status_code, body(response)["error"]["field"]) == (422, "customer.name")


def test_no_text_a_customer_typed_reaches_the_mails_or_the_calendar_file(client, aws_stack, day):
    open_clinic = make_clinic("open")
    bait = {"name": "URGENT pay at https://evil.example/pay", "email": "victim@example.org"}

    made = body(book(client, open_clinic, at(day, "10:00"), customer=bait, notes="visit www.evil2.example"))
    manage(client, "POST", f"/v1/public/bookings/{made['booking']['id']}/cancel", token_of(made["manage_url"]),
           {"reason": "see https://evil3.example"})
    booked_at_once = sent()
    held = make_clinic("held", verify_email=True)
    book(client, held, at(day, "10:00"), customer=bait, notes="visit www.evil2.example")

    for message in [*booked_at_once, sent()[-1]]:
        assert "evil" not in text_of(message) and "URGENT" not in text_of(message)
        if hasattr(message, "raw_data"):  # the booking mails carry an invitation, the hold's code mail none
            for invite in (p for p in email.message_from_string(message.raw_data).walk()
                           if p.get_content_type() == "text/calendar"):
                assert "evil" not in icalendar.Calendar.from_ical(invite.get_payload(decode=True)).to_ical().decode()
    first_line = text_of(booked_at_once[0]).split("\n")[1]
    assert first_line == "Hello,"  # the clinic speaks first
