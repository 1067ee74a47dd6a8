"""The jobs that read slot locks by staff hour: the bookings-and-locks check of every restore (slot by slot,
inside shared hour items) and the one-off migration from per-granule lock items (ADR 0002)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3

import manage
from chalicelib.jobs import consistency
from chalicelib.jobs.tables import scan
from chalicelib.models.booking import Booking, HeldSlot, SlotLock
from chalicelib.services.booking import slot_locks
from tests.functional.booking.helpers import at, book, held_slots, make_clinic, next_weekday
from tests.functional.identity.helpers import body


def _two_in_one_hour(client) -> tuple[str, str]:
    clinic, day = make_clinic(), next_weekday()
    first, second = (body(book(client, clinic, at(day, hhmm), customer={"name": "Pat", "email": f"p{hhmm[:2]}"
                                                                     f"{hhmm[3:]}@example.org"}))["booking"]["id"]
                     for hhmm in ("10:00", "10:30"))
    return first, second


def _raw(logical: str) -> list[dict]:
    return list(scan(Booking.Meta.table_name if logical == "bookings" else SlotLock.Meta.table_name))


def test_a_slot_missing_from_a_shared_hour_item_is_found(client):
    _first, second = _two_in_one_hour(client)
    locks = _raw("slot_locks")
    (item,) = locks
    del item["m35"]  # the second booking's 10:35 slot

    found = consistency.check_bookings_and_locks(_raw("bookings"), locks, datetime.now(UTC))

    assert found.bookings_missing_locks == [second] and found.orphan_locks == []


def test_a_slot_naming_no_booking_in_a_shared_hour_item_is_an_orphan(client):
    first, _second = _two_in_one_hour(client)
    locks = _raw("slot_locks")
    (item,) = locks
    item["m00"] = {"M": {"b": {"S": "gone"}}}  # the first booking's slot now names nobody

    found = consistency.check_bookings_and_locks(_raw("bookings"), locks, datetime.now(UTC))

    hour = int(item["granule"]["N"])
    assert found.orphan_locks == [f"{item['staff_key']['S']}#{hour * 12}"]
    assert found.bookings_missing_locks == [first]


def test_agreeing_bookings_and_hour_items_pass(client):
    _two_in_one_hour(client)

    assert consistency.check_bookings_and_locks(_raw("bookings"), _raw("slot_locks"), datetime.now(UTC)).ok


# --- the migration from per-granule items ------------------------------------------------------------

def _as_old_items(hold_until: dict[str, int] | None = None) -> dict[tuple[str, int], str]:
    """Put the locks back as the per-granule scheme stored them: one item per granule, no hour items."""
    dynamodb, table = boto3.client("dynamodb", region_name="us-east-1"), SlotLock.Meta.table_name
    slots = held_slots()
    for lock in SlotLock.scan():
        lock.delete()
    for (key, granule), booking_id in slots.items():
        item = {"staff_key": {"S": key}, "granule": {"N": str(granule)}, "booking_id": {"S": booking_id},
                "ttl": {"N": str(granule * 300 + 7 * 86400)}}
        if hold_until and booking_id in hold_until:
            item["hold_until"] = {"N": str(hold_until[booking_id])}
        dynamodb.put_item(TableName=table, Item=item)
    return slots


def _run(capsys, *argv: str) -> tuple[int, dict]:
    code = manage.main(["migrate-slot-locks", *argv])
    printed = capsys.readouterr().out
    return code, json.loads(printed[printed.index("{\n"):])


def test_the_migration_moves_per_granule_locks_into_hour_items_and_says_what_it_did(client, capsys):
    _first, second = _two_in_one_hour(client)
    before = _as_old_items(hold_until={second: 2_000_000_000})

    code, report = _run(capsys)

    assert code == 0 and report["moved"] == {"old_items": 12, "slots_written": 12, "old_items_deleted": 12,
                                             "conflicts": 0}
    assert held_slots() == before and SlotLock.count() == 1  # one hour item holds both bookings
    (item,) = _raw("slot_locks")
    assert item["m30"]["M"]["h"] == {"N": "2000000000"} and "h" not in item["m00"]["M"]  # the hold stays one
    assert consistency.check_bookings_and_locks(_raw("bookings"), _raw("slot_locks"), datetime.now(UTC)).ok
    again, report = _run(capsys)
    assert again == 0 and report["moved"]["old_items"] == 0 and held_slots() == before


def test_a_migrated_lock_keeps_out_a_booking_of_its_time(client, capsys):
    clinic, day = make_clinic(), next_weekday()
    assert book(client, clinic, at(day, "10:00")).status_code == 201
    _as_old_items()

    _run(capsys)

    assert book(client, clinic, at(day, "10:00")).status_code == 409
    assert book(client, clinic, at(day, "10:15")).status_code == 409
    assert book(client, clinic, at(day, "10:30")).status_code == 201  # its neighbour's time is free


def test_the_dry_run_counts_and_writes_nothing(client, capsys):
    _two_in_one_hour(client)
    _as_old_items()

    code, report = _run(capsys, "--dry-run")

    assert code == 0 and report["would_move"]["old_items"] == 12
    assert held_slots() == {} and SlotLock.count() == 12


def test_a_slot_held_by_another_booking_is_a_failure_and_its_old_item_stays(client, capsys):
    first, _ = _two_in_one_hour(client)
    old = _as_old_items()
    (key, granule) = next(place for place, owner in old.items() if owner == first)
    SlotLock(key, slot_locks.hour_of(granule), ttl=2_000_000_000,  # another booking holds that slot now
             **{slot_locks.slot_name(granule): HeldSlot(b="someone-else")}).save()

    code, report = _run(capsys)

    assert code == 1 and report["moved"]["conflicts"] == 1
    assert any(f.startswith(f"slot {key}#{granule}: held by another booking") for f in report["failures"])
    assert SlotLock.count() == 2  # the hour item, and the old item that could not move
