"""Talent: the roster of units and cadres, and eligibility computed from appraisal facts."""

from pymongo.errors import DuplicateKeyError

from services.common.clock import as_utc, utcnow
from services.common.consumer import consume
from services.common.errors import Conflict, NotFound
from services.common.inbox import MissingTarget, apply_once
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.security import (
    ANY,
    CADRE,
    CARE_OFFICER,
    DISCIPLINE_OFFICER,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
)
from services.common.service import ServiceBase
from services.common.store import MongoStore
from services.talent import rules
from services.talent.models import Cadre, Unit
from services.talent.schemas import (
    CadreIdSchema,
    CadreRegistered,
    CadreSchema,
    EligibilitySchema,
    ResultAmendedIn,
    ResultFinalizedIn,
    UnitGradedIn,
    UnitRegistered,
    UnitSchema,
)

# who may read a cadre's roster record, and their eligibility (docs/permissions.md)
READ_CADRE = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT,
              CADRE: SELF}
READ_ELIGIBILITY = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}


class TalentService(ServiceBase):
    name = "talent"

    store = MongoStore(Unit, Cadre)
    outbox = Outbox(Unit, Cadre)

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

    @rpc(request=CadreSchema, response=CadreSchema, allow={ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT})
    def register_cadre(self, cadre_id, unit_id, **facts):
        self.access.check(unit_id=unit_id, record=("cadre", cadre_id))
        if self.store.objects(Unit).filter(unit_id=unit_id).count() == 0:
            raise NotFound(f"unit {unit_id} is not registered", code="UNIT_NOT_FOUND",
                           fields={"unit_id": ["Unknown unit."]})
        cadre = Cadre(cadre_id=cadre_id, unit_id=unit_id, registered_at=utcnow(), **facts)
        cadre.pending_events = [self.outbox.event(
            CadreRegistered, {"cadre_id": cadre_id, "unit_id": unit_id, **facts})]
        try:
            self.store.insert(cadre)
        except DuplicateKeyError:
            raise Conflict(f"cadre {cadre_id} is already registered",
                           code="CADRE_EXISTS") from None
        return cadre

    @rpc(request=CadreIdSchema, response=CadreSchema, allow=READ_CADRE)
    def get_cadre(self, cadre_id):
        return self._cadre(cadre_id)

    @rpc(request=CadreIdSchema, response=EligibilitySchema, allow=READ_ELIGIBILITY)
    def get_eligibility(self, cadre_id):
        cadre = self._cadre(cadre_id)
        now = utcnow()
        results = [{**r, "finalized_at": as_utc(r["finalized_at"])}
                   for r in cadre.appraisal_results]
        unit = self.store.collection(Unit).find_one({"_id": cadre.unit_id}) or {}
        unit_grades = [{**g, "graded_at": as_utc(g["graded_at"])}
                       for g in unit.get("performance_grades", [])]
        answer = rules.eligibility(results, now, unit_grades, is_principal=cadre.is_principal)
        return {"cadre_id": cadre_id, "computed_at": now, **answer.__dict__}

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

    def _keep_result(self, fact):
        event_id = fact["event_id"]
        try:
            apply_once(self.store, Cadre, {"_id": fact["cadre_id"]},
                       {"$push": {"appraisal_results": fact}}, event_id)
        except MissingTarget:
            # appraisal only grades cadres it learnt from us, so this is a bug or lost data:
            # retry, then dead-letter for an operator -- never drop silently
            raise NotFound(f"cadre {fact['cadre_id']} is not in the roster",
                           code="CADRE_NOT_FOUND") from None

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

    def _cadre(self, cadre_id):
        """The cadre, if within the user's scope. Outside it the answer is 403 whether or not the
        cadre exists, so a scoped user cannot probe which ids exist."""
        cadre = self.store.objects(Cadre).filter(cadre_id=cadre_id).first()
        if cadre is None:
            self.access.check(record=("cadre", cadre_id), cadre_id=cadre_id)
            raise NotFound(f"cadre {cadre_id} is not registered", code="CADRE_NOT_FOUND")
        self.access.check(unit_id=cadre.unit_id, cadre_id=cadre_id, record=("cadre", cadre_id))
        return cadre
