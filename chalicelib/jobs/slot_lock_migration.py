"""The one-off move of slot locks from one item per 5-minute granule to one item per staff hour (ADR 0002).

Run once right after deploying the hour locks (`python manage.py migrate-slot-locks`), before the stage takes
bookings again: until it has run, a new booking does not see the time an older booking holds in the old
items. Every old item still live (its TTL ahead) becomes its slot in the hour item, with its booking and
its hold's expiry, written only if that slot is free or already this booking's (running it again changes
nothing); then the old item is deleted on the condition that it still names that booking. A slot held by
another booking (the tables disagreed before) is reported as a failure and its old item is kept.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import aws, clock
from chalicelib.jobs.runner import JobReport
from chalicelib.jobs.tables import scan
from chalicelib.models.booking import HeldSlot, SlotLock
from chalicelib.services.booking import slot_locks

OLD_SCHEME = "booking_id"  # the attribute only per-granule items have


def migrate_slot_locks(report: JobReport, dry_run: bool = False) -> None:
    """Move every live per-granule lock into its staff hour's item; report what was (or would be) moved."""
    table = SlotLock.Meta.table_name
    now = int(clock.now().timestamp())
    old = [item for item in scan(table) if OLD_SCHEME in item and int(item["ttl"]["N"]) > now]
    moved = {"old_items": len(old), "slots_written": 0, "old_items_deleted": 0, "conflicts": 0}
    for item in old:
        key, granule, booking_id = item["staff_key"]["S"], int(item["granule"]["N"]), item[OLD_SCHEME]["S"]
        if dry_run:
            continue
        hold_until = int(item["hold_until"]["N"]) if "hold_until" in item else None
        if not _write_slot(key, granule, booking_id, hold_until):
            moved["conflicts"] += 1
            report.fail(f"slot {key}#{granule}: held by another booking than {booking_id}; old item kept")
            continue
        moved["slots_written"] += 1
        moved["old_items_deleted"] += _delete_old(table, key, granule, booking_id)
    report.details["dry_run"] = dry_run
    report.details["would_move" if dry_run else "moved"] = moved


def _write_slot(key: str, granule: int, booking_id: str, hold_until: int | None) -> bool:
    slot = getattr(SlotLock, slot_locks.slot_name(granule))
    hour = slot_locks.hour_of(granule)
    expires = (hour + 1) * slot_locks.HOUR_SECONDS + int(slot_locks.LOCK_KEPT_FOR.total_seconds())
    try:
        SlotLock(key, hour).update(actions=[slot.set(HeldSlot(b=booking_id, h=hold_until)), SlotLock.ttl.set(expires)],
                                   condition=slot.does_not_exist() | (slot.b == booking_id))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _delete_old(table: str, key: str, granule: int, booking_id: str) -> int:
    dynamodb: Any = aws.client("dynamodb")
    try:
        dynamodb.delete_item(TableName=table, Key={"staff_key": {"S": key}, "granule": {"N": str(granule)}},
                             ConditionExpression="booking_id = :booking",
                             ExpressionAttributeValues={":booking": {"S": booking_id}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return 0  # gone meanwhile (its TTL, or a second run)
    return 1
