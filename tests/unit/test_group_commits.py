"""The group commit (services/common/storage/groups.py), through GroupInserts, with a stand-in collection
whose insert takes as long as the test says, so that the test decides what happens during a write: how
a group's workers meet and are woken, a writer killed mid-write (a container stopping), a waiter killed."""

import eventlet
import pytest
from eventlet.event import Event
from pymongo.errors import ConnectionFailure

from services.common.storage.groups import GroupCommit, Queued
from services.common.storage.store import DocumentLocks, GroupInserts


class SlowCollection:
    name = "copies"

    def __init__(self):
        self.written: list[list] = []
        self.writers: list = []  # the greenthread of each write

    def insert_many(self, documents, ordered):
        self.writers.append(eventlet.getcurrent())
        eventlet.sleep(0.05)
        self.written.append([d["_id"] for d in documents])


class HeldCollection(SlowCollection):
    """Each write waits until the test releases it."""

    def __init__(self):
        super().__init__()
        self.release: list[Event] = []

    def insert_many(self, documents, ordered):
        self.writers.append(eventlet.getcurrent())
        held = Event()
        self.release.append(held)
        held.wait()
        self.written.append([d["_id"] for d in documents])


def test_the_others_of_a_killed_writers_group_fail_transiently_and_the_next_insert_works():
    inserts, collection = GroupInserts(DocumentLocks()), SlowCollection()
    first = eventlet.spawn(inserts.insert, collection, {"_id": "A"})  # writes alone, at once
    eventlet.sleep(0)
    group = [eventlet.spawn(inserts.insert, collection, {"_id": key}) for key in ("B", "C")]
    assert first.wait() is True
    eventlet.sleep(0.01)  # one of B and C now writes the group [B, C]
    writer = collection.writers[-1]
    writer.kill()
    other = next(gt for gt in group if gt is not writer)
    with pytest.raises(ConnectionFailure, match="interrupted"):
        other.wait()
    assert inserts.insert(collection, {"_id": "D"}) is True
    assert collection.written == [["A"], ["D"]]


def test_a_groups_workers_all_finish_in_the_pass_after_their_write_ends():
    """What lets their acks go out as one frame (ADR 0021): finishing one a pass, each was acked alone."""
    inserts, collection = GroupInserts(DocumentLocks()), HeldCollection()
    finished: list[str] = []

    def worker(key):
        inserts.insert(collection, {"_id": key})
        finished.append(key)

    eventlet.spawn(worker, "A")
    eventlet.sleep(0)  # A writes alone and is held
    for key in "BCDEF":
        eventlet.spawn(worker, key)
    eventlet.sleep(0)  # B..F queued behind A's write
    collection.release[0].send()
    for _ in range(3):  # A finishes; the first of B..F to wake writes them all and is held
        eventlet.sleep(0)
    assert finished == ["A"] and len(collection.release) == 2
    collection.release[1].send()
    eventlet.sleep(0)  # the writer finishes as its write returns ...
    eventlet.sleep(0)  # ... and every other worker of its group in the very next pass
    assert sorted(finished) == list("ABCDEF")
    assert collection.written == [["A"], ["B", "C", "D", "E", "F"]]


def test_a_killed_waiter_is_still_written_with_its_group_and_the_others_finish():
    inserts, collection = GroupInserts(DocumentLocks()), HeldCollection()
    first = eventlet.spawn(inserts.insert, collection, {"_id": "A"})
    eventlet.sleep(0)
    waiters = {key: eventlet.spawn(inserts.insert, collection, {"_id": key}) for key in "BC"}
    eventlet.sleep(0)
    waiters["B"].kill()  # while A's write is in flight
    collection.release[0].send()
    assert first.wait() is True
    eventlet.sleep(0)
    collection.release[1].send()
    assert waiters["C"].wait() is True
    assert collection.written == [["A"], ["B", "C"]]


def test_workers_started_in_one_pass_share_one_write():
    """The deliveries of one read from the broker start their workers in one pass: the first to insert
    waits that pass out, so the others join its write instead of queueing behind a write of one."""
    inserts, collection = GroupInserts(DocumentLocks()), SlowCollection()
    workers = [eventlet.spawn(inserts.insert, collection, {"_id": key}) for key in "ABCDE"]
    assert [worker.wait() for worker in workers] == [True] * 5
    assert collection.written == [["A", "B", "C", "D", "E"]]


def test_what_a_write_raises_is_the_error_of_each_worker_of_its_group_and_the_next_write_goes_on():
    groups, written = GroupCommit(), []

    def refused(group):
        raise ValueError("the store refused the write")

    def worker(key):
        queued = Queued(key)
        groups.join("trail", queued, refused)
        try:
            return queued.outcome()
        except ValueError as exc:
            return str(exc)

    workers = [eventlet.spawn(worker, key) for key in "ABC"]
    assert [gt.wait() for gt in workers] == ["the store refused the write"] * 3

    def accepted(group):
        written.append([queued.value for queued in group])
        for queued in group:
            queued.result = True

    queued = Queued("D")
    groups.join("trail", queued, accepted)
    assert queued.outcome() is True and written == [["D"]]
