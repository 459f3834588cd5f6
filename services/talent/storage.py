"""Talent's records behind the names its service uses: the roster (units, cadres), the appraisal results
it learnt, and training programmes."""

import logging

from pymongo.errors import BulkWriteError

from services.common.clock import as_date, stored_date
from services.common.errors import Conflict
from services.common.idempotency import ClientKeys
from services.common.paging import ASC, Order, Page, containing, matching
from services.common.storage.documents import with_events
from services.common.storage.records import Records, Storage
from services.talent.models import Cadre, Programme, Result, Unit

log = logging.getLogger(__name__)


class Units(Records):
    """The roster's units; a unit comes back with its id under its own name."""

    document = Unit
    noun = "unit"

    def load(self, unit):
        return unit and {**unit, "unit_id": unit["_id"]}

    order = Order(("_id", ASC))

    def listed(self, cursor, limit, unit_type=None, unit_id=None, name=None) -> Page:
        """The units by id, of a type, or one (a unit administrator's), or with ``name`` in theirs."""
        return self.page({**matching(unit_type=unit_type, _id=unit_id), **containing("name", name)},
                         cursor, limit)

    def known_of(self, unit_ids) -> set[str]:
        """Which of these units are on the roster."""
        return set(self.store.by_ids(Unit, sorted(set(unit_ids)), {"_id": 1}))

    def keep_grade(self, unit_id, fact: dict, event_id) -> None:
        """A-3's fact: the unit's performance grade of a year (MissingTarget: not on the roster)."""
        self.apply_once(unit_id, {"$push": {"performance_grades": fact}}, event_id)


class Cadres(Records):
    """The roster's cadres with the facts eligibility is computed from (L-3). A cadre comes back with its
    id under its own name and its birth date as a date."""

    document = Cadre
    noun = "cadre"
    dates = ("birth_date", "post_since")
    version_field = "revision"  # a cadre's ETag is its roster revision (PATCH /cadres/{id})

    def load(self, cadre):
        return cadre and {**cadre, "cadre_id": cadre["_id"], "birth_date": as_date(cadre["birth_date"]),
                          "post_since": as_date(cadre.get("post_since"))}

    def register(self, new) -> dict:
        """A new cadre and its registration event, written as built: a roster import writes
        thousands (DuplicateKeyError: registered)."""
        stored = self._stored(new)
        self.collection.insert_one(stored)
        self.store.known(Cadre).add([stored["_id"]])
        return self.load(stored)

    def register_all(self, new) -> None:
        """Many new cadres in one write (a roster import)."""
        if not new:
            return
        try:
            self.collection.insert_many([self._stored(cadre) for cadre in new], ordered=False)
        except BulkWriteError as exc:  # registered meanwhile by someone else: said, not hidden
            raise Conflict("some cadres were registered while the import ran; run it again",
                           code="IMPORT_RACED",
                           details={"inserted": exc.details.get("nInserted")}) from None
        self.store.known(Cadre).add(cadre.set["cadre_id"] for cadre in new)

    def _stored(self, new) -> dict:
        facts = dict(new.set)
        stored = {"_id": facts.pop("cadre_id"), **facts,
                  "birth_date": stored_date(facts["birth_date"]),
                  "post_since": facts["post_since"] and stored_date(facts["post_since"])}
        return with_events(stored, self.store.envelopes(new.events))

    def by_ids(self, cadre_ids) -> dict[str, dict]:
        return {key: self.load(cadre) for key, cadre in self.store.by_ids(Cadre, cadre_ids).items()}

    def seen(self, cadre_ids) -> None:
        """Cadres just read: they exist (their results come later, a unit at a time)."""
        self.store.known(Cadre).add(cadre_ids)

    def on_roster(self, cadre_id) -> bool:
        """Whether the cadre is on the roster, asked of the store once per cadre at most: results come
        a unit's cycle at a time, so a miss learns the cadre's whole unit with two lookups."""
        return self.store.known(Cadre).exist(cadre_id, self._with_unit)

    def _with_unit(self, cadre_id) -> list[str]:
        cadre = self.collection.find_one({"_id": cadre_id}, {"unit_id": 1})
        if cadre is None:
            return []
        return [cadre_id, *(c["_id"] for c in self.collection.find({"unit_id": cadre["unit_id"]},
                                                                   {"_id": 1}))]

    def roster(self, cursor, limit, offset=0, name=None, **equal) -> Page:
        """The roster (or a unit's, or the cadres with ``name`` in theirs), by cadre id."""
        return self.page({**matching(**equal), **containing("name", name)}, cursor, limit,
                         Order(("_id", ASC)), skip=offset)

    def in_unit(self, unit_id=None) -> list[dict]:
        return [self.load(cadre) for cadre in self.collection.find({"unit_id": unit_id} if unit_id
                                                                   else {})]

    def in_pool(self) -> list[dict]:
        """Cadres ever nominated to the lion-type pool (L-1)."""
        return [self.load(cadre) for cadre in self.collection.find({"pool.status": {"$exists": True}})]

    def keep(self, cadre_id, field: str, fact: dict, event_id) -> None:
        """A fact whose keeping depends on nothing else in the record: one guarded write, no read
        first. The version is bumped all the same, so a read-decide-write running meanwhile decides
        again with this fact in view (MissingTarget: not on the roster)."""
        self.apply_once(cadre_id, {"$push": {field: fact}, "$inc": {"version": 1}}, event_id)


class Results(Records):
    """An appraisal result as talent received it, the fact A-5 reads: its own document under the id of
    the event it came in (ADR 0017), so keeping it is an insert, grouped with other workers', and the
    same event again collides on ``_id``. Stored raw, with the payload's fields and ``event_id``."""

    document = Result
    noun = "result"

    def keep(self, result: dict) -> None:
        if not self.store.insert_new(Result, {"_id": result["event_id"], **result}):
            # the inbox's wording (storage/inbox.py), which operators and the slice test look for
            log.info("event %s was already applied to %s %s; ignored", result["event_id"],
                     Result._get_collection_name(), result["event_id"])

    # past this many cadres one read of every result costs less than a lookup each
    READ_ALL_FROM = 2000

    def of_cadres(self, cadre_ids) -> dict[str, list]:
        cadre_ids = list(cadre_ids)
        if len(cadre_ids) < self.READ_ALL_FROM:
            return self.store.by_field(Result, "cadre_id", cadre_ids, {"_id": 0})
        wanted, found = set(cadre_ids), {cadre_id: [] for cadre_id in cadre_ids}
        for result in self.collection.find({}, {"_id": 0}):
            if result["cadre_id"] in wanted:
                found[result["cadre_id"]].append(result)
        return found


class Programmes(Records):
    document = Programme
    noun = "programme"
    newest_by = "created_at"


class TalentStorage(Storage):
    client_keys = ClientKeys  # safe retries of the commands that create something
    units = Units
    cadres = Cadres
    results = Results
    programmes = Programmes
