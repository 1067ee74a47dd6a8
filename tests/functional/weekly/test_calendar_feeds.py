"""Staff calendar feeds (issue 29, item 3): a phone's calendar app subscribes with a long secret URL; the
feed shows service, time, place and a console link but no patient data (initials only if the clinic opts
in); revoking the URL refuses the next read; reads are counted and audited, the secret is never logged."""

from __future__ import annotations

import json

import pytest
import vobject

from chalicelib.models.audit import AuditEvent, AuditOutboxEntry
from chalicelib.models.calendar_feed import CalendarFeed
from chalicelib.services.audit.chain import plain_subjects
from tests.functional.booking.helpers import ALICE, at, book, make_clinic, next_weekday
from tests.functional.identity.helpers import body, call, token_for


@pytest.fixture
def clinic(aws_stack):
    return make_clinic("clinic", roles=("staff", "frontdesk"))


@pytest.fixture
def booked(client, clinic):
    day = next_weekday()
    answer = book(client, clinic, at(day, "10:00"), staff_id=clinic.staff[0]["id"], notes="Knee pain since May")
    assert answer.status_code == 201, answer.body
    return body(answer)["booking"]


def issue(client, clinic, token=None, staff_id=None):
    token = token or token_for(client, clinic.accounts["owner"])
    return call(client, "POST", f"/v1/staff/{staff_id or clinic.staff[0]['id']}/calendar-feed", token)


def feed_path(url: str) -> str:
    return url[url.index("/v1/calendar-feeds/"):]


def events_read_by_vobject(text: str) -> list:
    calendar = vobject.readOne(text)
    return list(getattr(calendar, "vevent_list", []))


def all_events(org_id: str) -> list[tuple[str, dict]]:
    chained = [(e.action, plain_subjects(e.subjects)) for e in AuditEvent.query(org_id) if e.action]
    pending = [(e.action, plain_subjects(e.subjects)) for e in AuditOutboxEntry.query(org_id)]
    return chained + pending


def test_a_feed_read_by_an_independent_parser_shows_the_booking_but_no_patient_data(client, clinic, booked):
    answer = issue(client, clinic)
    assert answer.status_code == 201, answer.body
    url = body(answer)["feed"]["url"]

    feed = client.http.get(feed_path(url))

    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    [event] = events_read_by_vobject(feed.body.decode())
    assert event.summary.value == "Consultation"
    assert event.dtstart.value.isoformat().startswith(booked["start"][:16])
    assert event.url.value.endswith("/console")
    text = feed.body.decode()
    for personal in (ALICE["name"], "Alice", "Zebrowski", ALICE["email"], ALICE["phone"], "Knee pain", "A.Z."):
        assert personal not in text


def test_a_clinic_that_opts_in_shows_initials_and_audits_whose_it_showed(client, clinic, booked):
    owner = token_for(client, clinic.accounts["owner"])
    assert call(client, "PUT", "/v1/org/calendar-feeds", owner, {"show_initials": True}).status_code == 200
    url = body(issue(client, clinic, owner))["feed"]["url"]

    text = client.http.get(feed_path(url)).body.decode()

    [event] = events_read_by_vobject(text)
    assert event.summary.value == "Consultation (A.Z.)"
    assert "Alice" not in text and "Zebrowski" not in text
    shown = [s for action, s in all_events(clinic.org_id) if action == "calendar_feed.initials_shown"]
    assert len(shown) == 1 and shown[0]["customer_ids"]


def test_a_revoked_feed_is_refused_at_once(client, clinic, booked):
    owner = token_for(client, clinic.accounts["owner"])
    path = feed_path(body(issue(client, clinic, owner))["feed"]["url"])
    assert client.http.get(path).status_code == 200

    revoked = call(client, "DELETE", f"/v1/staff/{clinic.staff[0]['id']}/calendar-feed", owner)

    assert revoked.status_code == 204
    refused = client.http.get(path)
    assert refused.status_code == 404 and body(refused)["error"]["code"] == "not_found"


def test_a_new_url_stops_the_old_one_even_while_the_index_still_names_it(client, clinic, booked, monkeypatch):
    owner = token_for(client, clinic.accounts["owner"])
    old = feed_path(body(issue(client, clinic, owner))["feed"]["url"])
    stale = list(CalendarFeed.by_token.query(old.rsplit("/", 1)[1] and _hash(old)))
    new = feed_path(body(issue(client, clinic, owner))["feed"]["url"])
    # an index that lags the table still answers with the old hash's item
    monkeypatch.setattr(CalendarFeed.by_token, "query", lambda *args, **kwargs: iter(stale))

    assert client.http.get(old).status_code == 404
    assert new != old


def _hash(path: str) -> str:
    from chalicelib.services.calendar_feeds.feeds import token_hash

    return token_hash(path.rsplit("/", 1)[1])


def test_only_the_hash_of_the_secret_is_stored(client, clinic):
    url = body(issue(client, clinic))["feed"]["url"]
    secret = url.rsplit("/", 1)[1]

    [stored] = list(CalendarFeed.query(clinic.org_id))

    assert len(secret) >= 43  # 256 bits
    assert secret not in json.dumps(stored.attribute_values, default=str)
    assert stored.token_hash == _hash(url)


def test_reads_are_counted_and_audited_and_the_secret_reaches_no_log_or_event(client, clinic, booked, log_output):
    owner = token_for(client, clinic.accounts["owner"])
    url = body(issue(client, clinic, owner))["feed"]["url"]
    secret = url.rsplit("/", 1)[1]

    for _ in range(3):
        assert client.http.get(feed_path(url)).status_code == 200
    status = body(call(client, "GET", f"/v1/staff/{clinic.staff[0]['id']}/calendar-feed", owner))["feed"]

    assert status["reads"] == 3 and status["last_read_at"]
    assert "url" not in status
    reads = [s for action, s in all_events(clinic.org_id) if action == "calendar_feed.read"]
    assert len(reads) == 3 and reads[0] == {"staff_id": clinic.staff[0]["id"]}
    assert secret not in log_output.getvalue()
    assert secret[:16] not in log_output.getvalue()
    assert secret not in json.dumps(all_events(clinic.org_id))


def test_a_guessed_or_malformed_secret_is_a_plain_404(client, clinic, booked):
    issue(client, clinic)

    for guess in ("x" * 43, "short", "A" * 200):
        answer = client.http.get(f"/v1/calendar-feeds/{guess}")
        assert answer.status_code == 404 and body(answer)["error"]["code"] == "not_found"


def test_a_staff_user_manages_only_their_own_feed_and_the_front_desk_none(client, clinic):
    mine = clinic.add_staff("Dr Staff", user_id=clinic.accounts["staff"].user_id)
    staff = token_for(client, clinic.accounts["staff"])
    desk = token_for(client, clinic.accounts["frontdesk"])

    assert issue(client, clinic, staff, mine["id"]).status_code == 201
    assert issue(client, clinic, staff, clinic.staff[0]["id"]).status_code == 403
    assert issue(client, clinic, desk, mine["id"]).status_code == 403
    assert call(client, "PUT", "/v1/org/calendar-feeds", staff, {"show_initials": True}).status_code == 403
