"""Talent keeps each appraisal result as its own document (ADR 0017), on the real store.

The handler runs in a nameko ``worker_factory`` worker whose store is watched by a command listener:
the result is inserted under its event id, and the roster check learns a unit's cadres at once, so a
unit's results cost two cadre lookups however many there are and however many workers ask together.
"""

import uuid
from datetime import UTC, date, datetime

import eventlet
import pytest
from nameko.testing.services import worker_factory
from pymongo import MongoClient

from services.common.errors import NotFound
from services.common.messaging.events import ReceivedEvent, build_envelope
from services.common.storage.ferretdb import KnownIds
from services.common.storage.store import Store
from services.talent.models import Cadre, Result
from services.talent.service import TalentService
from services.talent.storage import TalentStorage
from tests.helpers import Commands, roster_file, together

FINALIZED_AT = datetime(2026, 1, 5, tzinfo=UTC)


def envelope(schema_cls, payload):
    """The outbox's event builder alone: the registrations an import writes into each cadre."""
    return build_envelope(schema_cls, payload, producer="talent")


def worker(database):
    """A talent worker on this database, each its own process as far as known ids go."""
    store = Store(database, TalentStorage.documents(), emit=envelope)
    return worker_factory(TalentService, store=TalentStorage(store)), store


@pytest.fixture
def watched(mongo_uri, db_prefix):
    commands = Commands()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[commands])
    database = client[f"{db_prefix}talent"]
    database.cadres.insert_many([{"_id": f"C{i:02d}", "unit_id": "U1" if i < 20 else "U2"}
                                 for i in range(25)])
    database.units.insert_one({"_id": "U3", "name": "新区", "unit_type": "STREET"})
    service, store = worker(database)
    store.ensure_indexes()
    commands.seen.clear()  # the fixture's own writes
    yield service, store, commands
    client.close()


def finalized(cadre_id, event_id=None):
    return ReceivedEvent(
        event_id=event_id or uuid.uuid4().hex, event_type="appraisal.result_finalized", schema_version=1,
        occurred_at=FINALIZED_AT, producer="appraisal", actor=None, correlation_id=None,
        payload={"cycle_id": "cy1", "cadre_id": cadre_id, "year": 2025, "kind": "ANNUAL",
                 "grade": "EXCELLENT", "finalized_at": FINALIZED_AT})


def test_a_result_is_a_document_under_its_event_id(watched):
    service, store, _ = watched
    event = finalized("C00")
    service.on_result_finalized(event)
    assert store.collection(Result).find_one({"_id": event.event_id}) == {
        "_id": event.event_id, **event.payload, "event_id": event.event_id}


def test_the_same_event_twice_is_kept_once(watched):
    service, store, _ = watched
    event = finalized("C00")
    service.on_result_finalized(event)
    service.on_result_finalized(event)
    assert store.collection(Result).count_documents({"cadre_id": "C00"}) == 1


def test_a_units_results_check_the_roster_with_two_lookups(watched):
    service, store, commands = watched
    together(*[lambda i=i: service.on_result_finalized(finalized(f"C{i:02d}")) for i in range(20)])
    assert store.collection(Result).count_documents({}) == 20
    # C00's own lookup and its unit's cadres, once, though ten workers missed together
    assert commands.count("find", "cadres") == 2
    service.on_result_finalized(finalized("C20"))  # another unit: learnt the same way
    assert commands.count("find", "cadres") == 4


def test_a_cadre_registered_after_its_unit_was_learnt_is_found(watched):
    service, store, _ = watched
    service.on_result_finalized(finalized("C00"))
    store.collection(Cadre).insert_one({"_id": "C99", "unit_id": "U1"})
    service.on_result_finalized(finalized("C99"))
    assert store.collection(Result).count_documents({"cadre_id": "C99"}) == 1


def test_a_result_for_a_cadre_not_on_the_roster_is_refused_every_time(watched):
    service, store, commands = watched
    for _ in range(2):  # a miss is not remembered: the retry asks again
        with pytest.raises(NotFound) as caught:
            service.on_result_finalized(finalized("GHOST"))
        assert caught.value.code == "CADRE_NOT_FOUND"
    assert commands.count("find", "cadres") == 2
    assert store.collection(Result).count_documents({}) == 0


def test_known_ids_asks_the_store_once_for_workers_missing_together():
    known, asked = KnownIds(), []

    def learn(key):
        asked.append(key)
        eventlet.sleep(0.01)  # the store's round trip, during which the others miss
        return ["a", "b", "c"]

    assert together(*[lambda key=key: known.exist(key, learn) for key in "abcab"]) == [True] * 5
    assert asked == ["a"]
    assert not known.exist("z", learn) and asked == ["a", "z"]


def roster(*cadre_ids):
    return roster_file(f"{c},干部,U3,SECTION,false,false,1985-01-01,1,10" for c in cadre_ids)


def results_of(service, *cadre_ids):
    together(*[lambda c=c: service.on_result_finalized(finalized(c)) for c in cadre_ids])


def test_cadres_imported_here_need_no_roster_lookup_for_their_results(watched):
    service, store, commands = watched
    assert service.import_roster(roster("N0", "N1", "N2"))["imported"] == 3
    commands.seen.clear()
    results_of(service, "N0", "N1", "N2")
    assert commands.count("find", "cadres") == 0
    assert sorted(r["cadre_id"] for r in store.collection(Result).find({"year": 2025})) == ["N0", "N1", "N2"]


def test_a_rerun_import_makes_its_unchanged_cadres_known_too(watched):
    service, store, commands = watched
    service.import_roster(roster("N0", "N1"))
    # another process: nothing known yet, until its own import finds the rows unchanged
    other, _ = worker(store.database)
    assert other.import_roster(roster("N0", "N1"))["unchanged"] == 2
    commands.seen.clear()
    results_of(other, "N0", "N1")
    assert commands.count("find", "cadres") == 0


def test_a_cadre_registered_here_needs_no_roster_lookup(watched):
    service, store, commands = watched
    service.register_cadre("R1", "U3", name="新任", level="SECTION", is_leader=False, is_principal=False,
                           birth_date=date(1990, 2, 3), grassroots_years=0, service_years=2)
    commands.seen.clear()
    results_of(service, "R1")
    assert commands.count("find", "cadres") == 0
    assert store.collection(Result).count_documents({"cadre_id": "R1"}) == 1


def test_a_refused_import_makes_nothing_known(watched):
    service, store, commands = watched
    report = service.import_roster(roster_file(["N0,干部,U3,SECTION,false,false,1985-01-01,1,10",
                                                "N1,干部,NOWHERE,SECTION,false,false,1985-01-01,1,10"]))
    assert report["imported"] == 0 and report["errors"]
    with pytest.raises(NotFound):
        service.on_result_finalized(finalized("N0"))
