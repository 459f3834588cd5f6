"""Appraisal's records behind the names its service uses: cycles with their results, unit grades,
commendations, the A-6 restrictions it learnt from accountability, and its copies of talent's roster."""

from dataclasses import replace

from services.appraisal import rules
from services.appraisal.models import (
    CadreCopy,
    Commendation,
    Cycle,
    QuotaGroup,
    Restriction,
    UnitCopy,
    UnitGrade,
)
from services.common.idempotency import ClientKeys
from services.common.paging import ASC, DESC, Order
from services.common.storage.records import Copies, Records, Storage


class Cycles(Records):
    document = Cycle
    noun = "cycle"
    newest_by = "opened_at"

    def id_of(self, unit_id, year, kind) -> str | None:
        found = self.collection.find_one({"unit_id": unit_id, "year": year, "kind": kind}, {"_id": 1})
        return found and found["_id"]

    def annual(self, unit_id, year) -> dict | None:
        return self.collection.find_one({"unit_id": unit_id, "year": year, "kind": rules.ANNUAL})

    def open_ones(self, unit_id=None, limit=50) -> list[dict]:
        """Work lists: the open cycles, of a unit or all, oldest opened first."""
        query = {"status": rules.OPEN, **({"unit_id": unit_id} if unit_id else {})}
        return list(self.collection.find(query).sort([("opened_at", 1), ("_id", 1)]).limit(limit))

    def of_ids(self, cycle_ids) -> list[dict]:
        return list(self.collection.find({"_id": {"$in": list(cycle_ids)}}))

    def change(self, key, decide, **options):
        """``Records.change``, keeping ``graded`` (the cadres with a result) beside the results:
        a lookup by cadre is then an equality the store answers from an index, where one into the
        results would read every cycle."""
        def with_graded(cycle):
            change = decide(cycle)
            results = change.set.get("results", (cycle or {}).get("results"))
            if not change.set or results is None:
                return change
            return replace(change, set={**change.set, "graded": graded(results)})
        return super().change(key, with_graded, **options)

    def results_of(self, cadre_id) -> list[dict]:
        """A-7: the cadre's results in finalized cycles, newest year first, each with its cycle."""
        cycles = self.collection.find({"graded": cadre_id, "status": rules.FINALIZED}).sort("year", -1)
        return [{**result, "cycle_id": cycle["_id"], "unit_id": cycle["unit_id"],
                 "year": cycle["year"], "kind": cycle["kind"],
                 "finalized_at": cycle.get("finalized_at")}
                for cycle in cycles for result in cycle["results"] if result["cadre_id"] == cadre_id]


    def index_graded(self) -> int:
        """Cycles written before ``graded`` was kept get it, once (each under its version: one
        changed meanwhile has it already). Returns how many."""
        done = 0
        for cycle in self.collection.find({"graded": {"$exists": False}},
                                          {"results": 1, "version": 1}):
            done += self.store.update_one(
                Cycle, {"_id": cycle["_id"], "version": cycle.get("version")},
                {"$set": {"graded": graded(cycle.get("results") or [])}}).modified_count
        return done


def graded(results) -> list[str]:
    return sorted({result["cadre_id"] for result in results})


class QuotaGroups(Records):
    """A-1 (v2): quota groups of a year's annual cycles (合并计算)."""

    document = QuotaGroup
    noun = "quota group"
    newest_by = "created_at"


class UnitGrades(Records):
    """A unit's performance grade of a year, ``_id`` ``<unit_id>:<year>``: it gates A-2."""

    document = UnitGrade
    noun = "unit grade"
    order = Order(("year", DESC), ("unit_id", ASC))  # the latest year first, units in order

    def grade_of(self, unit_id, year) -> str | None:
        graded = self.get(f"{unit_id}:{year}")
        return graded and graded["grade"]


class Commendations(Records):
    document = Commendation
    noun = "commendation"
    # by year, the latest first; in a year the typical examples (announced) first, then in order
    order = Order(("year", DESC), ("typical_example", DESC), ("awarded_at", ASC))


class Restrictions(Records):
    """A-6: a sanction decided on a cadre in a year, under its case's id, and whether it was lifted.
    The sanction and its lifting may arrive in either order: each event upserts its half."""

    document = Restriction
    noun = "restriction"

    def keep(self, case_id, facts: dict | None, event_id) -> None:
        if not facts:
            return
        self.apply_once(case_id, {"$set": {"case_id": case_id, **facts}}, event_id, upsert=True)

    def of_cadre(self, cadre_id) -> list[dict]:
        return list(self.collection.find({"cadre_id": cadre_id}))

    def by_cadre(self, year, cadre_ids) -> dict[str, list]:
        """The restrictions of these cadres, by cadre. One cadre (a grade recorded): its own. More (a
        unit graded or finalized): one query by year (an indexed equality) for the whole unit, where
        one lookup per cadre cost a store command each -- cheaper while a year has fewer than about
        240 sanctions (docs/performance-archive.md). A restriction without a year (only its lifting
        has come) is the rule's to ignore."""
        if len(cadre_ids) == 1:
            return {cadre_ids[0]: self.of_cadre(cadre_ids[0])}
        found: dict[str, list] = {}
        for restriction in self.collection.find({"year": year}):
            found.setdefault(restriction.get("cadre_id"), []).append(restriction)
        return found


class Units(Copies):
    document = UnitCopy
    key = "unit_id"


class Cadres(Copies):
    document = CadreCopy
    key = "cadre_id"

    def for_grading(self, unit_id, cadre_ids) -> tuple[dict[str, dict], list[dict] | None]:
        """The cadres graded, by id, and -- if they were read -- every cadre of the unit: the unit in
        one query (an equality FerretDB answers in PostgreSQL, where ``$in`` reads the collection);
        any other one by its id (it is refused, but how depends on whether it exists)."""
        wanted = set(cadre_ids)
        in_unit = None if len(wanted) == 1 else list(self.collection.find({"unit_id": unit_id}))
        found = {c["_id"]: c for c in in_unit or () if c["_id"] in wanted}
        for cadre_id in wanted - found.keys():
            cadre = self.get(cadre_id)
            if cadre is not None:
                found[cadre_id] = cadre
        return found, in_unit

    def of_unit(self, unit_id) -> list[dict]:
        """The unit's cadres: a new annual cycle's participants are listed from them (A-1)."""
        return list(self.collection.find({"unit_id": unit_id}))

    def names(self, cadre_ids) -> dict[str, str]:
        """Names by cadre id, for a refusal that names people (A-1)."""
        if not cadre_ids:
            return {}
        return {c["_id"]: c.get("name") for c in
                self.collection.find({"_id": {"$in": list(cadre_ids)}}, {"name": 1})}


class AppraisalStorage(Storage):
    client_keys = ClientKeys  # safe retries of the commands that create something

    def upkeep(self) -> None:
        self.cycles.index_graded()

    cycles = Cycles
    quota_groups = QuotaGroups
    unit_grades = UnitGrades
    commendations = Commendations
    restrictions = Restrictions
    units = Units
    cadres = Cadres
