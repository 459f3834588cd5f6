"""Appraisal: cycles, grades and finalization; keeps its own copy of talent's roster."""

import uuid
from decimal import Decimal

from nameko.dependency_providers import Config
from pymongo.errors import DuplicateKeyError

from services.appraisal import rules
from services.appraisal.events import (
    CadreClearedIn,
    CadreRegisteredIn,
    CadreUpdatedIn,
    CommendationAwarded,
    ResultAmended,
    ResultFinalized,
    RulingMadeIn,
    SanctionDecidedIn,
    UnitGraded,
    UnitRegisteredIn,
)
from services.appraisal.models import (
    CadreCopy,
    Commendation,
    Cycle,
    Restriction,
    UnitCopy,
    UnitGrade,
)
from services.appraisal.schemas import (
    AmendResultSchema,
    CadreIdSchema,
    CadreResultSchema,
    CommendationSchema,
    CommendSchema,
    CycleIdSchema,
    CycleSchema,
    GradeUnitSchema,
    OpenCycleSchema,
    QuotaSchema,
    RecordGradeSchema,
    RecordGradesSchema,
    UnitGradeSchema,
    UnitYearSchema,
    YearSchema,
)
from services.common.boundary.rpc import rpc
from services.common.boundary.security import (
    ANY,
    CADRE,
    CARE_OFFICER,
    DISCIPLINE_OFFICER,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
)
from services.common.clock import business_year, utcnow
from services.common.errors import Conflict, DomainError, Forbidden, NotFound
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox, push_events
from services.common.service import ServiceBase
from services.common.storage.inbox import apply_once, project_event
from services.common.storage.store import MongoStore

# a unit's own appraisal is run by the unit, under the organisation department (docs/permissions.md)
RUN_CYCLE = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT}
# the year's commendations are announced (表彰通报): everyone but the auditor reads them
READ_COMMENDATIONS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: ANY,
                      CADRE: ANY}
# a cadre reads their own results and the reasons
READ_RESULTS = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}

# commendation ids derive from what was commended (uuid5), so a retried request awards nothing twice
COMMENDATION_IDS = uuid.UUID("3f0c2a4e-8d1b-4c6a-b2f9-5e7d1a9c0b42")

# a write lost to a concurrent one on the same cycle is re-read and retried this many times
WRITE_ATTEMPTS = 5


class AppraisalService(ServiceBase):
    name = "appraisal"

    config = Config()
    store = MongoStore(Cycle, UnitGrade, Commendation, UnitCopy, CadreCopy, Restriction)
    outbox = Outbox(Cycle, UnitGrade, Commendation)

    @rpc(request=OpenCycleSchema, response=CycleSchema, allow=RUN_CYCLE)
    def open_cycle(self, unit_id, year, kind):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        rules.ensure_not_future(year, business_year(utcnow(), self.config))
        self._unit(unit_id)
        cycle = Cycle(cycle_id=uuid.uuid4().hex, unit_id=unit_id, year=year, kind=kind,
                      opened_at=utcnow())
        try:
            self.store.insert(cycle)
        except DuplicateKeyError:
            existing = self.store.collection(Cycle).find_one(
                {"unit_id": unit_id, "year": year, "kind": kind}, {"_id": 1})
            raise Conflict(f"unit {unit_id} already has a {kind} cycle for {year}",
                           code="CYCLE_EXISTS",
                           details={"cycle_id": existing and existing["_id"]}) from None
        return self._cycle(cycle.cycle_id)

    @rpc(request=RecordGradeSchema, response=CycleSchema, allow=RUN_CYCLE)
    def record_grade(self, cycle_id, cadre_id, grade, comment=None):
        return self._record_grades(cycle_id, [{"cadre_id": cadre_id, "grade": grade,
                                               "comment": comment}])

    @rpc(request=RecordGradesSchema, response=CycleSchema, allow=RUN_CYCLE)
    def record_grades(self, cycle_id, grades):
        """A unit's grades in one call and one write: each checked as ``record_grade`` checks
        it, in the order given (the quota counts the earlier rows); if one is refused, none is
        recorded and the refusal names its row."""
        return self._record_grades(cycle_id, grades)

    def _record_grades(self, cycle_id, grades):
        cadres = in_unit = None
        for _ in range(WRITE_ATTEMPTS):
            cycle = self._cycle(cycle_id)
            if cadres is None:
                cadres, in_unit = self._cadres_for(cycle, [row["cadre_id"] for row in grades])
            # what every row is checked against, read once per attempt; the first counts the
            # participants in the unit's cadres it has just read
            terms = self._quota_terms(cycle, in_unit)
            in_unit = None
            unit_grade = self._unit_grade(cycle["unit_id"], cycle["year"])
            bars = self._restrictions_by_cadre(
                cycle, [g["cadre_id"] for g in grades if g["grade"] == rules.EXCELLENT])
            results, now = cycle["results"], utcnow()
            for row, graded in enumerate(grades):
                try:
                    results = self._graded(cycle, results, cadres.get(graded["cadre_id"]), terms,
                                           unit_grade, bars, now, **graded)
                except DomainError as exc:
                    if len(grades) > 1:
                        exc.details = {**exc.details, "row": row, "cadre_id": graded["cadre_id"]}
                    raise
            # the version check makes the quota count and this write one atomic step; written only
            # if unchanged since read, so the cycle is what was read plus this update (as finalize)
            if self._write(cycle, {"$set": {"results": results}}):
                return {**cycle, "results": results, "version": cycle["version"] + 1}
        raise self._busy(cycle_id)

    def _cadres_for(self, cycle, cadre_ids):
        """The cadres graded, as appraisal knows them, and every cadre of the unit if they were
        read: the cycle's unit in one query (FerretDB answers an equality in PostgreSQL, an
        ``$in`` only by reading the collection); any other one by its id -- it is refused, but
        how depends on whether it exists."""
        collection = self.store.collection(CadreCopy)
        wanted = set(cadre_ids)
        in_unit = None if len(wanted) == 1 else list(collection.find({"unit_id": cycle["unit_id"]}))
        found = {c["_id"]: c for c in in_unit or () if c["_id"] in wanted}
        for cadre_id in wanted - found.keys():
            cadre = collection.find_one({"_id": cadre_id})
            if cadre is not None:
                found[cadre_id] = cadre
        return found, in_unit

    def _graded(self, cycle, results, cadre, terms, unit_grade, bars, now, cadre_id, grade,
                comment=None):
        """``results`` with this grade recorded, or the refusal of the rule it breaks."""
        # a unit admin learns nothing about cadres outside their unit, existing or not
        self.access.check(unit_id=cadre["unit_id"] if cadre else None)
        rules.ensure_open(cycle)
        if cadre is None:
            raise self._unknown_cadre(cadre_id)
        rules.ensure_cadre_in_unit(cycle, cadre)
        if cadre.get("is_principal") and not self.access.unrestricted:
            # principal leaders are appraised by the city, not by their own unit
            raise Forbidden("a unit's principal leaders are graded by the organisation "
                            "department, not by the unit", rule="A-1",
                            details={"cadre_id": cadre_id})
        already = any(r["cadre_id"] == cadre_id and r["grade"] == rules.EXCELLENT for r in results)
        rules.check_excellent_quota(cycle["kind"], grade, cadre,
                                    rules.quota(*terms, rules.excellent_used(results)),
                                    already_excellent=already)
        rules.check_principal_excellent(
            cycle["kind"], grade, cadre, unit_grade,
            requires_merit=self._policy("PRINCIPAL_EXCELLENT_REQUIRES_MERIT_UNIT", True))
        rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"],
                                          bars.get(cadre_id, []), cadre_id)
        return rules.with_grade(results, cadre, grade, now, comment)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow={ORG_ADMIN: ANY})
    def finalize_cycle(self, cycle_id):
        for _ in range(WRITE_ATTEMPTS):
            cycle = self._cycle(cycle_id)
            rules.ensure_open(cycle)
            rules.check_quota_at_finalize(cycle["kind"], self._quota(cycle))
            # A-6 again: a sanction may have been decided since the grade was recorded
            excellent = [r["cadre_id"] for r in cycle["results"] if r["grade"] == rules.EXCELLENT]
            bars = self._restrictions_by_cadre(cycle, excellent)
            for cadre_id in excellent:
                rules.check_no_sanction_that_year(cycle["kind"], rules.EXCELLENT, cycle["year"],
                                                  bars.get(cadre_id, []), cadre_id)
            now = utcnow()
            events = [self.outbox.event(ResultFinalized, payload)
                      for payload in rules.finalized_results(cycle, now)]
            update = {"$set": {"status": rules.FINALIZED, "finalized_at": now}}
            if self._write(cycle, push_events(update, events)):
                # written only if unchanged since read: the cycle is what was read plus this update,
                # so it is not read again (a cycle with its results is the largest document we have)
                return {**cycle, "status": rules.FINALIZED, "finalized_at": now,
                        "version": cycle["version"] + 1}
        raise self._busy(cycle_id)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow=RUN_CYCLE)
    def get_cycle(self, cycle_id):
        return self._cycle(cycle_id)

    @rpc(request=AmendResultSchema, response=CycleSchema, allow={ORG_ADMIN: ANY})
    def amend_result(self, cycle_id, cadre_id, grade, reason):
        """Correct a finalized result: kept in its history, and republished so that every
        service replaces what the earlier grade caused (DOMAIN.md A)."""
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        for _ in range(WRITE_ATTEMPTS):
            cycle = self._cycle(cycle_id)
            rules.ensure_finalized(cycle)
            if cadre is None:
                raise self._unknown_cadre(cadre_id)
            now = utcnow()
            by = self.access.actor.user_id
            results, previous = rules.amended(cycle["results"], cadre_id, grade, reason, by, now)
            rules.check_excellent_quota(cycle["kind"], grade, cadre, self._quota(cycle),
                                        already_excellent=previous == rules.EXCELLENT)
            rules.check_principal_excellent(
                cycle["kind"], grade, cadre, self._unit_grade(cycle["unit_id"], cycle["year"]),
                requires_merit=self._policy("PRINCIPAL_EXCELLENT_REQUIRES_MERIT_UNIT", True))
            rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"],
                                              self._restrictions(cadre_id), cadre_id)
            event = self.outbox.event(ResultAmended, rules.amendment_payload(
                cycle, cadre_id, grade, previous, reason, now))
            update = push_events({"$set": {"results": results}}, [event])
            if self._write(cycle, update, status=rules.FINALIZED):
                return self._cycle(cycle_id)
        raise self._busy(cycle_id)

    @rpc(request=CadreIdSchema, response=CadreResultSchema, many=True, allow=READ_RESULTS)
    def get_cadre_results(self, cadre_id):
        """A-7: a cadre's finalized results, with the appraisal's comment and any amendment."""
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        self.access.check(unit_id=cadre and cadre["unit_id"], cadre_id=cadre_id,
                          record=("cadre", cadre_id))
        if cadre is None:
            raise self._unknown_cadre(cadre_id)
        cycles = self.store.collection(Cycle).find(
            {"results.cadre_id": cadre_id, "status": rules.FINALIZED}).sort("year", -1)
        return [{**result, "cycle_id": cycle["_id"], "unit_id": cycle["unit_id"],
                 "year": cycle["year"], "kind": cycle["kind"],
                 "finalized_at": cycle.get("finalized_at")}
                for cycle in cycles for result in cycle["results"]
                if result["cadre_id"] == cadre_id]

    @rpc(request=CommendSchema, response=CommendationSchema, allow={ORG_ADMIN: ANY})
    def commend(self, cadre_id, year, kind, deed, typical_example):
        """A-8: a merit citation or commendation for a cadre's deed."""
        self.access.check(cadre_id=cadre_id, record=("cadre", cadre_id))
        now = utcnow()
        rules.ensure_not_future(year, business_year(now, self.config))
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        if cadre is None:
            raise self._unknown_cadre(cadre_id)
        # the same deed commended again (a retried request) is the same commendation
        commendation_id = uuid.uuid5(COMMENDATION_IDS, f"{cadre_id}:{year}:{kind}:{deed}").hex
        commendation = Commendation(
            commendation_id=commendation_id, cadre_id=cadre_id, unit_id=cadre["unit_id"],
            year=year, kind=kind, deed=deed, typical_example=typical_example, awarded_at=now,
            awarded_by=self.access.actor.user_id)
        commendation.pending_events = [self.outbox.event(CommendationAwarded, {
            "commendation_id": commendation_id, "cadre_id": cadre_id,
            "unit_id": cadre["unit_id"], "year": year, "kind": kind, "deed": deed,
            "typical_example": typical_example, "awarded_at": now})]
        try:
            self.store.insert(commendation)
        except DuplicateKeyError:
            pass
        return _commendation(self.store.collection(Commendation).find_one({"_id": commendation_id}))

    @rpc(request=YearSchema, response=CommendationSchema, many=True, allow=READ_COMMENDATIONS)
    def list_commendations(self, year):
        """A-8: the year's commendations, typical examples first (they are announced)."""
        self.access.check(record=("commendations", str(year)))
        found = self.store.collection(Commendation).find({"year": year})
        return sorted(map(_commendation, found),
                      key=lambda c: (not c.get("typical_example"), c["awarded_at"]))

    @rpc(request=GradeUnitSchema, response=UnitGradeSchema, allow={ORG_ADMIN: ANY})
    def grade_unit(self, unit_id, year, grade):
        """A unit's performance grade for a year; it gates A-2 and feeds A-3 and A-4."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        rules.check_unit_grade(grade, self._unit_grades())
        now = utcnow()
        rules.ensure_not_future(year, business_year(now, self.config))
        self._unit(unit_id)
        unit_grade = UnitGrade(grade_id=f"{unit_id}:{year}", unit_id=unit_id, year=year,
                               grade=grade, graded_at=now)
        unit_grade.pending_events = [self.outbox.event(UnitGraded, {
            "unit_id": unit_id, "year": year, "grade": grade, "graded_at": now})]
        try:
            self.store.insert(unit_grade)
        except DuplicateKeyError:
            existing = self.store.collection(UnitGrade).find_one({"_id": unit_grade.grade_id})
            if existing["grade"] == grade:
                return existing  # the same grade again: a retried request, nothing to do
            raise Conflict(f"unit {unit_id} is already graded {existing['grade']} for {year}",
                           code="UNIT_ALREADY_GRADED",
                           details={"grade": existing["grade"]}) from None
        return self.store.collection(UnitGrade).find_one({"_id": unit_grade.grade_id})

    @rpc(request=UnitYearSchema, response=QuotaSchema, allow=RUN_CYCLE)
    def get_unit_quota(self, unit_id, year):
        """Rule A-1: the unit's EXCELLENT quota for a year's annual appraisal, and its use."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        self._unit(unit_id)
        cycle = self.store.collection(Cycle).find_one(
            {"unit_id": unit_id, "year": year, "kind": rules.ANNUAL}) or {
            "unit_id": unit_id, "results": []}
        unit_quota = self._quota(cycle)
        return {"unit_id": unit_id, "year": year, "participants": unit_quota.participants,
                "ratio": unit_quota.ratio, "maximum": unit_quota.maximum, "used": unit_quota.used,
                "remaining": unit_quota.remaining}

    @consume(UnitRegisteredIn)
    def on_unit_registered(self, event):
        project_event(self.store, UnitCopy, "unit_id", event, new=True)

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event)

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        """A-6: the year's EXCELLENT is barred for the sanctioned cadre."""
        sanction = event.payload
        self._restrict(sanction["case_id"], event, {
            "cadre_id": sanction["cadre_id"], "year": sanction["year"],
            "sanctions": sanction["sanctions"], "decided_at": sanction["decided_at"]})

    @consume(RulingMadeIn)
    def on_ruling_made(self, event):
        """T-6: an exempted matter never counts -- the bar its sanction set is lifted, whether the
        sanction arrived before the ruling or arrives after it."""
        ruling = event.payload
        if ruling["outcome"] != "EXEMPTED" or not ruling.get("case_id"):
            return
        self._restrict(ruling["case_id"], event, {"lifted": {
            "rule": "T-6", "by": event.event_type, "application_id": ruling["application_id"],
            "at": ruling["ruled_at"]}})

    @consume(CadreClearedIn)
    def on_cadre_cleared(self, event):
        """C-5 澄清正名: the sanctions decided on a report that proved untrue bar nothing."""
        cleared = event.payload
        for case_id in cleared["case_ids"]:
            self._restrict(case_id, event, {"lifted": {
                "rule": "C-5", "by": event.event_type, "complaint_id": cleared["complaint_id"],
                "at": cleared["cleared_at"]}})

    def _restrict(self, case_id, event, facts):
        """Keyed on the case alone, the cadre taken from the sanction only: a lifting finds its
        sanction whatever cadre its producer names, and in whichever order they arrive."""
        apply_once(self.store, Restriction, {"_id": case_id},
                   {"$set": {"case_id": case_id, **facts}}, event.event_id, upsert=True)

    def _restrictions(self, cadre_id):
        return list(self.store.collection(Restriction).find({"cadre_id": cadre_id}))

    def _restrictions_by_cadre(self, cycle, excellent: list[str]) -> dict[str, list]:
        """A-6's restrictions, by cadre, for the cadres about to be (or kept) EXCELLENT, when its
        rule can apply. One cadre (``record_grade``): its own. More (a unit graded or finalized):
        one query by year (an indexed equality) for the whole unit, where one lookup per EXCELLENT
        cadre cost a store command each, 15 a unit at grading and 15 again at finalize; cheaper
        while a year has fewer than about 240 sanctions (docs/performance.md, round 9). A
        restriction without a year (only its lifting has come) bars nothing (rules.sanction_bars)."""
        if cycle["kind"] != rules.ANNUAL or not excellent:
            return {}
        if len(excellent) == 1:
            return {excellent[0]: self._restrictions(excellent[0])}
        bars: dict[str, list] = {}
        for restriction in self.store.collection(Restriction).find({"year": cycle["year"]}):
            bars.setdefault(restriction.get("cadre_id"), []).append(restriction)
        return bars

    def _unit(self, unit_id):
        unit = self.store.collection(UnitCopy).find_one({"_id": unit_id})
        if unit is None:
            raise NotFound(f"unit {unit_id} is unknown to appraisal (not registered in talent, "
                           "or its registration has not arrived yet)", code="UNIT_NOT_FOUND",
                           fields={"unit_id": ["Unknown unit."]})
        return unit

    def _unknown_cadre(self, cadre_id) -> NotFound:
        return NotFound(f"cadre {cadre_id} is unknown to appraisal (not registered in talent, or "
                        "its registration has not arrived yet)", code="CADRE_NOT_FOUND",
                        fields={"cadre_id": ["Unknown cadre."]})

    def _quota(self, cycle) -> rules.Quota:
        return rules.quota(*self._quota_terms(cycle), rules.excellent_used(cycle["results"]))

    def _quota_terms(self, cycle, in_unit=None) -> tuple[int, Decimal]:
        """Rule A-1 for the cycle's unit: participants are the unit's cadres outside the
        principal leaders, as appraisal knows them from talent's roster (counted in ``in_unit``,
        the unit's cadres just read, if given); and the unit's ratio."""
        unit = self.store.collection(UnitCopy).find_one({"_id": cycle["unit_id"]}) or {}
        if in_unit is None:
            participants = self.store.collection(CadreCopy).count_documents(
                {"unit_id": cycle["unit_id"], "is_principal": {"$ne": True}})
        else:
            participants = sum(1 for cadre in in_unit if cadre.get("is_principal") is not True)
        ratios = {key: Decimal(str(value)) for key, value in (
            ("DEFAULT", self.config.get("APPRAISAL_EXCELLENT_RATIO")),
            ("STREET_TOWNSHIP", self.config.get("APPRAISAL_STREET_EXCELLENT_RATIO")))
            if value is not None}
        return participants, rules.excellent_ratio(unit.get("unit_type"), ratios)

    def _unit_grade(self, unit_id, year):
        graded = self.store.collection(UnitGrade).find_one({"_id": f"{unit_id}:{year}"})
        return graded and graded["grade"]

    def _unit_grades(self):
        return tuple(self.config.get("UNIT_GRADES") or rules.UNIT_GRADES)

    def _policy(self, key, default):
        value = self.config.get(key)
        return default if value is None else str(value).lower() not in ("false", "0", "no")

    def _cycle(self, cycle_id):
        """The cycle, if within the user's scope (403 outside it, whether or not it exists)."""
        cycle = self.store.collection(Cycle).find_one({"_id": cycle_id})
        if cycle is None:
            self.access.check(record=("cycle", cycle_id))
            raise NotFound(f"cycle {cycle_id} does not exist", code="CYCLE_NOT_FOUND")
        self.access.check(unit_id=cycle["unit_id"], record=("cycle", cycle_id))
        return cycle

    def _write(self, cycle, update, status=rules.OPEN):
        return self.store.update_if_unchanged(Cycle, cycle, update, status=status)

    def _busy(self, cycle_id):
        return Conflict(f"cycle {cycle_id} is being changed by others; try again",
                        code="CONCURRENT_UPDATE")


def _commendation(stored):
    """A stored commendation as callers see it: its id under its own name."""
    return {**stored, "commendation_id": stored["_id"]}
