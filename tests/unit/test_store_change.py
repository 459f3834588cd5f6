"""``Store.change``, the one way to change a record by what it holds: read, decide, write under the
record's version, a lost race decided again a bounded number of times. The races are forced: the
decision itself lets another writer in between the read and the write, as another process would (the
store's document lock keeps the workers of one process out of that window)."""

import mongomock
import pytest
from mongoengine import IntField, ListField, StringField

from services.common.decision import NOTHING, Change, Event
from services.common.errors import Conflict
from services.common.messaging.events import EventSchema
from services.common.storage.documents import Aggregate
from services.common.storage.store import WRITE_ATTEMPTS, Contended, MissingTarget, Store


class Counter(Aggregate):
    meta = {"collection": "counters"}

    counter_id = StringField(primary_key=True)
    count = IntField(default=0)
    seen = ListField(StringField())


class Counted(EventSchema):
    event_type = "unit.counted"


@pytest.fixture
def store():
    database = mongomock.MongoClient(tz_aware=True)["unit"]
    store = Store(database, [Counter], emit=lambda schema, payload: {
        "event_id": f"e{payload['count']}", "event_type": schema.event_type, "payload": payload})
    store.collection(Counter).insert_one({"_id": "c", "count": 0, "seen": [], "version": 1})
    return store


def add_one(counter):
    return Change(set={"count": counter["count"] + 1}, append={"seen": [f"at {counter['count']}"]},
                  events=[Event(Counted, {"count": counter["count"] + 1})])


def meddling(store, times):
    """A decision that lets another process write the record ``times`` times, between its read
    and its write."""
    decided = []

    def decide(counter):
        decided.append(counter["count"])
        if len(decided) <= times:
            store.collection(Counter).update_one({"_id": "c"}, {"$inc": {"count": 10, "version": 1}})
        return add_one(counter)
    return decide, decided


def test_a_change_is_written_with_its_events_and_the_version_bumped(store):
    written = store.change(Counter, "c", add_one)
    stored = store.collection(Counter).find_one({"_id": "c"})
    assert (stored["count"], stored["version"], stored["seen"]) == (1, 2, ["at 0"])
    assert [e["event_type"] for e in stored["pending_events"]] == ["unit.counted"]
    assert stored["outbox_pending"] is True
    assert {k: written[k] for k in ("count", "version", "seen")} == {"count": 1, "version": 2,
                                                                     "seen": ["at 0"]}


def test_a_lost_race_is_read_and_decided_again(store):
    decide, decided = meddling(store, times=2)
    store.change(Counter, "c", decide)
    assert decided == [0, 10, 20]  # decided on what the other writer left, each time
    assert store.collection(Counter).find_one({"_id": "c"})["count"] == 21


def test_a_record_that_keeps_changing_is_a_conflict_after_the_attempts(store):
    decide, decided = meddling(store, times=WRITE_ATTEMPTS)
    with pytest.raises(Conflict) as refused:
        store.change(Counter, "c", decide, what="counter c")
    assert refused.value.code == "CONCURRENT_UPDATE" and "counter c" in refused.value.message
    assert len(decided) == WRITE_ATTEMPTS
    assert store.collection(Counter).find_one({"_id": "c"})["count"] == 10 * WRITE_ATTEMPTS


def test_for_an_event_it_is_contended_which_the_consumer_retries_as_an_outage(store):
    decide, _ = meddling(store, times=WRITE_ATTEMPTS)
    with pytest.raises(Contended) as refused:
        store.change(Counter, "c", decide, event_id="ev-1")
    assert refused.value.code == "CONTENDED"


def test_an_events_effect_is_applied_once(store):
    store.change(Counter, "c", add_one, event_id="ev-1")
    again = store.change(Counter, "c", add_one, event_id="ev-1")
    assert again["count"] == 1 and again["applied_events"] == ["ev-1"]


def test_nothing_to_change_writes_nothing(store):
    assert store.change(Counter, "c", lambda counter: NOTHING)["version"] == 1
    assert store.collection(Counter).find_one({"_id": "c"})["version"] == 1


def test_a_missing_record_is_missing_unless_the_decision_may_make_it(store):
    with pytest.raises(MissingTarget):
        store.change(Counter, "nope", add_one)
    made = store.change(Counter, "new", lambda counter: Change(set={"count": 5}), create=True)
    assert (made["_id"], made["count"], made["version"]) == ("new", 5, 1)


def test_a_record_made_meanwhile_is_decided_on_as_made(store):
    decided = []

    def decide(counter):
        decided.append(counter)
        if counter is None:  # another process makes it between the read and the insert
            store.collection(Counter).insert_one({"_id": "raced", "count": 7, "version": 1})
            return Change(set={"count": 1})
        return add_one(counter)
    made = store.change(Counter, "raced", decide, create=True)
    assert decided[0] is None and decided[1]["count"] == 7
    assert made["count"] == 8
