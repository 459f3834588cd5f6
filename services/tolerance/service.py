"""Tolerance: fault tolerance and error correction, 容错纠错 (DOMAIN.md T)."""

import uuid

from services.common.clock import as_utc, utcnow
from services.common.consumer import consume
from services.common.errors import Conflict, NotFound
from services.common.history import transition
from services.common.inbox import apply_once, project_event
from services.common.outbox import Outbox, push_events
from services.common.rpc import rpc
from services.common.security import ANY, CADRE, DISCIPLINE_OFFICER, ORG_ADMIN, OWN_UNIT, SELF, UNIT_ADMIN
from services.common.service import ServiceBase
from services.common.store import MongoStore
from services.tolerance import rules
from services.tolerance.models import Application, CadreCopy, CaseCopy
from services.tolerance.schemas import (
    AllowedOutcomesSchema,
    ApplicationFiled,
    ApplicationIdSchema,
    ApplicationSchema,
    ApproveRulingSchema,
    AssessSchema,
    CadreRegisteredIn,
    CadreUpdatedIn,
    CaseOpenedIn,
    CompleteMeasureSchema,
    FileApplicationSchema,
    ListApplicationsSchema,
    OverdueMeasureSchema,
    ProposeRulingSchema,
    RulingMade,
    StartReviewSchema,
)

# the review is the organisation department's and discipline inspection's (docs/permissions.md)
OFFICERS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY}
# a cadre applies for themselves, a unit for its cadres (T-1); they read what they filed
APPLICANTS = {**OFFICERS, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}

# a write lost to a concurrent one on the same application is re-read and retried this many times
WRITE_ATTEMPTS = 5


class ToleranceService(ServiceBase):
    name = "tolerance"

    store = MongoStore(Application, CadreCopy, CaseCopy)
    outbox = Outbox(Application)

    @rpc(request=FileApplicationSchema, response=ApplicationSchema, allow=APPLICANTS)
    def file_application(self, cadre_id, situation, facts, approval_reference=None, case_id=None):
        """T-1; an application answering a case holds it in accountability until ruled (C-4)."""
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        self.access.check(unit_id=cadre and cadre.get("unit_id"), cadre_id=cadre_id,
                          record=("cadre", cadre_id))
        if cadre is None:
            raise NotFound(f"cadre {cadre_id} is unknown to tolerance (not registered in talent, "
                           "or its registration has not arrived yet)", code="CADRE_NOT_FOUND",
                           fields={"cadre_id": ["Unknown cadre."]})
        rules.check_reference(situation, approval_reference)
        if case_id:
            self._check_case(case_id, cadre_id)
        now, by = utcnow(), self.access.actor.user_id
        application = Application(
            application_id=uuid.uuid4().hex, cadre_id=cadre_id, unit_id=cadre["unit_id"],
            situation=situation, approval_reference=approval_reference, facts=facts,
            case_id=case_id, filed_at=now, filed_by=by,
            history=[transition(None, rules.FILED, by, now, None)])
        application.pending_events = [self.outbox.event(ApplicationFiled, {
            "application_id": application.application_id, "cadre_id": cadre_id,
            "unit_id": cadre["unit_id"], "situation": situation, "case_id": case_id,
            "filed_at": now})]
        self.store.insert(application)
        return self._application(application.application_id)

    @rpc(request=StartReviewSchema, response=ApplicationSchema, allow=OFFICERS)
    def start_review(self, application_id, reason=None):
        def change(application, now, by):
            rules.check_status(application, rules.FILED, doing="start the review")
            return {"$set": {"status": rules.UNDER_REVIEW},
                    "$push": {"history": transition(rules.FILED, rules.UNDER_REVIEW, by, now, reason)}}
        return self._change(application_id, change)

    @rpc(request=AssessSchema, response=ApplicationSchema, allow=OFFICERS)
    def assess(self, application_id, conditions, factors):
        """Record conditions (true/false with evidence) and factors (a rating and a note); a
        later assessment of the same code replaces the earlier one while under review."""
        def change(application, now, by):
            rules.check_status(application, rules.UNDER_REVIEW, doing="assess")
            stamp = {"by": by, "at": now}
            return {"$set": {
                **{f"conditions.{code}": {**value, **stamp} for code, value in conditions.items()},
                **{f"factors.{code}": {**value, **stamp} for code, value in factors.items()}}}
        return self._change(application_id, change)

    @rpc(request=ApplicationIdSchema, response=AllowedOutcomesSchema, allow=OFFICERS)
    def allowed_outcomes(self, application_id):
        """T-2..T-5: the outcomes the recorded conditions allow, each with the rules behind it."""
        application = self._application(application_id)
        recorded = application["conditions"]
        missing = rules.missing(recorded, rules.CONDITIONS)
        allowed = [] if missing else rules.allowed_outcomes(
            {code: value["holds"] for code, value in recorded.items()})
        return {"application_id": application_id, "complete": not missing,
                "missing_conditions": missing,
                "missing_factors": rules.missing(application["factors"], rules.FACTORS),
                "allowed": [{"outcome": o.outcome, "rules": list(o.rules)} for o in allowed]}

    @rpc(request=ProposeRulingSchema, response=ApplicationSchema, allow=OFFICERS)
    def propose_ruling(self, application_id, outcome, reasoning, measures):
        """The first of the four eyes: a ruling the rules allow, waiting for approval (T-5, T-7)."""
        def change(application, now, by):
            rules.check_status(application, rules.UNDER_REVIEW, doing="propose a ruling")
            option = self._check_ruling(application, outcome)
            rules.check_measures(outcome, measures, now)
            proposal = {"proposal_id": uuid.uuid4().hex, "outcome": outcome,
                        "rules": list(option.rules), "reasoning": reasoning,
                        "measures": [{"measure_id": uuid.uuid4().hex[:12], **m} for m in measures],
                        "by": by, "at": now}
            return {"$set": {"proposal": proposal},
                    "$push": {"history": transition(rules.UNDER_REVIEW, rules.UNDER_REVIEW, by, now,
                                                reasoning, action="proposed", outcome=outcome)}}
        return self._change(application_id, change)

    @rpc(request=ApproveRulingSchema, response=ApplicationSchema, allow=OFFICERS)
    def approve_ruling(self, application_id, proposal_id, reason=None):
        """The second of the four eyes; the ruling goes to accountability, talent and appraisal."""
        def change(application, now, by):
            rules.check_status(application, rules.UNDER_REVIEW, doing="approve a ruling")
            proposal = application.get("proposal") or None
            rules.check_four_eyes(proposal, by, proposal_id)
            # an assessment changed since the proposal is asked again
            option = self._check_ruling(application, proposal["outcome"])
            measures = [{**m, "status": rules.OPEN} for m in proposal["measures"]]
            ruling = {**proposal, "rules": list(option.rules), "approved_by": by,
                      "approved_at": now}
            event = self.outbox.event(RulingMade, {
                "application_id": application["_id"], "cadre_id": application["cadre_id"],
                "case_id": application.get("case_id"), "outcome": proposal["outcome"],
                "rules": list(option.rules), "ruled_at": now,
                "measures": [{k: m[k] for k in ("measure_id", "description", "due")}
                             for m in measures]})
            return push_events({
                "$set": {"status": rules.RULED, "ruling": ruling, "proposal": {},
                         "measures": measures},
                "$push": {"history": transition(rules.UNDER_REVIEW, rules.RULED, by, now, reason,
                                            action="approved", outcome=proposal["outcome"])}},
                [event])
        return self._change(application_id, change)

    @rpc(request=CompleteMeasureSchema, response=ApplicationSchema, allow=OFFICERS)
    def complete_measure(self, application_id, measure_id, note):
        """T-7: a corrective measure done, with what was done."""
        def change(application, now, by):
            rules.check_status(application, rules.RULED, doing="complete a measure")
            measures = [dict(m) for m in application.get("measures", [])]
            measure = next((m for m in measures if m["measure_id"] == measure_id), None)
            if measure is None:
                raise NotFound(f"application {application_id} has no measure {measure_id}",
                               code="MEASURE_NOT_FOUND")
            if measure["status"] == rules.DONE:
                raise Conflict(f"measure {measure_id} is already done", code="MEASURE_DONE",
                               rule="T-7", details={"done_at": as_utc(measure["done_at"])
                                                    .isoformat()})
            measure.update(status=rules.DONE, done_at=now, done_by=by, note=note)
            return {"$set": {"measures": measures}}
        return self._change(application_id, change)

    @rpc(response=OverdueMeasureSchema, many=True, allow=OFFICERS)
    def overdue_measures(self):
        """T-7: measures not done by their deadline, the most overdue first."""
        self.access.check(record=("measures", "overdue"))
        now = utcnow()
        found = []
        for application in self.store.collection(Application).find(
                {"status": rules.RULED, "measures.status": rules.OPEN}):
            for measure in application["measures"]:
                measure = {**measure, "due": as_utc(measure["due"])}
                found.append({**measure, "application_id": application["_id"],
                              "cadre_id": application["cadre_id"],
                              "unit_id": application["unit_id"]})
        return [{**m, "days_overdue": (now - m["due"]).days} for m in rules.overdue(found, now)]

    @rpc(request=ApplicationIdSchema, response=ApplicationSchema, allow=APPLICANTS)
    def get_application(self, application_id):
        return self._application(application_id)

    @rpc(request=ListApplicationsSchema, response=ApplicationSchema, many=True, allow=APPLICANTS)
    def list_applications(self, cadre_id=None, status=None, limit=100):
        """Newest first. A cadre lists their own, a unit administrator one of their unit's cadres
        (``cadre_id`` is then required); officers list all."""
        cadre = cadre_id and self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        self.access.check(unit_id=cadre and cadre.get("unit_id"), cadre_id=cadre_id,
                          record=("applications", cadre_id or "*"))
        query = {key: value for key, value in (("cadre_id", cadre_id), ("status", status)) if value}
        found = self.store.collection(Application).find(query).sort("filed_at", -1).limit(limit)
        return [_shown(application) for application in found]

    # events

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event)

    @consume(CaseOpenedIn)
    def on_case_opened(self, event):
        """Link applications to cases: an application may answer a case of its own cadre."""
        apply_once(self.store, CaseCopy, {"_id": event.payload["case_id"]},
                   {"$set": dict(event.payload)}, event.event_id, upsert=True)

    # helpers

    def _check_case(self, case_id, cadre_id):
        case = self.store.collection(CaseCopy).find_one({"_id": case_id})
        if case is None:
            raise NotFound(f"cadre {cadre_id} has no case {case_id} (or its opening has not "
                           "reached tolerance yet)", code="CASE_NOT_FOUND", rule="T-1",
                           fields={"case_id": ["Not a case of this cadre."]})
        if case["cadre_id"] != cadre_id:
            # the same answer as for no case: an applicant learns nothing of others' cases (T-1)
            raise NotFound(f"cadre {cadre_id} has no case {case_id}", code="CASE_NOT_FOUND",
                           rule="T-1", fields={"case_id": ["Not a case of this cadre."]})
        pending = self.store.collection(Application).find_one(
            {"case_id": case_id, "status": {"$ne": rules.RULED}}, {"_id": 1})
        if pending:
            raise Conflict(f"case {case_id} already has a pending application",
                           code="APPLICATION_PENDING", rule="C-4",
                           details={"application_id": pending["_id"]})

    def _check_ruling(self, application, outcome):
        rules.check_assessed(application)
        holds = {code: value["holds"] for code, value in application["conditions"].items()}
        return rules.check_outcome(outcome, rules.allowed_outcomes(holds))

    def _change(self, application_id, change):
        """Read, let ``change`` check the rules and say the update, write if nobody changed the
        application meanwhile (optimistic lock); retried on a lost race."""
        for _ in range(WRITE_ATTEMPTS):
            application = self._application(application_id)
            update = change(application, utcnow(), self.access.actor.user_id)
            if self.store.update_if_unchanged(Application, application, update):
                return self._application(application_id)
        raise Conflict(f"application {application_id} is being changed by others; try again",
                       code="CONCURRENT_UPDATE")

    def _application(self, application_id):
        """The application, if within the user's scope (403 outside it, whether or not it exists)."""
        application = self.store.collection(Application).find_one({"_id": application_id})
        if application is None:
            self.access.check(record=("application", application_id))
            raise NotFound(f"application {application_id} does not exist",
                           code="APPLICATION_NOT_FOUND")
        # scoped by the cadre's unit now, as listing is: a posting moves who may read it
        cadre = self.store.collection(CadreCopy).find_one({"_id": application["cadre_id"]}) or {}
        self.access.check(unit_id=cadre.get("unit_id", application["unit_id"]),
                          cadre_id=application["cadre_id"], record=("application", application_id))
        return _shown(application)


def _shown(application):
    """A stored application as callers see it: an unset proposal or ruling is none, not ``{}``."""
    return {**application, "proposal": application.get("proposal") or None,
            "ruling": application.get("ruling") or None,
            "conditions": application.get("conditions") or {},
            "factors": application.get("factors") or {}}
