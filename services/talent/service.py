"""Talent: the roster of units and cadres, the lion-type pool, eligibility computed from facts,
selection, training and postings (DOMAIN.md L)."""

import csv
import io
import logging
import uuid
from contextlib import contextmanager
from datetime import date, datetime

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from pymongo.errors import BulkWriteError, DuplicateKeyError

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
from services.common.clock import as_utc, business_date, utcnow
from services.common.decision import transition
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox, push_events, with_events
from services.common.service import ServiceBase
from services.common.storage.inbox import MissingTarget, apply_once, apply_once_read
from services.common.storage.store import MongoStore
from services.talent import rules
from services.talent.events import (
    CadreClearedIn,
    CadreRegistered,
    CadreUpdated,
    CommendationAwardedIn,
    PoolExited,
    PostingChanged,
    ResultAmendedIn,
    ResultFinalizedIn,
    RulingMadeIn,
    SanctionDecidedIn,
    SelectionStatusChanged,
    UnitGradedIn,
    UnitRegistered,
)
from services.talent.models import Cadre, Programme, Result, Unit
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
    NominateSchema,
    PlaceInPostSchema,
    PoolEntrySchema,
    PoolQuerySchema,
    ProgrammeSchema,
    SelectionSchema,
    UnitSchema,
    UpdateCadreSchema,
    YoungCadreSchema,
    YoungCadresSchema,
)

log = logging.getLogger(__name__)

# who may read a cadre's roster record, and their eligibility (docs/permissions.md)
READ_CADRE = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT,
              CADRE: SELF}
READ_ELIGIBILITY = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}
# the roster is kept by the department and, for their own cadres, by the units
KEEP_ROSTER = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT}
# the lion-type pool, selection, training and postings are the department's (L-1..L-6); units
# nominate their own cadres
DEPARTMENT = {ORG_ADMIN: ANY}

ROSTER_FACTS = ("name", "unit_id", "level", "is_leader", "is_principal", "birth_date",
                "grassroots_years", "service_years")
IN_SELECTION, NOT_IN_SELECTION = "IN_SELECTION", "NOT_IN_SELECTION"
# L-4 young cadres and L-5 grassroots priority [policy values, config]
DEFAULT_YOUNG_CADRE_MAX_AGE = 40
DEFAULT_GRASSROOTS_PRIORITY_YEARS = 5
WRITE_ATTEMPTS = 5


class TalentService(ServiceBase):
    name = "talent"

    config = Config()
    store = MongoStore(Unit, Cadre, Programme, Result)
    outbox = Outbox(Unit, Cadre)

    # the roster

    @rpc(request=UnitSchema, response=UnitSchema, allow={ORG_ADMIN: ANY})
    def register_unit(self, unit_id, name, unit_type):
        self.access.check(record=("unit", unit_id))
        unit = Unit(unit_id=unit_id, name=name, unit_type=unit_type, registered_at=utcnow())
        unit.pending_events = [self.outbox.event(
            UnitRegistered, {"unit_id": unit_id, "name": name, "unit_type": unit_type})]
        try:
            self.store.insert(unit)
        except DuplicateKeyError:
            raise Conflict(f"unit {unit_id} is already registered", code="UNIT_EXISTS") from None
        return unit

    @rpc(request=CadreSchema, response=CadreSchema, allow=KEEP_ROSTER)
    def register_cadre(self, cadre_id, unit_id, **facts):
        self.access.check(unit_id=unit_id, record=("cadre", cadre_id))
        self._unit(unit_id)
        cadre = self._cadre_document({"cadre_id": cadre_id, "unit_id": unit_id, **facts}, utcnow())
        try:
            self.store.collection(Cadre).insert_one(cadre)
        except DuplicateKeyError:
            raise Conflict(f"cadre {cadre_id} is already registered",
                           code="CADRE_EXISTS") from None
        self.store.known(Cadre).add([cadre_id])
        return _view(cadre)

    @rpc(request=UpdateCadreSchema, response=CadreViewSchema, allow=KEEP_ROSTER)
    def update_cadre(self, cadre_id, **changes):
        """Changed roster facts, published whole with the next revision so that every copy
        elsewhere becomes current (a move to another unit is a posting, L-6)."""
        if not changes:
            raise InvalidInput("name at least one fact to change", code="NOTHING_TO_CHANGE")
        if "birth_date" in changes:  # BSON has datetimes, not dates
            born = changes["birth_date"]
            changes = {**changes, "birth_date": datetime(born.year, born.month, born.day)}
        return self._change_cadre(cadre_id, lambda cadre, now, by: ({"$set": changes}, []))

    @rpc(request=CadreIdSchema, response=CadreViewSchema, allow=READ_CADRE)
    def get_cadre(self, cadre_id):
        return self._cadre(cadre_id)

    @rpc(request=ListCadresSchema, response=CadreViewSchema, many=True,
         allow={ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT})
    def list_cadres(self, unit_id=None, limit=100, offset=0):
        """The roster, by cadre id; a unit administrator lists their own unit (``unit_id``)."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        query = {"unit_id": unit_id} if unit_id else {}
        found = self.store.collection(Cadre).find(query).sort("_id", 1).skip(offset).limit(limit)
        return [_view(cadre) for cadre in found]

    @rpc(request=ImportRosterSchema, response=ImportReportSchema, allow=DEPARTMENT)
    def import_roster(self, csv):  # noqa: A002 - the field's name on the wire
        """A real organisation's roster from CSV (header: CadreSchema's fields). Every row is
        checked first; if any row is wrong nothing is imported and every wrong row is reported.
        Rows already on the roster with the same facts are left alone, so a re-run after an
        interruption imports the rest and nothing twice."""
        self.access.check(record=("roster", "import"))
        lines, rows, errors = _read_roster(csv)
        units = self.store.by_ids(Unit, sorted({row["unit_id"] for _, row in rows}), {"_id": 1})
        # a row of an unknown unit is refused whatever the roster holds: no lookup for it
        existing = self.store.by_ids(Cadre, [row["cadre_id"] for _, row in rows if row["unit_id"] in units])
        fresh, unchanged = [], 0
        for line, row in rows:
            if row["unit_id"] not in units:
                errors.append({"row": line, "cadre_id": row["cadre_id"],
                               "fields": {"unit_id": ["Unknown unit."]}})
            elif row["cadre_id"] in existing:
                if _same_facts(existing[row["cadre_id"]], row):
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
        documents = [self._cadre_document(row, now) for row in fresh]
        if documents:
            try:
                self.store.collection(Cadre).insert_many(documents, ordered=False)
            except BulkWriteError as exc:  # registered meanwhile by someone else: said, not hidden
                raise Conflict("some cadres were registered while the import ran; run it again",
                               code="IMPORT_RACED",
                               details={"inserted": exc.details.get("nInserted")}) from None
        # their results come later, a unit at a time: known now, they need no roster lookup then
        self.store.known(Cadre).add([*existing, *(document["_id"] for document in documents)])
        return {"rows": lines, "imported": len(documents), "unchanged": unchanged,
                "errors": []}

    # selection (C-5) and postings (L-6)

    @rpc(request=SelectionSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def start_selection(self, cadre_id, reason=None):
        return self._selection(cadre_id, IN_SELECTION)

    @rpc(request=SelectionSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def end_selection(self, cadre_id, reason=None):
        return self._selection(cadre_id, NOT_IN_SELECTION)

    @rpc(request=ChangePostingSchema, response=CadreViewSchema, allow=DEPARTMENT)
    def change_posting(self, cadre_id, unit_id, post, reason, is_principal, is_leader=None,
                       level=None):
        """L-6 交流轮岗: the move is recorded and announced (care opens a JOB_ADJUSTMENT talk);
        the new post says whether the cadre leads the unit (A-1..A-4 read it). The same posting
        again (a retried request) changes nothing."""
        self._unit(unit_id)

        def change(cadre, now, by):
            last = (cadre.get("postings") or [{}])[-1]
            if cadre["unit_id"] == unit_id and last.get("to_unit_id") == unit_id \
                    and last.get("post") == post:
                return {}, []
            posting = {"from_unit_id": cadre["unit_id"], "to_unit_id": unit_id, "post": post,
                       "reason": reason, "at": now, "by": by}
            facts = {"unit_id": unit_id, "is_principal": is_principal,
                     **{k: v for k, v in (("is_leader", is_leader), ("level", level))
                        if v is not None}}
            event = self.outbox.event(PostingChanged, {
                "cadre_id": cadre_id, "from_unit_id": cadre["unit_id"], "to_unit_id": unit_id,
                "post": post, "changed_at": now})
            return {"$set": facts, "$push": {"postings": posting}}, [event]
        return self._change_cadre(cadre_id, change)

    # eligibility (L-3) and young cadres (L-4)

    @rpc(request=CadreIdSchema, response=EligibilitySchema, allow=READ_ELIGIBILITY)
    def get_eligibility(self, cadre_id):
        cadre = self._cadre(cadre_id)
        now = utcnow()
        unit = self.store.collection(Unit).find_one({"_id": cadre["unit_id"]}) or {}
        answer = rules.eligibility(
            self._results_of([cadre])[cadre_id], now,
            _aware(unit.get("performance_grades"), "graded_at"),
            is_principal=cadre["is_principal"],
            sanctions=_aware(cadre.get("sanctions"), "decided_at", "ban_until"),
            liftings=cadre.get("liftings") or [])
        return {"cadre_id": cadre_id, "computed_at": now, **answer.__dict__}

    @rpc(request=YoungCadresSchema, response=YoungCadreSchema, many=True,
         allow={ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT})
    def young_cadres(self, unit_id=None):
        """L-4: cadres under the configured age, youngest first; lion-type selection looks here
        first."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        query = {"unit_id": unit_id} if unit_id else {}
        cadres = [{**c, "cadre_id": c["_id"], "birth_date": as_utc(c["birth_date"]).date()}
                  for c in self.store.collection(Cadre).find(query)]
        max_age = int(self.config.get("YOUNG_CADRE_MAX_AGE") or DEFAULT_YOUNG_CADRE_MAX_AGE)
        return rules.young(cadres, business_date(utcnow(), self.config), max_age)

    # the lion-type pool (L-1, L-2)

    @rpc(request=NominateSchema, response=PoolEntrySchema, allow={**DEPARTMENT, UNIT_ADMIN: OWN_UNIT})
    def nominate(self, cadre_id, evidence, profile=None, reason=None):
        """L-1 定期发现储备: a nomination with evidence for each of the five standards."""
        def change(cadre, now, by):
            rules.check_nomination_evidence(evidence)
            rules.check_profile(cadre["level"], profile)
            pool = cadre.get("pool") or {}
            state = self._pool_state(cadre)
            if state:  # again, after an exit or a nomination not admitted
                rules.check_pool_status(state, rules.EXITED, rules.NOT_ADMITTED, doing="nominate")
            history = list(pool.get("history", []))
            if state and state.get("exit") and state["exit"].get("cause") == rules.EXIT_SANCTION:
                # the exit a sanction caused was computed, never stored: kept now, with its cause
                history.append(transition(pool.get("status"), state["status"], "accountability",
                                          state["exit"]["at"], state["exit"]["evidence"],
                                          action="exited", cause=rules.EXIT_SANCTION,
                                          case_id=state["exit"]["case_id"]))
            entry = transition(state and state["status"], rules.NOMINATED, by, now, reason,
                               action="nominated")
            return {"$set": {"pool": {
                "status": rules.NOMINATED, "profile": profile, "evidence": evidence,
                "nominated_at": now, "nominated_by": by, "admitted_at": None,
                "history": [*history, entry]}}}, []
        return self._pool_entry(self._change_cadre(cadre_id, change, bump_revision=False))

    @rpc(request=AssessNominationSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def assess_nomination(self, cadre_id, standards, profile_items):
        """L-1: admitted to the RESERVE only when all five standards hold (and the level
        profile's items, for the levels 001 profiles); otherwise NOT_ADMITTED."""
        def change(cadre, now, by):
            # as things stand: a sanction since the nomination means not admitted (L-2a)
            rules.check_pool_status(self._pool_state(cadre), rules.NOMINATED,
                                    doing="assess a nomination")
            missing = [code for code in rules.STANDARDS if code not in standards]
            if missing:
                raise InvalidInput("assess each of the five standards",
                                   fields={"standards": [f"Missing: {', '.join(missing)}."]})
            holds = {code: value["holds"] for code, value in standards.items()}
            admitted = rules.admitted(holds, profile_items, cadre["level"])
            status = rules.RESERVE if admitted else rules.NOT_ADMITTED
            entry = transition(rules.NOMINATED, status, by, now, None, action="assessed")
            return {"$set": {"pool.status": status, "pool.standards": standards,
                             "pool.profile_items": profile_items,
                             "pool.admitted_at": now if admitted else None},
                    "$push": {"pool.history": entry}}, []
        return self._pool_entry(self._change_cadre(cadre_id, change, bump_revision=False))

    @rpc(request=PlaceInPostSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def place_in_post(self, cadre_id, post):
        """L-1: a reserve cadre placed in a demanding post (吃劲岗位)."""
        def change(cadre, now, by):
            state = self._pool_state(cadre)
            rules.check_pool_status(state, rules.RESERVE, rules.IN_USE, doing="place in a post")
            entry = transition(state["status"], rules.IN_USE, by, now, post, action="placed")
            return {"$set": {"pool.status": rules.IN_USE, "pool.post": post},
                    "$push": {"pool.history": entry}}, []
        return self._pool_entry(self._change_cadre(cadre_id, change, bump_revision=False))

    @rpc(request=ExitPoolSchema, response=PoolEntrySchema, allow=DEPARTMENT)
    def exit_pool(self, cadre_id, cause, evidence):
        """L-2 (b) decline, (c) health: by an officer, with evidence; the cause is kept."""
        def change(cadre, now, by):
            state = self._pool_state(cadre)
            rules.check_pool_status(state, *rules.IN_POOL, doing="exit the pool")
            entry = transition(state["status"], rules.EXITED, by, now, evidence,
                               action="exited", cause=cause)
            event = self.outbox.event(PoolExited, {"cadre_id": cadre_id, "cause": cause,
                                                   "case_id": None, "exited_at": now})
            return {"$set": {"pool.status": rules.EXITED, "pool.exit": {
                "cause": cause, "rule": "L-2", "evidence": evidence, "at": now, "by": by}},
                    "$push": {"pool.history": entry}}, [event]
        return self._pool_entry(self._change_cadre(cadre_id, change, bump_revision=False))

    @rpc(request=PoolQuerySchema, response=PoolEntrySchema, many=True, allow=DEPARTMENT)
    def get_pool(self, status=None):
        """The pool as things stand (an exit caused by a sanction shows, and goes when the matter
        is exempted or cleared), young cadres first (L-4), then by cadre id."""
        self.access.check(record=("pool", status or "*"))
        entries = [self._pool_entry(cadre) for cadre in self.store.collection(Cadre).find(
            {"pool.status": {"$exists": True}})]
        entries = [e for e in entries if status is None or e["status"] == status]
        return sorted(entries, key=lambda e: (e["birth_date"] and -e["birth_date"].toordinal(),
                                              e["cadre_id"]))

    # training (L-5)

    @rpc(request=CreateProgrammeSchema, response=ProgrammeSchema, allow=DEPARTMENT)
    def create_programme(self, name, year, seats):
        self.access.check(record=("programme", name))
        programme = Programme(programme_id=uuid.uuid4().hex, name=name, year=year, seats=seats,
                              created_at=utcnow())
        self.store.insert(programme)
        return self.store.collection(Programme).find_one({"_id": programme.programme_id})

    @rpc(request=AllocateSchema, response=AllocationLineSchema, many=True, allow=DEPARTMENT)
    def allocate_programme(self, programme_id, candidates):
        """L-5: seats to priority cadres first, in the stated order, each told why."""
        self.access.check(record=("programme", programme_id))
        programme = self.store.collection(Programme).find_one({"_id": programme_id})
        if programme is None:
            raise NotFound(f"programme {programme_id} does not exist", code="PROGRAMME_NOT_FOUND")
        if programme.get("allocated_at"):
            raise Conflict(f"programme {programme_id} is already allocated",
                           code="PROGRAMME_ALLOCATED")
        found = self.store.by_ids(Cadre, candidates)
        unknown = [c for c in candidates if c not in found]
        if unknown:
            raise NotFound("some candidates are not on the roster", code="CADRE_NOT_FOUND",
                           details={"unknown": unknown})
        years = int(self.config.get("GRASSROOTS_PRIORITY_YEARS") or DEFAULT_GRASSROOTS_PRIORITY_YEARS)
        now = utcnow()
        results = self._results_of(found.values())
        pool = []
        for cadre_id in candidates:
            cadre = found[cadre_id]
            eligibility = rules.eligibility(results[cadre_id], now, sanctions=self._sanctions(cadre),
                                            liftings=cadre.get("liftings") or [])
            priority = rules.training_priority(cadre, eligibility.training_priority,
                                               bool(cadre.get("commendations")), years)
            pool.append({"cadre_id": cadre_id, "priority": priority,
                         "grassroots_years": cadre["grassroots_years"]})
        allocation = rules.allocate(pool, programme["seats"])
        result = self.store.update_one(
            Programme, {"_id": programme_id, "allocated_at": None},
            {"$set": {"allocation": allocation, "allocated_at": now}, "$inc": {"version": 1}})
        if not result.matched_count:
            raise Conflict(f"programme {programme_id} is already allocated",
                           code="PROGRAMME_ALLOCATED")
        return allocation

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
        self._keep_result({**payload, "finalized_at": payload.pop("amended_at"), "event_id": event.event_id})

    @consume(CommendationAwardedIn)
    def on_commendation_awarded(self, event):
        """L-5: outstanding results on record."""
        self._keep(event.payload["cadre_id"], "commendations",
                   {**event.payload, "event_id": event.event_id}, event)

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        """Promotion bans (C) and, for an admitted cadre, exit from the pool (L-2a) -- published
        in the same write as the fact."""
        sanction = {**event.payload, "event_id": event.event_id}

        def update_for(cadre):
            before = self._pool_state(cadre)
            after = rules.pool_state(cadre.get("pool"), [*self._sanctions(cadre), _aware_one(
                sanction, "decided_at", "ban_until")], cadre.get("liftings") or [])
            events = []
            if before and before["status"] in rules.IN_POOL and after["status"] == rules.EXITED:
                events.append(self.outbox.event(PoolExited, {  # the cause as the pool states it
                    "cadre_id": cadre["_id"], "cause": rules.EXIT_SANCTION,
                    "case_id": after["exit"]["case_id"], "exited_at": after["exit"]["at"]}))
            return push_events({"$push": {"sanctions": sanction}}, events)
        self._apply(sanction["cadre_id"], event, update_for)

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
        """C-5 澄清正名: the sanctions decided on an untrue report are lifted."""
        cleared = event.payload
        if not cleared["case_ids"]:
            return
        self._apply(cleared["cadre_id"], event, lambda cadre: {"$push": {"liftings": {"$each": [
            {"case_id": case_id, "rule": "C-5", "event_id": event.event_id,
             "complaint_id": cleared["complaint_id"], "at": cleared["cleared_at"]}
            for case_id in cleared["case_ids"]]}}})

    @consume(UnitGradedIn)
    def on_unit_graded(self, event):
        """Keep the unit's performance grade as a fact; rule A-3 reads it for principal leaders."""
        fact = {**event.payload, "event_id": event.event_id}
        try:
            apply_once(self.store, Unit, {"_id": fact["unit_id"]},
                       {"$push": {"performance_grades": fact}}, event.event_id)
        except MissingTarget:
            raise NotFound(f"unit {fact['unit_id']} is not in the roster",
                           code="UNIT_NOT_FOUND") from None

    # helpers

    def _keep(self, cadre_id, field, fact, event):
        """A fact whose keeping depends on nothing else in the record: one guarded write, no read
        first. The version is bumped all the same, so a read-decide-write running meanwhile
        (``_apply``) decides again with this fact in view."""
        with self._known(cadre_id):
            apply_once(self.store, Cadre, {"_id": cadre_id},
                       {"$push": {field: fact}, "$inc": {"version": 1}}, event.event_id)

    def _keep_result(self, result):
        """A result is its own document under its event id (ADR 0017): an insert, grouped with
        other workers', where keeping it on the cadre was a guarded update of a growing document.
        No rule that writes reads results, so no cadre version needs bumping."""
        if not self.store.known(Cadre).exist(result["cadre_id"], self._cadres_with):
            raise _not_in_roster(result["cadre_id"])
        if not self.store.insert_new(Result, {"_id": result["event_id"], **result}):
            # the inbox's wording (inbox.py), which operators and the slice test look for
            log.info("event %s was already applied to %s %s; ignored", result["event_id"],
                     Result._get_collection_name(), result["event_id"])

    def _cadres_with(self, cadre_id):
        """The cadre's id, if it is on the roster, with its unit's: results come a unit's cycle at a
        time, so a season checks its cadres with two lookups per unit, not one per result."""
        cadres = self.store.collection(Cadre)
        cadre = cadres.find_one({"_id": cadre_id}, {"unit_id": 1})
        if cadre is None:
            return []
        return [cadre_id, *(c["_id"] for c in cadres.find({"unit_id": cadre["unit_id"]}, {"_id": 1}))]

    def _apply(self, cadre_id, event, update_for):
        with self._known(cadre_id):
            apply_once_read(self.store, Cadre, cadre_id, event.event_id, update_for)

    @contextmanager
    def _known(self, cadre_id):
        try:
            yield
        except MissingTarget:
            raise _not_in_roster(cadre_id) from None

    def _cadre_document(self, facts, now):
        """The stored form of a new cadre with its registration event (the facts were checked by
        CadreSchema), built directly: a roster import writes thousands."""
        born = facts["birth_date"]
        document = {"_id": facts["cadre_id"], **{k: facts[k] for k in ROSTER_FACTS},
                    "birth_date": datetime(born.year, born.month, born.day), "registered_at": now,
                    "revision": 1, "version": 1, "selection_status": NOT_IN_SELECTION,
                    "appraisal_results": [], "sanctions": [], "liftings": [], "commendations": [],
                    "postings": [], "applied_events": []}
        return with_events(document, [self.outbox.event(CadreRegistered, {**facts, "revision": 1})])

    def _change_cadre(self, cadre_id, change, bump_revision=True):
        """Read, let ``change`` check and say the update and its events, write if nobody changed
        the cadre meanwhile. A roster change bumps the revision and publishes the whole record."""
        for _ in range(WRITE_ATTEMPTS):
            cadre = self._cadre(cadre_id)
            now, by = utcnow(), self.access.actor.user_id
            update, events = change(cadre, now, by)
            if not update:
                return cadre  # nothing changes: nothing written, nothing announced
            if bump_revision:
                changed = {**{k: cadre[k] for k in ROSTER_FACTS}, **update.get("$set", {})}
                update.setdefault("$inc", {})["revision"] = 1
                events = [*events, self.outbox.event(CadreUpdated, {
                    "cadre_id": cadre_id, **_roster_facts(changed),
                    "revision": cadre.get("revision", 1) + 1})]
            if self.store.update_if_unchanged(Cadre, cadre, push_events(update, events)):
                return self._cadre(cadre_id)
        raise Conflict(f"cadre {cadre_id} is being changed by others; try again",
                       code="CONCURRENT_UPDATE")

    def _selection(self, cadre_id, status):
        def change(cadre, now, by):
            if cadre.get("selection_status", NOT_IN_SELECTION) == status:
                return {}, []  # already so: nothing to announce
            return {"$set": {"selection_status": status}}, [self.outbox.event(
                SelectionStatusChanged, {"cadre_id": cadre_id, "status": status, "changed_at": now})]
        return self._change_cadre(cadre_id, change, bump_revision=False)

    def _sanctions(self, cadre):
        return _aware(cadre.get("sanctions"), "decided_at", "ban_until")

    def _pool_state(self, cadre):
        pool = cadre.get("pool") or None
        if pool:
            pool = {**pool, **{k: as_utc(pool[k]) for k in ("admitted_at", "nominated_at")
                               if pool.get(k)}}
        return rules.pool_state(pool, self._sanctions(cadre), cadre.get("liftings") or [])

    def _pool_entry(self, cadre):
        state = self._pool_state(cadre) or {}
        return {**state, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
                "level": cadre["level"], "birth_date": _as_date(cadre.get("birth_date")),
                "exit": state.get("exit") or None}

    def _results_of(self, cadres) -> dict[str, list]:
        """A-5's facts for each cadre: its Result documents, and those kept on the cadre itself
        before ADR 0017. A result kept both ways is one cycle's, which A-5 reads once."""
        cadres = list(cadres)
        kept = self.store.by_field(Result, "cadre_id", [c["_id"] for c in cadres], {"_id": 0})
        return {c["_id"]: _aware([*(c.get("appraisal_results") or []), *kept[c["_id"]]], "finalized_at")
                for c in cadres}

    def _unit(self, unit_id):
        if self.store.collection(Unit).count_documents({"_id": unit_id}, limit=1) == 0:
            raise NotFound(f"unit {unit_id} is not registered", code="UNIT_NOT_FOUND",
                           fields={"unit_id": ["Unknown unit."]})

    def _cadre(self, cadre_id):
        """The cadre, if within the user's scope. Outside it the answer is 403 whether or not the
        cadre exists, so a scoped user cannot probe which ids exist."""
        cadre = self.store.collection(Cadre).find_one({"_id": cadre_id})
        if cadre is None:
            self.access.check(record=("cadre", cadre_id), cadre_id=cadre_id)
            raise NotFound(f"cadre {cadre_id} is not registered", code="CADRE_NOT_FOUND")
        self.access.check(unit_id=cadre["unit_id"], cadre_id=cadre_id, record=("cadre", cadre_id))
        return _view(cadre)


def _not_in_roster(cadre_id) -> NotFound:
    """A fact about a cadre talent does not have. Other services only know cadres they learnt from
    us, so this is a bug or lost data: retried, then dead-lettered for an operator, never dropped."""
    return NotFound(f"cadre {cadre_id} is not in the roster", code="CADRE_NOT_FOUND")


def _view(cadre):
    """A stored cadre as callers see it: its id under its own name, the birth date a date."""
    return {**cadre, "cadre_id": cadre["_id"], "birth_date": _as_date(cadre["birth_date"])}


def _as_date(value):
    if value is None or isinstance(value, date) and not hasattr(value, "hour"):
        return value
    return as_utc(value).date()


def _aware_one(fact, *names):
    return {**fact, **{n: as_utc(fact[n]) for n in names if fact.get(n) is not None}}


def _aware(facts, *names):
    """Stored facts with their times as aware UTC (the rules compare them with now)."""
    return [_aware_one(fact, *names) for fact in facts or []]


def _roster_facts(cadre):
    facts = {k: cadre[k] for k in ROSTER_FACTS}
    return {**facts, "birth_date": _as_date(facts["birth_date"])}


def _same_facts(stored, row):
    return _roster_facts(stored) == _roster_facts(row)


def _read_roster(text):
    """(data lines read, rows as loaded by CadreSchema with their line numbers, errors per line)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    expected = set(CadreSchema().fields)
    try:
        names = reader.fieldnames or []
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", code="CSV_MALFORMED") from None
    if set(names) != expected or len(names) != len(set(names)):
        raise InvalidInput("the CSV header must name each of the roster's fields once",
                           code="CSV_HEADER", details={
                               "missing": sorted(expected - set(names)),
                               "unknown": sorted(set(names) - expected),
                               "repeated": sorted({n for n in names if names.count(n) > 1})})
    schema = CadreSchema()
    rows, errors, seen, lines = [], [], {}, 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(f"the CSV cannot be read at line {reader.line_num}: {exc}",
                               code="CSV_MALFORMED", details={"line": reader.line_num}) from None
        line = reader.line_num  # the file's line, however many blank or multi-line rows before
        if all(not (v or "").strip() for k, v in raw.items() if k is not None):
            continue  # a blank line
        lines += 1
        if None in raw or any(v is None for v in raw.values()):
            errors.append({"row": line, "cadre_id": raw.get("cadre_id"),
                           "fields": {"_row": ["Wrong number of columns."]}})
            continue
        typed = {**raw, "is_leader": _flag(raw["is_leader"]),
                 "is_principal": _flag(raw["is_principal"]),
                 "grassroots_years": _number(raw["grassroots_years"]),
                 "service_years": _number(raw["service_years"])}
        try:
            row = schema.load(typed)
        except ValidationError as exc:
            errors.append({"row": line, "cadre_id": raw.get("cadre_id"),
                           "fields": exc.normalized_messages()})
            continue
        if row["cadre_id"] in seen:
            errors.append({"row": line, "cadre_id": row["cadre_id"], "fields": {
                "cadre_id": [f"Also on line {seen[row['cadre_id']]}."]}})
            continue
        seen[row["cadre_id"]] = line
        rows.append((line, row))
    return lines, rows, errors


def _flag(text):
    return {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}.get(
        text.strip().lower(), text)


def _number(text):
    text = text.strip()
    try:
        return int(text) if text.isascii() and text.isdecimal() and len(text) < 6 else text
    except ValueError:
        return text

