"""The audit trail's hash chain (services/common/boundary/audit.py): an entry edited, deleted or slipped in
by hand is found, and two writers of one trail never fork it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet
import mongomock
import pytest

from services.common.boundary.audit import AuditTrail, audit_cursor, audit_key, entry_hash
from services.common.clock import utcnow


@pytest.fixture
def database():
    return mongomock.MongoClient(tz_aware=True)["audit-test"]


def write(trail: AuditTrail, n: int, user: str = "officer-a") -> None:
    for i in range(n):
        trail.record(action=f"action_{i}", outcome="OK", user_id=user, roles=["ORG_ADMIN"],
                     record=("cadre", f"C{i}"))


def test_an_untouched_trail_is_intact(database):
    trail = AuditTrail(database, "talent")
    trail.ensure_indexes()
    write(trail, 5)
    verdict = trail.verify()
    assert (verdict.intact, verdict.entries) == (True, 5)
    assert [e["seq"] for e in database.audit.find().sort("seq", 1)] == [1, 2, 3, 4, 5]


def test_an_edited_entry_is_named(database):
    trail = AuditTrail(database, "talent")
    write(trail, 5)
    database.audit.update_one({"seq": 3}, {"$set": {"user_id": "someone-else"}})
    verdict = trail.verify()
    assert (verdict.intact, verdict.broken_at, verdict.entries) == (False, 3, 2)
    assert "edited" in verdict.reason


def test_a_deleted_entry_is_named(database):
    trail = AuditTrail(database, "talent")
    write(trail, 5)
    database.audit.delete_one({"seq": 2})
    verdict = trail.verify()
    assert (verdict.broken_at, verdict.reason) == (2, "entry 2 is missing (next is 3)")


def test_an_entry_inserted_by_hand_is_found_with_or_without_a_place_in_the_chain(database):
    trail = AuditTrail(database, "care")
    write(trail, 3)
    forged = {"at": utcnow(), "service": "care", "action": "list_referrals", "outcome": "OK",
              "user_id": "care-officer-1", "roles": ["CARE_OFFICER"]}
    database.audit.insert_one(dict(forged))
    assert "outside the chain" in trail.verify().reason
    database.audit.delete_many({"seq": {"$exists": False}})
    # a forger who knows the scheme but appends after a real entry it cannot rewrite
    chained = {**forged, "seq": 4, "prev": "f" * 64}
    chained["hash"] = entry_hash(chained)
    database.audit.insert_one(chained)
    verdict = trail.verify()
    assert (verdict.broken_at, verdict.entries) == (4, 3)
    assert "inserted" in verdict.reason


def test_two_writers_of_one_trail_interleaved_do_not_fork_it(database):
    """Replica A knows the head from its last write; replica B writes meanwhile; A's next entry
    takes a place B already holds, is refused by the unique seq, and is chained after B's."""
    first, second = AuditTrail(database, "talent"), AuditTrail(database, "talent")
    first.ensure_indexes()
    write(first, 1, user="a")          # A's head: seq 1
    write(second, 2, user="b")         # B loads the head from the store: seq 2, 3
    assert first._head[0] == 1         # A's idea of the head is now stale
    write(first, 1, user="a")          # seq 2 refused -> reload -> seq 4
    verdict = first.verify()
    assert (verdict.intact, verdict.entries) == (True, 4)
    assert [e["user_id"] for e in database.audit.find().sort("seq", 1)] == ["a", "b", "b", "a"]


def test_entries_recorded_together_are_chained_in_one_write_and_each_caller_returns_once_stored(database):
    """Workers started in one pass (the requests of one wake-up) share one insert; each record()
    returns only when its own entry is in the store, and the chain is intact."""
    trail = AuditTrail(database, "talent")
    trail.ensure_indexes()
    inserts = []
    insert_many = trail.collection.insert_many

    def counted(documents, **kwargs):
        inserts.append(len(documents))
        return insert_many(documents, **kwargs)

    trail.collection.insert_many = counted
    stored_on_return = []

    def worker(i):
        trail.record(action="get_cadre", outcome="OK", user_id=f"u{i}", roles=["CADRE"])
        stored_on_return.append(database.audit.count_documents({"user_id": f"u{i}"}))

    workers = [eventlet.spawn(worker, i) for i in range(6)]
    for gt in workers:
        gt.wait()
    assert inserts == [6] and stored_on_return == [1] * 6
    verdict = trail.verify()
    assert (verdict.intact, verdict.entries) == (True, 6)


def test_the_trail_read_back_hides_the_chain_fields(database):
    trail = AuditTrail(database, "talent")
    write(trail, 2)
    [entry, _] = trail.query()
    assert not {"prev", "hash", "_id"} & set(entry)


def test_one_cursor_walks_every_trail_merged_newest_first_with_ties_across_services():
    client = mongomock.MongoClient(tz_aware=True)
    trails = [AuditTrail(client[f"{name}_audit"], name) for name in ("appraisal", "care", "talent")]
    moments = [datetime(2026, 6, 1, 9, 0, tzinfo=UTC) + timedelta(milliseconds=m // 2)
               for m in range(8)]  # two entries to a moment in each trail: ties everywhere
    for trail in trails:
        for n, at in enumerate(moments):
            trail.record(action=f"a{n}", outcome="OK", user_id="officer", at=at)
    whole = sorted((e for trail in trails for e in trail.query(limit=100)), key=audit_key,
                   reverse=True)

    seen, cursor = [], None
    while True:  # as the gateway merges: each trail's page after one cursor, the newest 5 of them
        merged = sorted((e for trail in trails for e in trail.query(cursor=cursor, limit=5)),
                        key=audit_key, reverse=True)[:5]
        seen += merged
        if len(seen) >= len(whole) or not merged:
            break
        cursor = audit_cursor(merged[-1])
    assert [audit_key(e) for e in seen] == [audit_key(e) for e in whole] and len(seen) == 24
    assert trails[0].query(limit=5).total == 8
