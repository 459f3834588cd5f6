"""Grouped inserts of new copies (Store.insert_new, inbox.project(new=True)) on the real store.

Workers that insert at the same time share one ``insert_many``; a taken ``_id`` is reported to its
own worker only, and a registration's copy falls back to the guarded write when the copy exists.
"""

import uuid
from datetime import UTC, datetime

import pytest
from pymongo import MongoClient
from pymongo.errors import ConnectionFailure

from services.common.messaging.events import ReceivedEvent
from services.common.storage.inbox import APPLIED, project_event
from services.common.storage.store import Store
from services.talent.models import Cadre
from tests.helpers import Commands, together


@pytest.fixture
def watched(mongo_uri, db_prefix):
    inserts = Commands()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[inserts])
    yield Store(client[f"{db_prefix}care"], [Cadre]), inserts
    client.close()


def test_concurrent_inserts_go_to_the_store_together(watched):
    store, inserts = watched
    docs = [{"_id": f"C{i:03d}", "unit_id": "U1"} for i in range(30)]
    results = together(*[lambda doc=doc: store.insert_new(Cadre, doc) for doc in docs])
    assert results == [True] * 30
    assert sorted(d["_id"] for d in store.collection(Cadre).find()) == [d["_id"] for d in docs]
    # the first worker writes alone at once; the other 29 queued meanwhile and go in the next write
    assert sum(inserts.inserted()) == 30 and len(inserts.inserted()) <= 3, inserts.inserted()


def test_a_taken_id_is_reported_to_its_own_worker_and_left_as_it_was(watched):
    store, inserts = watched
    store.collection(Cadre).insert_one({"_id": "C005", "unit_id": "OLD"})
    docs = [{"_id": f"C{i:03d}", "unit_id": "NEW"} for i in range(10)]
    results = together(*[lambda doc=doc: store.insert_new(Cadre, doc) for doc in docs])
    assert results == [i != 5 for i in range(10)]
    assert store.collection(Cadre).find_one({"_id": "C005"})["unit_id"] == "OLD"
    assert store.collection(Cadre).count_documents({"unit_id": "NEW"}) == 9


def test_the_same_id_twice_in_one_group_is_inserted_once(watched):
    store, _ = watched
    first, *rest = together(*[lambda i=i: store.insert_new(Cadre, {"_id": "C1", "n": i}) for i in range(5)])
    assert first is True and rest == [False] * 4
    assert list(store.collection(Cadre).find()) == [{"_id": "C1", "n": 0}]


def test_a_store_that_cannot_be_reached_fails_every_worker_in_the_group():
    client = MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=300, connect=False)
    store = Store(client["nowhere"], [Cadre])

    def insert(i):
        try:
            store.insert_new(Cadre, {"_id": f"C{i}"})
        except ConnectionFailure:
            return "failed"
        return "inserted"

    assert together(*[lambda i=i: insert(i) for i in range(4)]) == ["failed"] * 4
    client.close()


def registered(cadre_id, revision, name="张三", event_id=None):
    return ReceivedEvent(event_id=event_id or str(uuid.uuid4()), event_type="talent.cadre_registered",
                         schema_version=1, occurred_at=datetime.now(UTC), producer="talent",
                         correlation_id=None, actor=None,
                         payload={"cadre_id": cadre_id, "unit_id": "U1", "name": name,
                                  "revision": revision})


def test_a_registration_copy_is_what_the_guarded_write_would_have_made(watched):
    store, inserts = watched
    assert project_event(store, Cadre, "cadre_id", registered("C1", 1, event_id="e1"), new=True)
    assert project_event(store, Cadre, "cadre_id", registered("C2", 1, event_id="e2"))
    inserted, upserted = (store.collection(Cadre).find_one({"_id": key}, {"_id": 0}) for key in ("C1", "C2"))
    assert inserted == {**upserted, "cadre_id": "C1", APPLIED: ["e1"]}
    assert upserted == {"cadre_id": "C2", "unit_id": "U1", "name": "张三", "revision": 1, APPLIED: ["e2"]}
    assert inserts.inserted() == [1]  # C1 only: C2 went the guarded way


def test_a_registration_after_a_newer_update_or_twice_changes_nothing(watched):
    store, _ = watched
    event = registered("C1", 1, event_id="e1")
    newer = registered("C1", 2, name="新名", event_id="e2")
    assert project_event(store, Cadre, "cadre_id", newer)  # cadre_updated, delivered first
    assert not project_event(store, Cadre, "cadre_id", event, new=True)
    assert store.collection(Cadre).find_one({"_id": "C1"})[APPLIED] == ["e2"]
    assert store.collection(Cadre).find_one({"_id": "C1"})["name"] == "新名"

    store.collection(Cadre).delete_many({})
    assert project_event(store, Cadre, "cadre_id", event, new=True)
    assert not project_event(store, Cadre, "cadre_id", event, new=True)  # redelivered
    assert store.collection(Cadre).find_one({"_id": "C1"})[APPLIED] == ["e1"]
