"""Every limit is taken before the work (issue 22, item 6): 20 concurrent holds for one address, or past
the org's cap, give at most the limit and send at most that many mails. The store is DynamoDB-atomic
(`atomic_dynamodb`), so the counts prove our conditional writes; tests/e2e/test_mail_timing.py does the
same burst over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from chalicelib.errors import DomainError, SlotUnavailable
from chalicelib.models.organization import Organization
from chalicelib.services import customers, rate_limits
from chalicelib.services.audit import Origin
from chalicelib.services.booking import holds
from chalicelib.services.booking.bookings import Actor, NewBooking
from tests.functional.booking.helpers import at, make_clinic, next_weekday
from tests.functional.booking.test_public_abuse import recipients, sent

BURST = 20


@pytest.fixture
def clinic(aws_stack):
    return make_clinic(verify_email=True)


def burst(clinic, email_of) -> list[str]:
    """BURST holds at once, each at its own time and from its own source address; their outcomes."""
    org = Organization.get(clinic.org_id)
    first = datetime.fromisoformat(at(next_weekday(), "09:00"))

    def hold(n: int) -> str:
        actor = Actor(org.org_id, "customer", Origin(f"192.0.2.{n + 1}", "burst"), is_staff=False)
        contact = customers.CustomerDetails(name="Mallory", email=email_of(n))
        try:
            status, _ = holds.public_booking(org, actor, contact, NewBooking(
                clinic.service["id"], first + timedelta(minutes=30 * (n % 16), days=7 * (n // 16))), None)
        except DomainError as error:
            return type(error).__name__
        return str(status)

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(hold, range(BURST)))


def test_twenty_concurrent_holds_for_one_address_give_at_most_three_and_three_mails(clinic, atomic_dynamodb):
    outcomes = burst(clinic, lambda n: "mallory@example.org")

    limit = rate_limits.HOLDS_PER_EMAIL.max_hits
    assert outcomes.count("202") == limit and outcomes.count("RateLimited") == BURST - limit
    assert len([m for m in sent() if "mallory@example.org" in recipients(m)]) == limit


def test_the_tags_of_one_inbox_share_its_limit(clinic, atomic_dynamodb):
    # an outside attack: after 3 holds for victim@, victim+1@ got 3 more (and 3 more mails), and so on per tag
    outcomes = burst(clinic, lambda n: f"victim+{n}@example.org" if n else "victim@example.org")

    assert outcomes.count("202") == rate_limits.HOLDS_PER_EMAIL.max_hits


def test_twenty_concurrent_holds_cannot_pass_the_orgs_cap(clinic, atomic_dynamodb, monkeypatch):
    monkeypatch.setattr(rate_limits, "HOLDS_PER_ORG", rate_limits.Limit("hold-org", 4, 3600))

    outcomes = burst(clinic, lambda n: f"m{n}@example.org")

    assert outcomes.count("202") == 4 and outcomes.count("RateLimited") == BURST - 4


def test_a_hold_that_was_not_made_gives_its_turns_back(clinic):
    org = Organization.get(clinic.org_id)
    actor = Actor(org.org_id, "customer", Origin("192.0.2.9", "t"), is_staff=False)
    contact = customers.CustomerDetails(name="Mallory", email="mallory@example.org")
    taken = NewBooking(clinic.service["id"], datetime.fromisoformat(at(next_weekday(), "09:00")))
    holds.public_booking(org, actor, contact, taken, None)

    for _ in range(5):  # the time is taken: no hold, no turn used
        with pytest.raises(DomainError):
            holds.public_booking(org, actor, contact, taken, None)

    later = [NewBooking(clinic.service["id"], datetime.fromisoformat(at(next_weekday(), hhmm)))
             for hhmm in ("10:00", "11:00")]
    assert [holds.public_booking(org, actor, contact, wanted, None)[0] for wanted in later] == [202, 202]


def test_a_request_for_a_taken_time_is_refused_before_any_limit_is_counted(clinic):
    """The loser of a race learns it early (issue 23): a hold's time, asked for again from other addresses,
    answers 409 with no counter written (no turn taken and given back) and nothing sealed."""
    from bench.api_calls import counting_calls

    org = Organization.get(clinic.org_id)
    start = datetime.fromisoformat(at(next_weekday(), "10:00"))

    def hold(n: int):
        actor = Actor(org.org_id, "customer", Origin(f"198.51.100.{n}", "race"), is_staff=False)
        contact = customers.CustomerDetails(name="Late Larry", email=f"larry{n}@example.org")
        return holds.public_booking(org, actor, contact, NewBooking(clinic.service["id"], start), None)

    assert hold(1)[0] == 202
    with counting_calls() as calls:
        for n in range(2, 5):
            with pytest.raises(SlotUnavailable):
                hold(n)

    assert {name for name in calls.counts if name.endswith(("UpdateItem", "TransactWriteItems"))} == set()
    assert not any(name.startswith("kms:") for name in calls.counts), calls.counts
