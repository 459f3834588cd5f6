"""GroupInserts when its writer is killed mid-write (a container stopping): the other workers of that
group get a transient error, retried like an outage, instead of waiting or failing on a missing result.
A stand-in collection whose insert takes a while lets the test kill the writer at that moment."""

import eventlet
import pytest
from pymongo.errors import ConnectionFailure

from services.common.storage.store import DocumentLocks, GroupInserts


class SlowCollection:
    name = "copies"

    def __init__(self):
        self.written: list[list] = []

    def insert_many(self, documents, ordered):
        eventlet.sleep(0.05)
        self.written.append([d["_id"] for d in documents])


def test_the_others_of_a_killed_writers_group_fail_transiently_and_the_next_insert_works():
    inserts, collection = GroupInserts(DocumentLocks()), SlowCollection()
    first = eventlet.spawn(inserts.insert, collection, {"_id": "A"})  # writes alone, at once
    eventlet.sleep(0)
    writer = eventlet.spawn(inserts.insert, collection, {"_id": "B"})  # queued: B's turn comes next
    other = eventlet.spawn(inserts.insert, collection, {"_id": "C"})  # in B's group
    assert first.wait() is True
    eventlet.sleep(0.01)  # B now writes the group [B, C]
    writer.kill()
    with pytest.raises(ConnectionFailure, match="interrupted"):
        other.wait()
    assert inserts.insert(collection, {"_id": "D"}) is True
    assert collection.written == [["A"], ["D"]]
