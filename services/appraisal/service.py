"""Appraisal: cycles, grades and finalization; keeps its own copy of talent's roster."""

import uuid
from collections import Counter

from nameko.dependency_providers import Config
from pymongo.errors import DuplicateKeyError

from services.appraisal import decide, rules
from services.appraisal.events import (
    CadreClearedIn,
    CadreRegisteredIn,
    CadreUpdatedIn,
    RulingMadeIn,
    SanctionDecidedIn,
    UnitRegisteredIn,
)
from services.appraisal.models import Commendation, Cycle, UnitGrade
from services.appraisal.schemas import (
    AmendResultSchema,
    CadreResultSchema,
    CadreResultsQuerySchema,
    ChangeParticipantSchema,
    CommendationIdSchema,
    CommendationSchema,
    CommendSchema,
    CreateQuotaGroupSchema,
    CycleIdSchema,
    CycleSchema,
    GradeUnitSchema,
    ListCommendationsSchema,
    ListCyclesSchema,
    ListQuotaGroupsSchema,
    ListUnitGradesSchema,
    OpenCycleSchema,
    QuotaGroupIdSchema,
    QuotaGroupSchema,
    QuotaSchema,
    RecordGradeSchema,
    RecordGradesSchema,
    UnitGradeSchema,
    UnitYearSchema,
    YearQuotasSchema,
)
from services.appraisal.storage import AppraisalStorage
from services.common import paging, work
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
from services.common.errors import Conflict, DomainError, NotFound, unknown_copy
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.store import MongoStore
from services.common.work import WorkItemSchema, WorkQuerySchema

# a unit's own appraisal is run by the unit, under the organisation department (docs/permissions.md)
RUN_CYCLE = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT}
# the year's commendations are announced (表彰通报): everyone but the auditor reads them
READ_COMMENDATIONS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: ANY,
                      CADRE: ANY}
# a cadre reads their own results and the reasons
READ_RESULTS = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}

# A-1 (v2): a quota group still FORMING this long after it was written died midway and claims nothing
DEFAULT_FORMING_SECONDS = 60

# commendation ids derive from what was commended (uuid5), so a retried request awards nothing twice
COMMENDATION_IDS = uuid.UUID("3f0c2a4e-8d1b-4c6a-b2f9-5e7d1a9c0b42")


class AppraisalService(ServiceBase):
    name = "appraisal"

    config = Config()
    store = MongoStore(AppraisalStorage)
    outbox = Outbox(Cycle, UnitGrade, Commendation)

    @rpc(request=OpenCycleSchema, response=CycleSchema, allow=RUN_CYCLE, idempotent=True)
    def open_cycle(self, unit_id, year, kind):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        now = utcnow()
        roster = self.store.cadres.of_unit(unit_id) if kind == rules.ANNUAL else ()
        try:
            cycle = self.store.cycles.add(decide.open_cycle(
                self.store.units.get(unit_id), roster, cycle_id=self._new_id(), unit_id=unit_id,
                year=year, kind=kind, current_year=business_year(now, self.config), now=now))
        except DuplicateKeyError:
            raise Conflict(f"unit {unit_id} already has a {kind} cycle for {year}",
                           code="CYCLE_EXISTS",
                           details={"cycle_id": self.store.cycles.id_of(unit_id, year, kind)}) from None
        return self._cycle(cycle["_id"])

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

    @rpc(request=ChangeParticipantSchema, response=CycleSchema, allow=RUN_CYCLE)
    def change_participant(self, cycle_id, cadre_id, change, reason):
        """A-1 (v2): add a cadre of the unit to the cycle's participants, remove one, or mark one not
        rated (不确定等次), with the reason; a grade the cadre had goes with them."""
        cycle, policy = self._cycle(cycle_id), self._policy()
        cadre = self.store.cadres.get(cadre_id)
        # a unit admin learns nothing about cadres outside their unit
        self.access.check(unit_id=cadre["unit_id"] if cadre else cycle["unit_id"])
        return self.store.cycles.change(cycle_id, lambda cycle: decide.change_participant(
            cycle, cadre, cadre_id=cadre_id, change=change, reason=reason,
            terms=self._terms(cycle, policy)[0], by=self._by(), now=utcnow()), current=cycle)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow={ORG_ADMIN: ANY})
    def finalize_cycle(self, cycle_id):
        policy = self._policy()

        def finalized(cycle):
            terms, group = self._terms(cycle, policy)
            return decide.finalize_cycle(
                cycle, terms=terms, group=group,
                names=self.store.cadres.names(rules.ungraded(cycle)),
                bars=self._bars(cycle, decide.excellent(cycle)), now=utcnow())
        # the answer is the cycle as written, not read again: a cycle with its results is the
        # largest document there is
        return self.store.cycles.change(cycle_id, finalized, current=self._cycle(cycle_id))

    @rpc(request=CreateQuotaGroupSchema, response=QuotaGroupSchema, allow={ORG_ADMIN: ANY}, idempotent=True)
    def create_quota_group(self, name, cycle_ids):
        """A-1 (v2) pooling (合并计算): join the open annual cycles of several units of one year into one
        quota group. The group is written FORMING, each cycle is claimed under its version (a
        finalize racing the claim either lands first, and the group is refused, or sees the claim
        and waits), and then it is FORMED. A refusal midway lets go of the cycles claimed; a forming
        that died midway claims nothing once its window has passed."""
        now, policy = utcnow(), self._policy()
        cycles = self.store.cycles.of_ids(cycle_ids)
        rules.check_quota_group(cycles, cycle_ids)
        group_id = self._new_id()
        self.store.quota_groups.add(decide.new_quota_group(
            cycles, group_id=group_id, name=name, by=self._by(), now=now))
        claimed = []
        try:
            for cycle_id in sorted(cycle_ids):
                self.store.cycles.change(cycle_id, lambda cycle: decide.join_group(
                    cycle, group_id=group_id, in_group=self._group(cycle)[0],
                    terms=self._terms(cycle, policy, grouped=False)[0]))
                claimed.append(cycle_id)
        except DomainError:
            for cycle_id in claimed:
                self.store.cycles.change(cycle_id, lambda cycle: decide.leave_group(
                    cycle, group_id=group_id))
            self.store.quota_groups.change(group_id, lambda group: decide.end_forming(
                group, formed=False, now=utcnow()))
            raise
        self.store.quota_groups.change(group_id, lambda group: decide.end_forming(
            group, formed=True, now=utcnow()))
        return self._quota_group(group_id)

    @rpc(request=QuotaGroupIdSchema, response=QuotaGroupSchema, allow={ORG_ADMIN: ANY})
    def get_quota_group(self, group_id):
        """A-1 (v2): a quota group's sheet -- the pooled quota by pool, and each unit's share."""
        return self._quota_group(group_id)

    @rpc(request=ListQuotaGroupsSchema, response=QuotaGroupSchema, many=True, paged=True,
         allow={ORG_ADMIN: ANY})
    def list_quota_groups(self, year=None, state=None, q=None, cursor=None,
                          limit=paging.DEFAULT_LIMIT):
        """A-1 (v2): the quota groups, newest first, each with its sheet."""
        self.access.check(record=("quota_groups", str(year or "*")))
        shown = self.store.quota_groups.page({**paging.matching(year=year, state=state),
                                              **paging.containing("name", q)}, cursor, limit)
        shown[:] = [self._quota_sheet(group) for group in shown]
        return shown

    @rpc(request=ListCyclesSchema, response=CycleSchema, many=True, paged=True, allow=RUN_CYCLE)
    def list_cycles(self, unit_id=None, year=None, kind=None, status=None, cursor=None,
                    limit=paging.DEFAULT_LIMIT):
        """Appraisal cycles, the latest opened first (a unit administrator's own unit's)."""
        unit_id = self.access.unit_or_own(unit_id)
        self.access.check(unit_id=unit_id, record=("cycles", unit_id or "*"))
        return self.store.cycles.page(paging.matching(unit_id=unit_id, year=year, kind=kind,
                                                      status=status), cursor, limit)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow=RUN_CYCLE)
    def get_cycle(self, cycle_id):
        return self._cycle(cycle_id)

    @rpc(request=AmendResultSchema, response=CycleSchema, allow={ORG_ADMIN: ANY})
    def amend_result(self, cycle_id, cadre_id, grade, reason):
        """Correct a finalized result: kept in its history, and republished so that every
        service replaces what the earlier grade caused (DOMAIN.md A)."""
        cadre, policy = self.store.cadres.get(cadre_id), self._policy()
        self.store.cycles.change(cycle_id, lambda cycle: decide.amend_result(
            cycle, cadre, cadre_id=cadre_id, grade=grade, reason=reason,
            terms=self._terms(cycle, policy)[0],
            unit_grade=self.store.unit_grades.grade_of(cycle["unit_id"], cycle["year"]),
            restrictions=self.store.restrictions.of_cadre(cadre_id), policy=policy, now=utcnow(),
            by=self._by()), current=self._cycle(cycle_id))
        return self._cycle(cycle_id)

    @rpc(request=CadreResultsQuerySchema, response=CadreResultSchema, many=True, paged=True,
         allow=READ_RESULTS)
    def get_cadre_results(self, cadre_id, cursor=None, limit=paging.DEFAULT_LIMIT):
        """A-7: a cadre's finalized results, with the appraisal's comment and any amendment, the
        latest year first."""
        self._cadre(cadre_id)
        return paging.page_of(lambda: self.store.cycles.results_of(cadre_id),
                              lambda r: (-r["year"], r["kind"], r["cycle_id"]), "cadre_results",
                              cursor, limit, scope=(self.access.actor, cadre_id))

    @rpc(request=CommendSchema, response=CommendationSchema, allow={ORG_ADMIN: ANY}, idempotent=True)
    def commend(self, cadre_id, year, kind, deed, deed_kind, typical_example):
        """A-8: a merit citation, commendation or yearly selection for a cadre's deed."""
        self.access.check(cadre_id=cadre_id, record=("cadre", cadre_id))
        now = utcnow()
        # the same deed commended again (a retried request) is the same commendation
        commendation_id = uuid.uuid5(COMMENDATION_IDS, f"{cadre_id}:{year}:{kind}:{deed}").hex
        self.store.commendations.add_once(decide.commend(
            self.store.cadres.get(cadre_id), commendation_id=commendation_id, cadre_id=cadre_id,
            year=year, kind=kind, deed=deed, deed_kind=deed_kind, typical_example=typical_example,
            current_year=business_year(now, self.config), now=now, by=self._by()))
        return self.store.commendations.get(commendation_id)

    @rpc(request=ListCommendationsSchema, response=CommendationSchema, many=True, paged=True,
         allow=READ_COMMENDATIONS)
    def list_commendations(self, year=None, cadre_id=None, unit_id=None, kind=None, cursor=None,
                           limit=paging.DEFAULT_LIMIT):
        """A-8: commendations by year, the latest first; in a year the typical examples first (they
        are announced)."""
        self.access.check(record=("commendations", str(year or "*")))
        return self.store.commendations.page(paging.matching(
            year=year, cadre_id=cadre_id, unit_id=unit_id, kind=kind), cursor, limit)

    @rpc(request=CommendationIdSchema, response=CommendationSchema, allow=READ_COMMENDATIONS)
    def get_commendation(self, commendation_id):
        self.access.check(record=("commendation", commendation_id))
        commendation = self.store.commendations.get(commendation_id)
        if commendation is None:
            raise NotFound(f"commendation {commendation_id} does not exist",
                           code="COMMENDATION_NOT_FOUND")
        return commendation

    @rpc(request=GradeUnitSchema, response=UnitGradeSchema, allow={ORG_ADMIN: ANY}, idempotent=True)
    def grade_unit(self, unit_id, year, grade):
        """A unit's performance grade for a year; it gates A-2 and feeds A-3 and A-4."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        now = utcnow()
        change = decide.grade_unit(self.store.units.get(unit_id), unit_id=unit_id, year=year,
                                   grade=grade, current_year=business_year(now, self.config),
                                   policy=self._policy(), now=now)
        if not self.store.unit_grades.add_once(change):
            existing = self.store.unit_grades.get(f"{unit_id}:{year}")
            if existing["grade"] != grade:
                raise Conflict(f"unit {unit_id} is already graded {existing['grade']} for {year}",
                               code="UNIT_ALREADY_GRADED", details={"grade": existing["grade"]})
            # the same grade again: a retried request, nothing to do
        return self.store.unit_grades.get(f"{unit_id}:{year}")

    @rpc(request=ListUnitGradesSchema, response=UnitGradeSchema, many=True, paged=True,
         allow=RUN_CYCLE)
    def list_unit_grades(self, unit_id=None, year=None, grade=None, cursor=None,
                         limit=paging.DEFAULT_LIMIT):
        """Units' performance grades, the latest year first (a unit administrator's own unit's)."""
        unit_id = self.access.unit_or_own(unit_id)
        self.access.check(unit_id=unit_id, record=("unit_grades", unit_id or "*"))
        return self.store.unit_grades.page(paging.matching(unit_id=unit_id, year=year, grade=grade),
                                           cursor, limit)

    @rpc(request=UnitYearSchema, response=QuotaSchema, allow=RUN_CYCLE)
    def get_unit_quota(self, unit_id, year):
        """Rule A-1: the unit's quota sheet for a year's annual appraisal -- each pool's quota and
        its use, and the quota group's when the unit is pooled."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        return self._unit_quota(unit_id, year, self.store.cycles.annual(unit_id, year))

    @rpc(request=YearQuotasSchema, response=QuotaSchema, many=True, paged=True, allow=RUN_CYCLE)
    def year_quotas(self, year, cursor=None, limit=paging.DEFAULT_LIMIT):
        """Rule A-1: the quota sheet of every unit with an annual cycle in the year, by unit, each
        with its quota group's when pooled (a unit administrator's own unit's)."""
        own = self.access.unit_or_own()
        self.access.check(unit_id=own, record=("quotas", str(year)))
        shown = self.store.cycles.page(paging.matching(year=year, kind=rules.ANNUAL, unit_id=own),
                                       cursor, limit, paging.Order(("unit_id", paging.ASC)))
        shown[:] = [self._unit_quota(cycle["unit_id"], year, cycle) for cycle in shown]
        return shown

    def _unit_quota(self, unit_id, year, cycle):
        unit, policy = self._unit(unit_id), self._policy()
        cycle = cycle or {"unit_id": unit_id, "kind": rules.ANNUAL, "results": []}
        own = self._terms(cycle, policy, grouped=False)[0].sheet(cycle)
        sheet = rules.sheet_totals(own, rules.excellent_ratio(unit.get("unit_type"), policy.ratios))
        group = None
        if cycle.get("group_id"):
            state, _ = self._group(cycle)
            if state is not None:
                found = self.store.quota_groups.get(cycle["group_id"])
                group = {"group_id": found["_id"], "name": found["name"], "state": state,
                         "pools": list(self._terms(cycle, policy)[0].sheet(cycle).values())}
        return {"unit_id": unit_id, "year": year, **sheet, "group": group}

    @rpc(request=WorkQuerySchema, response=WorkItemSchema, many=True, allow=work.WORK)
    def work_list(self, limit=work.DEFAULT_LIMIT):
        """What waits here for the caller (DOMAIN.md "Work lists (v2)"): for the department every
        open cycle, for a unit administrator their unit's, with the grades still missing; for a
        cadre their own results and the reasons."""
        actor, now, items = work.caller(self.access), utcnow(), []
        if ORG_ADMIN in actor.roles:
            items += decide.open_cycle_work(self.store.cycles.open_ones(limit=limit), now)
        elif UNIT_ADMIN in actor.roles and actor.unit_id:
            items += decide.open_cycle_work(self.store.cycles.open_ones(actor.unit_id, limit), now)
        if CADRE in actor.roles and actor.cadre_id:
            items += decide.my_results_work(actor.cadre_id,
                                            self.store.cycles.results_of(actor.cadre_id), now)
        return work.most_urgent_first(items, limit)

    # events

    @consume(UnitRegisteredIn)
    def on_unit_registered(self, event):
        self.store.units.project(event, new=True)

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        self.store.cadres.project(event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        self.store.cadres.project(event)

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        """A-6: the year's EXCELLENT is barred for the sanctioned cadre."""
        self.store.restrictions.keep(event.payload["case_id"],
                                     decide.sanction_restricts(event.payload), event.event_id)

    @consume(RulingMadeIn)
    def on_ruling_made(self, event):
        """T-6: an exempted matter never counts -- the bar its sanction set is lifted."""
        self.store.restrictions.keep(event.payload.get("case_id"),
                                     decide.exemption_lifts(event.payload, event.event_type),
                                     event.event_id)

    @consume(CadreClearedIn)
    def on_cadre_cleared(self, event):
        """C-5 澄清正名: the sanctions decided on a report that proved untrue bar nothing."""
        for case_id in event.payload["case_ids"]:
            self.store.restrictions.keep(
                case_id, decide.clearing_lifts(event.payload, event.event_type), event.event_id)

    # helpers

    def _record_grades(self, cycle_id, grades):
        cycle = self._cycle(cycle_id)
        cadres, in_unit = self.store.cadres.for_grading(cycle["unit_id"],
                                                        [row["cadre_id"] for row in grades])
        for row, graded in enumerate(grades):
            with decide.at_row(row, graded, grades):
                # a unit admin learns nothing about cadres outside their unit, existing or not
                cadre = cadres.get(graded["cadre_id"])
                self.access.check(unit_id=cadre["unit_id"] if cadre else None)
        policy = self._policy()
        excellent = [row["cadre_id"] for row in grades if row["grade"] == rules.EXCELLENT]
        # the version check makes the quota count and the write one atomic step for the cycle; a
        # quota group's other cycles are counted as read, and again when each is finalized. The
        # answer is the cycle as written (as finalize_cycle's)
        return self.store.cycles.change(cycle_id, lambda cycle: decide.record_grades(
            cycle, grades, cadres, terms=self._terms(cycle, policy, in_unit=in_unit)[0],
            unit_grade=self.store.unit_grades.grade_of(cycle["unit_id"], cycle["year"]),
            bars=self._bars(cycle, excellent), unrestricted=self.access.unrestricted,
            policy=policy, now=utcnow(), by=self._by()), current=cycle)

    def _bars(self, cycle, excellent: list[str]) -> dict[str, list]:
        """A-6's restrictions, by cadre, for the cadres about to be (or kept) EXCELLENT, when its
        rule can apply."""
        if cycle["kind"] != rules.ANNUAL or not excellent:
            return {}
        return self.store.restrictions.by_cadre(cycle["year"], excellent)

    def _terms(self, cycle, policy, in_unit=None, grouped=True
               ) -> tuple[rules.QuotaTerms, str | None]:
        """What A-1 counts for the cycle, and the state of its quota group: the unit's type, the
        unit's roster for a cycle without a participant list (``in_unit``, the unit's cadres if
        just read), and the participants and grades of the group's other cycles, if ``grouped``
        and its group is FORMED."""
        unit = self.store.units.get(cycle["unit_id"]) or {}
        roster = ()
        if not rules.has_participant_list(cycle):
            roster = in_unit if in_unit is not None else self.store.cadres.of_unit(cycle["unit_id"])
        state, others = self._group(cycle) if grouped else (None, [])
        participants, used = Counter(), Counter()
        for other in others:
            participants += rules.participants_by_pool(other, None)
            used += rules.excellent_by_pool(other, None)
        return rules.QuotaTerms(unit.get("unit_type"), policy.ratios, roster, participants,
                                used), state

    def _group(self, cycle) -> tuple[str | None, list[dict]]:
        """The state of the quota group the cycle names (rules.group_in_force), and, when FORMED,
        the group's other cycles."""
        if not cycle.get("group_id"):
            return None, []
        group = self.store.quota_groups.get(cycle["group_id"])
        state = rules.group_in_force(group, utcnow(), self._forming_seconds())
        if state != rules.FORMED:
            return state, []
        return state, [c for c in self.store.cycles.of_ids(group["cycle_ids"]) if c["_id"] != cycle["_id"]]

    def _quota_group(self, group_id):
        group = self.store.quota_groups.get(group_id)
        if group is None:
            raise NotFound(f"quota group {group_id} does not exist", code="QUOTA_GROUP_NOT_FOUND")
        return self._quota_sheet(group)

    def _quota_sheet(self, group):
        policy = self._policy()
        cycles = sorted(self.store.cycles.of_ids(group["cycle_ids"]), key=lambda c: c["unit_id"])
        units, participants, used = [], Counter(), Counter()
        for cycle in cycles:
            participants += rules.participants_by_pool(cycle, None)
            used += rules.excellent_by_pool(cycle, None)
            units.append({"unit_id": cycle["unit_id"], "cycle_id": cycle["_id"],
                          "status": cycle["status"], "pools": list(rules.quota_sheet(
                              rules.participants_by_pool(cycle, None),
                              rules.excellent_by_pool(cycle, None), policy.ratios).values())})
        state = rules.group_in_force(group, utcnow(), self._forming_seconds())
        return {**group, "state": state or rules.ABANDONED, "units": units,
                "pools": list(rules.quota_sheet(participants, used, policy.ratios).values())}

    def _forming_seconds(self) -> float:
        return float(self.config.get("QUOTA_GROUP_FORMING_SECONDS") or DEFAULT_FORMING_SECONDS)

    def _policy(self) -> rules.Policy:
        return rules.Policy.from_config(self.config)

    def _unit(self, unit_id):
        unit = self.store.units.get(unit_id)
        if unit is None:
            raise unknown_copy("unit", unit_id, self.name)
        return unit

    def _cycle(self, cycle_id):
        """The cycle, if within the user's scope (403 outside it, whether or not it exists)."""
        cycle = self.store.cycles.get(cycle_id)
        if cycle is None:
            self.access.check(record=("cycle", cycle_id))
            raise NotFound(f"cycle {cycle_id} does not exist", code="CYCLE_NOT_FOUND")
        self.access.check(unit_id=cycle["unit_id"], record=("cycle", cycle_id))
        return cycle
