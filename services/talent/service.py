"""Talent: the roster of units and cadres, the lion-type pool, eligibility computed from facts,
selection, training and postings (DOMAIN.md L)."""


from nameko.dependency_providers import Config
from pymongo.errors import DuplicateKeyError

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
from services.common.clock import business_date, utcnow
from services.common.decision import Change
from services.common.errors import Conflict, NotFound
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.store import MissingTarget, MongoStore
from services.common.views import cooperative
from services.common.work import WorkItemSchema, WorkQuerySchema
from services.talent import decide, rules
from services.talent.events import (
    CadreClearedIn,
    CommendationAwardedIn,
    ResultAmendedIn,
    ResultFinalizedIn,
    RulingMadeIn,
    SanctionDecidedIn,
    UnitGradedIn,
)
from services.talent.models import Cadre, Unit
from services.talent.schemas import (
    AllocateSchema,
    AllocationLineSchema,
    AssessNominationSchema,
    CadreIdSchema,
    CadreSchema,
    CadreViewSchema,
    ChangePostingSchema,
    CreateProgrammeSchema,
    EligibilitySchema,
    ExitPoolSchema,
    ImportReportSchema,
    ImportRosterSchema,
    ListCadresSchema,
    ListProgrammesSchema,
    ListUnitsSchema,
    NominateSchema,
    PlaceInPostSchema,
    PoolEntrySchema,
    PoolQuerySchema,
    ProgrammeIdSchema,
    ProgrammeSchema,
    RotationEntrySchema,
    RotationQuerySchema,
    SelectionSchema,
    UnitIdSchema,
    UnitSchema,
    UpdateCadreSchema,
    YoungCadreSchema,
    YoungCadresSchema,
    read_roster,
)
from services.talent.storage import TalentStorage

# who may read a cadre's roster record, and their eligibility (docs/permissions.md)
READ_CADRE = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT,
              CADRE: SELF}
READ_ELIGIBILITY = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}
# the units of the roster: every officer; a unit administrator their own
READ_UNITS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT}
# the roster is kept by the department and, for their own cadres, by the units
KEEP_ROSTER = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT}
# the lion-type pool, selection, training and postings are the department's (L-1..L-6); units
# nominate their own cadres
DEPARTMENT = {ORG_ADMIN: ANY}


class TalentService(ServiceBase):
    name = "talent"

    config = Config()
    store = MongoStore(TalentStorage)
    outbox = Outbox(Unit, Cadre)

    # the roster

    @rpc(request=UnitSchema, response=UnitSchema, allow={ORG_ADMIN: ANY}, idempotent=True)
    def register_unit(self, unit_id, name, unit_type):
        self.access.check(record=("unit", unit_id))
        try:
            return self.store.units.add(decide.register_unit(unit_id=unit_id, name=name,
                                                             unit_type=unit_type, now=utcnow()))
        except DuplicateKeyError:
            raise Conflict(f"unit {unit_id} is already registered", code="UNIT_EXISTS") from None

    @rpc(request=UnitIdSchema, response=UnitSchema, allow=READ_UNITS)
    def get_unit(self, unit_id):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        unit = self.store.units.get(unit_id)
        if unit is None:
            raise NotFound(f"unit {unit_id} is not registered", code="UNIT_NOT_FOUND")
        return unit

    @rpc(request=ListUnitsSchema, response=UnitSchema, many=True, paged=True, allow=READ_UNITS)
    def list_units(self, unit_type=None, q=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """The roster's units by id (a unit administrator's own only); ``q``: in the name."""
        own = self.access.unit_or_own()
        self.access.check(unit_id=own, record=("units", unit_type or "*"))
        return self.store.units.listed(cursor, limit, unit_type=unit_type, unit_id=own, name=q)

    @rpc(request=CadreSchema, response=CadreSchema, allow=KEEP_ROSTER, idempotent=True)
    def register_cadre(self, cadre_id, unit_id, **facts):
        self.access.check(unit_id=unit_id, record=("cadre", cadre_id))
        self._unit(unit_id)
        try:
            return self.store.cadres.register(decide.register_cadre(
                {"cadre_id": cadre_id, "unit_id": unit_id, **facts}, now=utcnow()))
        except DuplicateKeyError:
            raise Conflict(f"cadre {cadre_id} is already registered", code="CADRE_EXISTS") from None

    @rpc(request=UpdateCadreSchema, response=CadreViewSchema, allow=KEEP_ROSTER)
    def update_cadre(self, cadre_id, **changes):
        """Changed roster facts, published whole with the next revision so that every copy
        elsewhere becomes current (a move to another unit is a posting, L-6)."""
        return self._change(cadre_id, lambda cadre, now, by: decide.update_cadre(cadre,
                                                                                 changes=changes))

    @rpc(request=CadreIdSchema, response=CadreViewSchema, allow=READ_CADRE)
    def get_cadre(self, cadre_id):
        return self._cadre(cadre_id)

    @rpc(request=ListCadresSchema, response=CadreViewSchema, many=True, paged=True,
         allow={ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT})
    def list_cadres(self, unit_id=None, q=None, level=None, cursor=None, limit=paging.DEFAULT_LIMIT,
                    offset=0):
        """The roster, by cadre id; a unit administrator lists their own unit (``unit_id``);
        ``q``: in the name."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        return self.store.cadres.roster(cursor, limit, offset, name=q, unit_id=unit_id, level=level)

    @rpc(request=ImportRosterSchema, response=ImportReportSchema, allow=DEPARTMENT)
    def import_roster(self, csv):  # noqa: A002 - the field's name on the wire
        """A real organisation's roster from CSV (header: CadreSchema's fields). Every row is
        checked first; if any row is wrong nothing is imported and every wrong row is reported.
        Rows already on the roster with the same facts are left alone, so a re-run after an
        interruption imports the rest and nothing twice."""
        self.access.check(record=("roster", "import"))
        lines, rows, errors = read_roster(csv)
        units = self.store.units.known_of(row["unit_id"] for _, row in rows)
        # a row of an unknown unit is refused whatever the roster holds: no lookup for it
        existing = self.store.cadres.by_ids([row["cadre_id"] for _, row in rows
                                             if row["unit_id"] in units])
        fresh, unchanged = [], 0
        for line, row in rows:
            if row["unit_id"] not in units:
                errors.append({"row": line, "cadre_id": row["cadre_id"],
                               "fields": {"unit_id": ["Unknown unit."]}})
            elif row["cadre_id"] in existing:
                if _roster_facts(existing[row["cadre_id"]]) == _roster_facts(row):
                    unchanged += 1
                else:
                    errors.append({"row": line, "cadre_id": row["cadre_id"], "fields": {
                        "cadre_id": ["Already registered with other facts: update it instead."]}})
            else:
                fresh.append(row)
        if errors:
            return {"rows": lines, "imported": 0, "unchanged": unchanged,
                    "errors": sorted(errors, key=lambda e: e["row"])}
        now = utcnow()
        self.store.cadres.register_all([decide.register_cadre(row, now=now) for row in fresh])
        self.store.cadres.seen(existing)
        return {"rows": lines, "imported": len(fresh), "unchanged": unchanged, "errors": []}

    # selection (C-5) and postings (L-6)

    @rpc(request=SelectionSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def start_selection(self, cadre_id, reason=None):
        return self._change(cadre_id, lambda cadre, now, by: decide.selection(
            cadre, status=decide.IN_SELECTION, now=now))

    @rpc(request=SelectionSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def end_selection(self, cadre_id, reason=None):
        return self._change(cadre_id, lambda cadre, now, by: decide.selection(
            cadre, status=decide.NOT_IN_SELECTION, now=now))

    @rpc(request=ChangePostingSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def change_posting(self, cadre_id, unit_id, post, reason, is_principal, kind, direction,
                       is_leader=None, level=None, down_cause=None):
        """L-6 交流轮岗: the move is recorded and announced (care opens a JOB_ADJUSTMENT talk);
        the new post says whether the cadre leads the unit (A-1..A-4 read it). The same posting
        again (a retried request) changes nothing."""
        self._unit(unit_id)
        return self._change(cadre_id, decide.change_posting, unit_id=unit_id, post=post,
                            reason=reason, is_principal=is_principal, is_leader=is_leader,
                            level=level, kind=kind, direction=direction, down_cause=down_cause)

    # eligibility (L-3) and young cadres (L-4)

    @rpc(request=CadreIdSchema, response=EligibilitySchema, allow=READ_ELIGIBILITY)
    def get_eligibility(self, cadre_id):
        now = utcnow()
        return {"cadre_id": cadre_id, "computed_at": now,
                **self._eligibility(self._cadre(cadre_id), now).__dict__}

    @rpc(request=YoungCadresSchema, response=YoungCadreSchema, many=True, paged=True,
         allow={ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT})
    def young_cadres(self, unit_id=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """L-4: cadres under the configured age, youngest first; lion-type selection looks here
        first."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        def young():
            return rules.young(self.store.cadres.in_unit(unit_id),
                               business_date(utcnow(), self.config), self._policy().young_cadre_max_age)

        return paging.page_of(young, lambda c: (c["age"], c["cadre_id"]), "young_cadres", cursor,
                              limit, scope=(self.access.actor, unit_id))

    @rpc(request=RotationQuerySchema, response=RotationEntrySchema, many=True, paged=True,
         allow={ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT})
    def rotation_list(self, unit_id=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """L-7 (v2): who must or should rotate, and who is listed for priority exchange, per unit,
        longest in post first."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        return paging.page_of(lambda: self._rotation(unit_id), rules.rotation_order, "rotation_list",
                              cursor, limit, scope=(self.access.actor, unit_id))

    @rpc(request=WorkQuerySchema, response=WorkItemSchema, many=True, allow=work.WORK)
    def work_list(self, limit=work.DEFAULT_LIMIT):
        """What waits here for the caller (DOMAIN.md "Work lists (v2)"): for the department the
        nominations to assess and the rotation list, for a unit administrator their unit's rotation
        list; for a cadre their eligibility with its reasons."""
        actor, now, items = work.caller(self.access), utcnow(), []
        if ORG_ADMIN in actor.roles:
            nominated, rotation, _ = self.views.read("department_work",
                                                     TalentService._department_work, self)
            items += decide.nomination_work(nominated, now)
            items += decide.rotation_work(rotation, now)
        elif UNIT_ADMIN in actor.roles and actor.unit_id:
            *_, distinguished = self.views.read("department_work", TalentService._department_work,
                                                self)
            items += decide.rotation_work(self._rotation(actor.unit_id, distinguished=distinguished),
                                          now)
        if CADRE in actor.roles and actor.cadre_id:
            items += decide.eligibility_work(
                actor.cadre_id, self._eligibility(self._cadre(actor.cadre_id), now), now)
        return work.most_urgent_first(items, limit)

    def _department_work(self):
        """The department's kept work (services/common/views.py): the nominations to assess; the
        whole roster's rotation list, as much of it as a work list shows, the longest in post first;
        and the cadres L-7 lists for priority exchange, which a unit administrator's work list reads
        rather than looking up the results of each of the unit's cadres."""
        nominated = [e for e in map(self._pool_entry, self.store.cadres.in_pool())
                     if e["status"] == rules.NOMINATED]
        cadres = self.store.cadres.in_unit(None)
        distinguished = self._distinguished(cadres)
        rotation = sorted(self._rotation(None, cadres, distinguished),
                          key=lambda e: (str(e["post_since"] or ""), e["cadre_id"]))
        return nominated, rotation[:work.MAX_LIMIT], distinguished

    kept_views = {"department_work": _department_work}

    def _rotation(self, unit_id, cadres=None, distinguished=None):
        """L-7 (v2) of a unit, or of every unit; priority exchange by ``distinguished`` when given
        (the department's kept set), else by the cadres' results."""
        cadres = self.store.cadres.in_unit(unit_id) if cadres is None else cadres
        if distinguished is None:
            distinguished = self._distinguished(cadres)
        return rules.rotation_list(cooperative(cadres), business_date(utcnow(), self.config),
                                   self._policy(), distinguished)

    def _distinguished(self, cadres) -> set[str]:
        """L-7: the cadres long in grassroots posts with an EXCELLENT result that A-5 counts, or a
        commendation."""
        policy = self._policy()
        long_in_grassroots = [c for c in cadres
                              if (c.get("grassroots_years") or 0) >= policy.grassroots_priority_years]
        results = self._results_of(long_in_grassroots)
        return {c["_id"] for c in cooperative(long_in_grassroots)
                if c.get("commendations") or any(
                    r.rule == "A-5" for r in rules.excellent_priority(results[c["_id"]], policy))}

    # the lion-type pool (L-1, L-2)

    @rpc(request=NominateSchema, response=PoolEntrySchema, allow={**DEPARTMENT, UNIT_ADMIN: OWN_UNIT})
    def nominate(self, cadre_id, evidence, profile=None, reason=None):
        """L-1 定期发现储备: a nomination with evidence for each of the five standards."""
        return self._pool_entry(self._change(cadre_id, decide.nominate, evidence=evidence,
                                             profile=profile, reason=reason))

    @rpc(request=AssessNominationSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def assess_nomination(self, cadre_id, standards, profile_items):
        """L-1: admitted to the RESERVE only when all five standards hold (and the level
        profile's items, for the levels 001 profiles); otherwise NOT_ADMITTED."""
        return self._pool_entry(self._change(cadre_id, decide.assess_nomination,
                                             standards=standards, profile_items=profile_items))

    @rpc(request=PlaceInPostSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def place_in_post(self, cadre_id, post):
        """L-1: a reserve cadre placed in a demanding post (吃劲岗位)."""
        return self._pool_entry(self._change(cadre_id, decide.place_in_post, post=post))

    @rpc(request=ExitPoolSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def exit_pool(self, cadre_id, cause, evidence):
        """L-2 (b) decline, (c) health: by an officer, with evidence; the cause is kept."""
        return self._pool_entry(self._change(cadre_id, decide.exit_pool, cause=cause,
                                             evidence=evidence))

    @rpc(request=PoolQuerySchema, response=PoolEntrySchema, many=True, paged=True, allow=DEPARTMENT)
    def get_pool(self, status=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """The pool as things stand (an exit caused by a sanction shows, and goes when the matter
        is exempted or cleared), young cadres first (L-4), then by cadre id."""
        self.access.check(record=("pool", status or "*"))
        def entries():
            return [e for e in map(self._pool_entry, self.store.cadres.in_pool())
                    if status is None or e["status"] == status]

        return paging.page_of(
            entries, lambda e: (-e["birth_date"].toordinal() if e["birth_date"] else 0, e["cadre_id"]),
            "pool", cursor, limit, scope=(self.access.actor, status))

    @rpc(request=CadreIdSchema, response=PoolEntrySchema, allow={**DEPARTMENT, UNIT_ADMIN: OWN_UNIT})
    def get_pool_entry(self, cadre_id):
        """One cadre's place in the pool for their profile (``status`` null: never nominated).
        Who is in the reserve is the department's, and the nominating unit's, to know (L-1)."""
        return self._pool_entry(self._cadre(cadre_id))

    # training (L-5)

    @rpc(request=CreateProgrammeSchema, response=ProgrammeSchema, allow=DEPARTMENT, idempotent=True)
    def create_programme(self, name, year, seats):
        self.access.check(record=("programme", name))
        programme_id = self._new_id()
        self.store.programmes.add(Change(set={"programme_id": programme_id, "name": name,
                                              "year": year, "seats": seats, "created_at": utcnow()}))
        return self.store.programmes.get(programme_id)

    @rpc(request=ListProgrammesSchema, response=ProgrammeSchema, many=True, paged=True,
         allow=DEPARTMENT)
    def list_programmes(self, year=None, q=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """L-5: the training programmes, the latest created first; ``q``: in the name."""
        self.access.check(record=("programmes", str(year or "*")))
        return self.store.programmes.page({**paging.matching(year=year),
                                           **paging.containing("name", q)}, cursor, limit)

    @rpc(request=ProgrammeIdSchema, response=ProgrammeSchema, allow=DEPARTMENT)
    def get_programme(self, programme_id):
        self.access.check(record=("programme", programme_id))
        programme = self.store.programmes.get(programme_id)
        if programme is None:
            raise NotFound(f"programme {programme_id} does not exist", code="PROGRAMME_NOT_FOUND")
        return programme

    @rpc(request=AllocateSchema, response=AllocationLineSchema, many=True, allow=DEPARTMENT)
    def allocate_programme(self, programme_id, candidates):
        """L-5: seats to priority cadres first, in the stated order, each told why."""
        self.access.check(record=("programme", programme_id))
        programme = self.store.programmes.get(programme_id)
        if programme is None:
            raise NotFound(f"programme {programme_id} does not exist", code="PROGRAMME_NOT_FOUND")
        if programme.get("allocated_at"):
            raise Conflict(f"programme {programme_id} is already allocated",
                           code="PROGRAMME_ALLOCATED")
        found = self.store.cadres.by_ids(candidates)
        unknown = [c for c in candidates if c not in found]
        if unknown:
            raise NotFound("some candidates are not on the roster", code="CADRE_NOT_FOUND",
                           details={"unknown": unknown})
        policy, now = self._policy(), utcnow()
        years = policy.grassroots_priority_years
        results = self._results_of(found.values())
        pool = []
        for cadre_id in candidates:
            cadre = found[cadre_id]
            eligibility = rules.eligibility(results[cadre_id], now,
                                            sanctions=cadre.get("sanctions") or [],
                                            liftings=cadre.get("liftings") or [], policy=policy)
            pool.append({"cadre_id": cadre_id, "grassroots_years": cadre["grassroots_years"],
                         "priority": rules.training_priority(
                             cadre, eligibility.training_priority, bool(cadre.get("commendations")),
                             years)})
        allocated = self.store.programmes.change(programme_id, lambda programme: decide.allocate(
            programme, pool, now=now), current=programme)
        return allocated["allocation"]

    # facts from other services

    @consume(ResultFinalizedIn)
    def on_result_finalized(self, event):
        """Keep the result as a fact; rule A-5 reads it when eligibility is asked for."""
        self._keep_result({**event.payload, "event_id": event.event_id})

    @consume(ResultAmendedIn)
    def on_result_amended(self, event):
        """An amended result is a later fact for the same cycle: it supersedes the earlier one, so
        whatever the earlier grade caused is lifted or granted without anyone editing it."""
        payload = dict(event.payload)
        self._keep_result({**payload, "finalized_at": payload.pop("amended_at"),
                           "event_id": event.event_id})

    @consume(CommendationAwardedIn)
    def on_commendation_awarded(self, event):
        """L-5: outstanding results on record."""
        self._keep(event.payload["cadre_id"], "commendations",
                   {**event.payload, "event_id": event.event_id}, event)

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        """Promotion restrictions (C-7) and, for an admitted cadre, exit from the pool (L-2a)."""
        sanction = {**event.payload, "event_id": event.event_id}
        self._apply(sanction["cadre_id"], event,
                    lambda cadre: decide.sanction_received(cadre, sanction))

    @consume(RulingMadeIn)
    def on_ruling_made(self, event):
        """T-6: an exempted matter lifts its ban and reverses its pool exit, whether the sanction
        came before the ruling or comes after it."""
        ruling = event.payload
        if ruling["outcome"] != "EXEMPTED" or not ruling.get("case_id"):
            return
        self._keep(ruling["cadre_id"], "liftings", {
            "case_id": ruling["case_id"], "rule": "T-6", "event_id": event.event_id,
            "application_id": ruling["application_id"], "at": ruling["ruled_at"]}, event)

    @consume(CadreClearedIn)
    def on_cadre_cleared(self, event):
        """C-5 澄清正名: the clearing is recorded and shown on the cadre's profile (v2), and the
        sanctions decided on the untrue report are lifted."""
        cleared = event.payload
        self._apply(cleared["cadre_id"], event, lambda cadre: decide.cleared(cleared, event.event_id))

    @consume(UnitGradedIn)
    def on_unit_graded(self, event):
        """Keep the unit's performance grade as a fact; rule A-3 reads it for principal leaders."""
        fact = {**event.payload, "event_id": event.event_id}
        try:
            self.store.units.keep_grade(fact["unit_id"], fact, event.event_id)
        except MissingTarget:
            raise NotFound(f"unit {fact['unit_id']} is not in the roster",
                           code="UNIT_NOT_FOUND") from None

    # helpers

    def _change(self, cadre_id, decision, **command):
        """Load in scope, decide, save under the cadre's version; a lost race is read and decided
        again."""
        return self.store.cadres.change(cadre_id, lambda cadre: decision(
            self._in_scope(cadre), now=utcnow(), by=self._by(), **command),
            current=self._cadre(cadre_id))

    def _keep(self, cadre_id, field, fact, event):
        try:
            self.store.cadres.keep(cadre_id, field, fact, event.event_id)
        except MissingTarget:
            raise _not_in_roster(cadre_id) from None

    def _apply(self, cadre_id, event, decision):
        try:
            self.store.cadres.change(cadre_id, decision, event_id=event.event_id)
        except MissingTarget:
            raise _not_in_roster(cadre_id) from None

    def _keep_result(self, result):
        """A result is its own document under its event id (ADR 0017). No rule that writes reads
        results, so no cadre version needs bumping."""
        if not self.store.cadres.on_roster(result["cadre_id"]):
            raise _not_in_roster(result["cadre_id"])
        self.store.results.keep(result)

    def _eligibility(self, cadre, now) -> rules.Eligibility:
        """L-3, with A-3 (v2) read from the grades of the units the cadre led, in the years they
        led them."""
        spans = rules.principal_tenures(cadre)
        led = rules.years_led(spans, business_date(now, self.config))
        grades = {unit_id: (self.store.units.get(unit_id) or {}).get("performance_grades") or []
                  for unit_id in set(led.values())}
        return rules.eligibility(
            self._results_of([cadre])[cadre["_id"]], now, rules.own_unit_grades(led, grades),
            is_principal=bool(spans), history_assumed=rules.history_assumed(cadre),
            sanctions=cadre.get("sanctions") or [],
            liftings=cadre.get("liftings") or [], policy=self._policy(),
            grassroots=rules.grassroots_priority(cadre, cadre.get("commendations") or [],
                                                 self._policy().grassroots_priority_years))

    def _pool_entry(self, cadre):
        state = decide.pool_state(cadre) or {}
        return {**state, "status": state.get("status"), "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
                "level": cadre["level"], "birth_date": cadre.get("birth_date"),
                "exit": state.get("exit") or None}

    def _results_of(self, cadres) -> dict[str, list]:
        """A-5's facts for each cadre: its Result documents, and those kept on the cadre itself
        before ADR 0017. A result kept both ways is one cycle's, which A-5 reads once."""
        cadres = list(cadres)
        kept = self.store.results.of_cadres([c["_id"] for c in cadres])
        return {c["_id"]: [*(c.get("appraisal_results") or []), *kept[c["_id"]]] for c in cadres}

    def _unit(self, unit_id):
        if not self.store.units.exists(unit_id):
            raise NotFound(f"unit {unit_id} is not registered", code="UNIT_NOT_FOUND",
                           fields={"unit_id": ["Unknown unit."]})

    def _cadre(self, cadre_id):
        """The cadre, if within the user's scope. Outside it the answer is 403 whether or not the
        cadre exists, so a scoped user cannot probe which ids exist."""
        cadre = self.store.cadres.get(cadre_id)
        if cadre is None:
            self.access.check(record=("cadre", cadre_id), cadre_id=cadre_id)
            raise NotFound(f"cadre {cadre_id} is not registered", code="CADRE_NOT_FOUND")
        return self._in_scope(cadre)

    def _in_scope(self, cadre):
        self.access.check(unit_id=cadre["unit_id"], cadre_id=cadre["_id"],
                          record=("cadre", cadre["_id"]))
        return cadre

    def _policy(self) -> rules.Policy:
        return rules.Policy.from_config(self.config)


def _not_in_roster(cadre_id) -> NotFound:
    """A fact about a cadre talent does not have. Other services only know cadres they learnt from
    us, so this is a bug or lost data: retried, then dead-lettered for an operator, never dropped."""
    return NotFound(f"cadre {cadre_id} is not in the roster", code="CADRE_NOT_FOUND")


def _roster_facts(cadre):
    return decide.roster_facts(cadre)

