"""Tolerance: fault tolerance and error correction, 容错纠错 (DOMAIN.md T)."""

import uuid

from nameko.dependency_providers import Config

from services.common import paging, work
from services.common.boundary.rpc import rpc
from services.common.boundary.security import (
    ANY,
    CADRE,
    DISCIPLINE_OFFICER,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
)
from services.common.clock import as_utc, utcnow
from services.common.errors import NotFound, Unavailable
from services.common.messaging.amqp import NoAnswer, ServiceProxy, ask
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.store import MongoStore
from services.common.work import WorkItemSchema, WorkQuerySchema
from services.tolerance import decide, rules
from services.tolerance.events import CadreRegisteredIn, CadreUpdatedIn, CaseOpenedIn
from services.tolerance.models import Application
from services.tolerance.schemas import (
    AllowedOutcomesSchema,
    ApplicationIdSchema,
    ApplicationSchema,
    ApproveRulingSchema,
    AssessSchema,
    CompleteMeasureSchema,
    ExistsSchema,
    FileApplicationSchema,
    ListApplicationsSchema,
    OverdueMeasureSchema,
    OverdueMeasuresSchema,
    ProposeRulingSchema,
    StartReviewSchema,
)
from services.tolerance.storage import ToleranceStorage

# the review is the organisation department's and discipline inspection's (docs/permissions.md)
OFFICERS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY}
# C-4: a filing writes its application within this many seconds of asking for the hold, or not at all
DEFAULT_FILING_WINDOW_SECONDS = 60
# a cadre applies for themselves, a unit for its cadres (T-1); they read what they filed
APPLICANTS = {**OFFICERS, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}


class ToleranceService(ServiceBase):
    name = "tolerance"

    config = Config()
    store = MongoStore(ToleranceStorage)
    outbox = Outbox(Application)
    accountability = ServiceProxy("accountability")  # C-4: the hold placed before the filing

    @rpc(request=FileApplicationSchema, response=ApplicationSchema, allow=APPLICANTS, idempotent=True)
    def file_application(self, cadre_id, situation, facts, approval_reference=None, case_id=None):
        """T-1; an application answering a case holds it in accountability until ruled (C-4). The
        hold is placed in accountability, as the user filing, before the application is accepted
        here: from the filing no decision slips through. Accountability down: nothing is filed."""
        cadre = self._cadre(cadre_id)
        application_id = self._new_id()
        started = utcnow()
        filed = decide.file_application(
            cadre, case_id and self.store.cases.get(case_id),
            case_id and self.store.applications.pending_for_case(case_id),
            application_id=application_id, situation=situation, facts=facts,
            approval_reference=approval_reference, case_id=case_id, now=utcnow(), by=self._by())
        if case_id:
            filed = decide.with_hold(filed, self._hold(case_id, application_id, cadre_id, situation))
            # past the window, accountability may already have asked whether this application
            # exists and released its hold: it is not written late
            window = float(self.config.get("FILING_WINDOW_SECONDS") or DEFAULT_FILING_WINDOW_SECONDS)
            if (utcnow() - started).total_seconds() > window:
                raise Unavailable(f"the filing took longer than {window:g} s; nothing was filed, "
                                  "try again", code="FILING_TIMED_OUT", rule="C-4")
        self.store.applications.add(filed)
        return self._application(application_id)

    @rpc(request=ApplicationIdSchema, response=ExistsSchema, allow=OFFICERS)
    def application_exists(self, application_id):
        """C-4: asked by accountability about a hold whose filing it never saw completed."""
        self.access.check(record=("application", application_id))
        return {"application_id": application_id,
                "exists": self.store.applications.exists(application_id)}

    @rpc(request=StartReviewSchema, response=ApplicationSchema, allow=OFFICERS)
    def start_review(self, application_id, reason=None):
        return self._change(application_id, decide.start_review, reason=reason)

    @rpc(request=AssessSchema, response=ApplicationSchema, allow=OFFICERS)
    def assess(self, application_id, conditions, factors, loss=None):
        """Record conditions (true/false with evidence) and factors (a rating and a note); a
        later assessment of the same code replaces the earlier one while under review."""
        return self._change(application_id, decide.assess, conditions=conditions, factors=factors,
                            loss=loss)

    @rpc(request=ApplicationIdSchema, response=AllowedOutcomesSchema, allow=OFFICERS)
    def allowed_outcomes(self, application_id):
        """T-2..T-5: the outcomes the recorded conditions and loss allow, each with the rules behind
        it."""
        application = self._application(application_id)
        missing = rules.missing(application.get("conditions") or {}, rules.CONDITIONS)
        loss_missing = rules.recorded_loss(application) is None
        complete = not missing and not loss_missing
        allowed = rules.allowed_for(application) if complete else []
        return {"application_id": application_id, "complete": complete,
                "missing_conditions": missing, "loss_missing": loss_missing,
                "missing_factors": rules.missing(application.get("factors") or {}, rules.FACTORS),
                "allowed": [{"outcome": o.outcome, "rules": list(o.rules)} for o in allowed]}

    @rpc(request=ProposeRulingSchema, response=ApplicationSchema, allow=OFFICERS)
    def propose_ruling(self, application_id, outcome, reasoning, measures):
        """The first of the four eyes: a ruling the rules allow, waiting for approval (T-5, T-7)."""
        return self._change(application_id, decide.propose_ruling, outcome=outcome,
                            reasoning=reasoning, measures=measures, proposal_id=uuid.uuid4().hex,
                            measure_ids=[uuid.uuid4().hex[:12] for _ in measures])

    @rpc(request=ApproveRulingSchema, response=ApplicationSchema, allow=OFFICERS)
    def approve_ruling(self, application_id, proposal_id, reason=None):
        """The second of the four eyes; the ruling goes to accountability, talent and appraisal."""
        return self._change(application_id, decide.approve_ruling, proposal_id=proposal_id,
                            reason=reason)

    @rpc(request=CompleteMeasureSchema, response=ApplicationSchema, allow=OFFICERS)
    def complete_measure(self, application_id, measure_id, note):
        """T-7: a corrective measure done, with what was done."""
        return self._change(application_id, decide.complete_measure, measure_id=measure_id,
                            note=note)

    @rpc(request=OverdueMeasuresSchema, response=OverdueMeasureSchema, many=True, paged=True,
         allow=OFFICERS)
    def overdue_measures(self, cursor=None, limit=paging.DEFAULT_LIMIT):
        """T-7: measures not done by their deadline, the most overdue first."""
        self.access.check(record=("measures", "overdue"))
        now = utcnow()
        return paging.page_of(
            lambda: ({**m, "days_overdue": (now - m["due"]).days} for m in self._overdue_measures(now)),
            lambda m: (m["due"], m["application_id"], m["measure_id"]), "overdue_measures", cursor,
            limit, scope=self.access.actor)

    @rpc(request=WorkQuerySchema, response=WorkItemSchema, many=True, allow=work.WORK)
    def work_list(self, limit=work.DEFAULT_LIMIT):
        """What waits here for the caller (DOMAIN.md "Work lists (v2)"): rulings another officer
        proposed, to approve; for a discipline officer also the applications under review and the
        corrective measures overdue."""
        actor, now, items = work.caller(self.access), utcnow(), []
        if {ORG_ADMIN, DISCIPLINE_OFFICER} & set(actor.roles):
            in_review = self.store.applications.in_review(limit)
            items += decide.rulings_to_approve(in_review, actor.user_id, now)
            if DISCIPLINE_OFFICER in actor.roles:
                items += decide.applications_in_review(in_review, now)
                items += decide.measures_overdue(self._overdue_measures(now), now)
        return work.most_urgent_first(items, limit)

    @rpc(request=ApplicationIdSchema, response=ApplicationSchema, allow=APPLICANTS)
    def get_application(self, application_id):
        return self._application(application_id)

    @rpc(request=ListApplicationsSchema, response=ApplicationSchema, many=True, paged=True,
         allow=APPLICANTS)
    def list_applications(self, cadre_id=None, unit_id=None, status=None, year=None, cursor=None,
                          limit=paging.DEFAULT_LIMIT):
        """Newest first. A cadre lists their own, a unit administrator one of their unit's cadres
        (``cadre_id`` is then required); officers list all."""
        cadre = cadre_id and self.store.cadres.get(cadre_id)
        self.access.check(unit_id=(cadre and cadre.get("unit_id")) or unit_id, cadre_id=cadre_id,
                          record=("applications", cadre_id or "*"))
        return self.store.applications.page(
            {**paging.matching(cadre_id=cadre_id, unit_id=unit_id, status=status),
             **paging.in_year("filed_at", year, self.config)}, cursor, limit)

    # events

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        self.store.cadres.project(event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        self.store.cadres.project(event)

    @consume(CaseOpenedIn)
    def on_case_opened(self, event):
        self.store.cases.project(event)

    # helpers

    def _hold(self, case_id, application_id, cadre_id, situation) -> bool:
        """C-4: accountability holds the case (or says the decision came first); its refusals
        (another cadre's case, one this user may not touch) are the caller's answer."""
        try:
            answer = ask(self.config, self.accountability.hold_for_application, case_id=case_id,
                         application_id=application_id, cadre_id=cadre_id, situation=situation)
        except NoAnswer as exc:
            raise Unavailable(f"accountability could not hold case {case_id} ({exc}); nothing was "
                              "filed, try again later", code="CASE_HOLD_UNAVAILABLE",
                              rule="C-4") from None
        return bool(answer["held"])

    def _change(self, application_id, decision, **command):
        """Load in scope, decide, save under the application's version; a lost race is read and
        decided again."""
        self.store.applications.change(
            application_id,
            lambda application: decision(self._in_scope(application), now=utcnow(), by=self._by(),
                                         **command),
            current=self._application(application_id))
        return self._application(application_id)

    def _application(self, application_id):
        """The application, if within the user's scope (403 outside it, whether or not it exists)."""
        application = self.store.applications.get(application_id)
        if application is None:
            self.access.check(record=("application", application_id))
            raise NotFound(f"application {application_id} does not exist",
                           code="APPLICATION_NOT_FOUND")
        return self._in_scope(application)

    def _in_scope(self, application):
        # scoped by the cadre's unit now, as listing is: a posting moves who may read it
        cadre = self.store.cadres.get(application["cadre_id"]) or {}
        self.access.check(unit_id=cadre.get("unit_id", application["unit_id"]),
                          cadre_id=application["cadre_id"], record=("application", application["_id"]))
        return application

    def _overdue_measures(self, now):
        """T-7: measures not done by their deadline, the most overdue first, with their application."""
        found = [{**measure, "due": as_utc(measure["due"]), "application_id": application["_id"],
                  "cadre_id": application["cadre_id"], "unit_id": application["unit_id"]}
                 for application in self.store.applications.with_open_measures()
                 for measure in application["measures"]]
        return rules.overdue(found, now)
