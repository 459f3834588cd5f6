"""Appraisal: cycles, grades and finalization; keeps its own copy of talent's roster."""

import uuid

from pymongo.errors import DuplicateKeyError

from services.appraisal import rules
from services.appraisal.models import CadreCopy, Cycle, UnitCopy
from services.appraisal.schemas import (
    CadreRegisteredIn,
    CycleIdSchema,
    CycleSchema,
    OpenCycleSchema,
    RecordGradeSchema,
    ResultFinalized,
    UnitRegisteredIn,
)
from services.common.clock import utcnow
from services.common.consumer import consume
from services.common.errors import Conflict, NotFound
from services.common.inbox import apply_once
from services.common.outbox import Outbox, push_events
from services.common.rpc import rpc
from services.common.security import ANY, ORG_ADMIN, OWN_UNIT, UNIT_ADMIN
from services.common.service import ServiceBase
from services.common.store import MongoStore

# a unit's own appraisal is run by the unit, under the organisation department (docs/permissions.md)
RUN_CYCLE = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT}

# a write lost to a concurrent one on the same cycle is re-read and retried this many times
WRITE_ATTEMPTS = 5


class AppraisalService(ServiceBase):
    name = "appraisal"

    store = MongoStore(Cycle, UnitCopy, CadreCopy)
    outbox = Outbox(Cycle)

    @rpc(request=OpenCycleSchema, response=CycleSchema, allow=RUN_CYCLE)
    def open_cycle(self, unit_id, year, kind):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        if self.store.collection(UnitCopy).count_documents({"_id": unit_id}, limit=1) == 0:
            raise NotFound(f"unit {unit_id} is unknown to appraisal (not registered in talent, "
                           "or its registration has not arrived yet)", code="UNIT_NOT_FOUND",
                           fields={"unit_id": ["Unknown unit."]})
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
    def record_grade(self, cycle_id, cadre_id, grade):
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        for _ in range(WRITE_ATTEMPTS):
            cycle = self._cycle(cycle_id)
            # a unit admin learns nothing about cadres outside their unit, existing or not
            self.access.check(unit_id=cadre["unit_id"] if cadre else None)
            rules.ensure_open(cycle)
            if cadre is None:
                raise NotFound(f"cadre {cadre_id} is unknown to appraisal (not registered in talent, "
                               "or its registration has not arrived yet)", code="CADRE_NOT_FOUND",
                               fields={"cadre_id": ["Unknown cadre."]})
            rules.ensure_cadre_in_unit(cycle, cadre)
            results = rules.with_grade(cycle["results"], cadre_id, grade, utcnow())
            if self._write(cycle, {"$set": {"results": results}}):
                return self._cycle(cycle_id)
        raise self._busy(cycle_id)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow={ORG_ADMIN: ANY})
    def finalize_cycle(self, cycle_id):
        for _ in range(WRITE_ATTEMPTS):
            cycle = self._cycle(cycle_id)
            rules.ensure_open(cycle)
            now = utcnow()
            events = [self.outbox.event(ResultFinalized, payload)
                      for payload in rules.finalized_results(cycle, now)]
            update = {"$set": {"status": rules.FINALIZED, "finalized_at": now}}
            if self._write(cycle, push_events(update, events)):
                return self._cycle(cycle_id)
        raise self._busy(cycle_id)

    @rpc(request=CycleIdSchema, response=CycleSchema, allow=RUN_CYCLE)
    def get_cycle(self, cycle_id):
        return self._cycle(cycle_id)

    @consume(UnitRegisteredIn)
    def on_unit_registered(self, event):
        self._project(UnitCopy, event.payload["unit_id"], event)

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        self._project(CadreCopy, event.payload["cadre_id"], event)

    def _project(self, document, key, event):
        """Keep a local copy of a roster fact (ARCHITECTURE.md §2), once per event."""
        apply_once(self.store, document, {"_id": key},
                   {"$set": dict(event.payload)}, event.event_id, upsert=True)

    def _cycle(self, cycle_id):
        """The cycle, if within the user's scope (403 outside it, whether or not it exists)."""
        cycle = self.store.collection(Cycle).find_one({"_id": cycle_id})
        if cycle is None:
            self.access.check(record=("cycle", cycle_id))
            raise NotFound(f"cycle {cycle_id} does not exist", code="CYCLE_NOT_FOUND")
        self.access.check(unit_id=cycle["unit_id"], record=("cycle", cycle_id))
        return cycle

    def _write(self, cycle, update):
        """Apply ``update`` if nobody changed the cycle since it was read (optimistic lock)."""
        update = {op: dict(spec) for op, spec in update.items()}
        update.setdefault("$inc", {})["version"] = 1
        result = self.store.update_one(
            Cycle, {"_id": cycle["_id"], "version": cycle["version"], "status": rules.OPEN}, update)
        return result.matched_count == 1

    def _busy(self, cycle_id):
        return Conflict(f"cycle {cycle_id} is being changed by others; try again",
                        code="CONCURRENT_UPDATE")
