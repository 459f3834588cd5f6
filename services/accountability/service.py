"""Accountability: cases, the sanction ladder, four-eyes decisions and complaints (DOMAIN.md C)."""

import logging
import uuid

from nameko.dependency_providers import Config

from services.accountability import decide, rules
from services.accountability.events import (
    ApplicationFiledIn,
    CadreCleared,
    CadreRegisteredIn,
    CadreUpdatedIn,
    PostingChangedIn,
    RulingMadeIn,
    SelectionStatusChangedIn,
    UnitGradedIn,
)
from services.accountability.models import Case, Complaint
from services.accountability.schemas import (
    AllowedSanctionsSchema,
    ApproveDecisionSchema,
    CaseIdSchema,
    CaseMoveSchema,
    CaseSchema,
    ComplaintIdSchema,
    ComplaintSchema,
    DismissCaseSchema,
    FileComplaintSchema,
    HoldForApplicationSchema,
    HoldSchema,
    ListCasesSchema,
    OpenCaseSchema,
    OpenComplaintsSchema,
    ProposeDecisionSchema,
    RecordOutsideSanctionSchema,
    ReportLineSchema,
    ReportYearSchema,
    ResolveComplaintSchema,
    SanctionsQuerySchema,
    VerifyCaseSchema,
)
from services.accountability.storage import AccountabilityStorage
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
from services.common.clock import as_utc, business_date, business_day_start, business_year, utcnow
from services.common.decision import Event
from services.common.errors import NotFound, Unavailable
from services.common.messaging.amqp import NoAnswer, ServiceProxy, ask
from services.common.messaging.consumer import PermanentFailure, consume
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.store import MissingTarget, MongoStore
from services.common.work import WorkItemSchema, WorkQuerySchema

log = logging.getLogger(__name__)

# C-4: a hold unconfirmed this long is settled with tolerance: well past tolerance's filing window
# (FILING_WINDOW_SECONDS), so that an answer "no such application" is final
DEFAULT_HOLD_SETTLE_SECONDS = 300

# accountability is the business of the organisation department and of discipline inspection
# (docs/permissions.md); the reporter of a complaint is seen by discipline officers only (C-5)
OFFICERS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY}
# who may file a fault-tolerance application for a case, and so hold it (tolerance's applicants, C-4)
APPLICANTS = {**OFFICERS, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}


class AccountabilityService(ServiceBase):
    name = "accountability"

    config = Config()
    store = MongoStore(AccountabilityStorage)
    outbox = Outbox(Case, Complaint)
    tolerance = ServiceProxy("tolerance")  # C-4: whether a filing behind a stale hold completed

    # cases (C-1)

    @rpc(request=OpenCaseSchema, response=CaseSchema, allow=OFFICERS, idempotent=True)
    def open_case(self, cadre_id, source, situations, summary, complaint_id=None):
        """C-1; with ``complaint_id``, the case investigates that complaint (C-5)."""
        self.access.check(record=("cadre", cadre_id))
        case_id = self._new_id()
        self.store.cases.add(decide.open_case(
            self._cadre(cadre_id), complaint_id and self._complaint(complaint_id), case_id=case_id,
            source=source, situations=situations, summary=summary, complaint_id=complaint_id,
            now=utcnow(), by=self._by()))
        return self._case(case_id)

    @rpc(request=CaseMoveSchema, response=CaseSchema, allow=OFFICERS)
    def start_investigation(self, case_id, reason=None):
        return self._change(case_id, decide.move, move="start_investigation", reason=reason)

    @rpc(request=VerifyCaseSchema, response=CaseSchema, allow=OFFICERS)
    def verify_case(self, case_id, findings, discipline_due=False):
        """C-1 verified, with the finding and whether discipline is due (C-2)."""
        return self._change(case_id, decide.verify, findings=findings, discipline_due=discipline_due)

    @rpc(request=DismissCaseSchema, response=CaseSchema, allow=OFFICERS)
    def dismiss_case(self, case_id, reason):
        """C-1: not verified. The case ends without sanction."""
        return self._change(case_id, decide.move, move="dismiss", reason=reason,
                            changes={"outcome": rules.NOT_VERIFIED}, closed=rules.NOT_VERIFIED)

    @rpc(request=CaseMoveSchema, response=CaseSchema, allow=OFFICERS)
    def close_case(self, case_id, reason=None):
        return self._change(case_id, decide.move, move="close", reason=reason,
                            changes={"outcome": rules.SANCTIONED}, closed=rules.SANCTIONED)

    @rpc(request=SanctionsQuerySchema, response=AllowedSanctionsSchema, allow=OFFICERS)
    def allowed_sanctions(self, case_id, severity, public_outcry, bad_impact):
        """C-2, C-3, C-4: the sanction sets a decision on this case may carry."""
        case = self._case(case_id)
        allowed = rules.allowed_sanction_sets(case["source"], severity, public_outcry, bad_impact,
                                              mitigated=bool(case.get("mitigated")),
                                              discipline_due=case.get("discipline_due"))
        return {"case_id": case_id, "severity": severity, "public_outcry": public_outcry,
                "bad_impact": bad_impact, "mitigated": bool(case.get("mitigated")),
                "discipline_due": case.get("discipline_due"),
                "allowed": [{"sanctions": list(s.sanctions), "rule": s.rule} for s in allowed]}

    @rpc(request=ProposeDecisionSchema, response=CaseSchema, allow=OFFICERS)
    def propose_decision(self, case_id, severity, public_outcry, bad_impact, sanctions,
                         disciplinary, reason):
        """The first of the four eyes: a decision within the ladder, waiting for approval."""
        self._settle_stale_holds(case_id)
        return self._change(case_id, decide.propose_decision, severity=severity,
                            public_outcry=public_outcry, bad_impact=bad_impact, sanctions=sanctions,
                            disciplinary=disciplinary, reason=reason, proposal_id=uuid.uuid4().hex)

    @rpc(request=ApproveDecisionSchema, response=CaseSchema, allow=OFFICERS)
    def approve_decision(self, case_id, proposal_id, reason=None):
        """The second of the four eyes: another officer approves; the sanction is decided and
        published with the promotion ban's end (DOMAIN.md C, promotion bans)."""
        policy = self._policy()
        self._settle_stale_holds(case_id)
        return self._change(case_id, lambda case, now, **command: decide.approve_decision(
            case, year=business_year(now, self.config), policy=policy, now=now, **command),
            proposal_id=proposal_id, reason=reason)

    @rpc(request=RecordOutsideSanctionSchema, response=CaseSchema, allow=OFFICERS, idempotent=True)
    def record_outside_sanction(self, cadre_id, sanctions, authority, reference, decided_on, summary,
                                disciplinary=None):
        """C-7 (v2): a sanction decided outside accountability (a discipline inspection decision),
        recorded with its reference: it restricts the same as one decided here."""
        self.access.check(record=("cadre", cadre_id))
        # one record per cadre and decision: a retried request finds it
        case_id = uuid.uuid5(decide.IDS, f"outside:{cadre_id}:{reference}").hex
        now = utcnow()
        recorded = decide.record_outside_sanction(
            self.store.cadres.get(cadre_id), self.store.cases.get(case_id), case_id=case_id,
            cadre_id=cadre_id, sanctions=sanctions, disciplinary=disciplinary, authority=authority,
            reference=reference, decided_on=decided_on, summary=summary,
            decided_at=business_day_start(decided_on, self.config),
            today=business_date(now, self.config), policy=self._policy(), now=now, by=self._by())
        if recorded:
            self.store.cases.add_once(recorded)  # a racing retry inserted it: the same record
        return self._case(case_id)

    @rpc(request=HoldForApplicationSchema, response=HoldSchema, allow=APPLICANTS)
    def hold_for_application(self, case_id, application_id, cadre_id, situation):
        """C-4 (v2): called by tolerance before it accepts an application for the case, as the user
        who files it: the case is held from the filing (decide.hold_from_filing). No route of the
        gateway leads here, and of the services only tolerance may send it (its broker user)."""
        case = self.store.cases.get(case_id)
        # an applicant who may not see the case learns nothing of it: the same answer as no case
        scope = {"cadre_id": case["cadre_id"], "unit_id": case.get("unit_id")} if case else {}
        self.access.check(record=("case", case_id), **scope)
        if case is None:
            raise NotFound(f"case {case_id} does not exist", code="CASE_NOT_FOUND")
        held = self.store.cases.change(case_id, lambda case: decide.hold_from_filing(
            case, application_id=application_id, cadre_id=cadre_id, situation=situation,
            now=utcnow()), current=case)
        pending = application_id in (held.get("pending_applications") or [])
        return {"case_id": case_id, "application_id": application_id, "held": pending,
                "status": held["status"],
                "not_held_because": None if pending else rules.hold_refused(held, situation)}

    @rpc(request=CaseIdSchema, response=CaseSchema, allow=OFFICERS)
    def get_case(self, case_id):
        return self._case(case_id)

    @rpc(request=ListCasesSchema, response=CaseSchema, many=True, paged=True, allow=OFFICERS)
    def list_cases(self, cadre_id=None, unit_id=None, status=None, year=None, cursor=None,
                   limit=paging.DEFAULT_LIMIT):
        self.access.check(record=("cases", cadre_id or "*"))
        return self.store.cases.page(
            {**paging.matching(cadre_id=cadre_id, unit_id=unit_id, status=status),
             **paging.in_year("opened_at", year, self.config)}, cursor, limit)

    @rpc(request=ReportYearSchema, response=ReportLineSchema, many=True, paged=True, allow=OFFICERS)
    def demotion_report(self, year, published=False, cursor=None, limit=paging.DEFAULT_LIMIT):
        """C-6 (v2): every downward move of a leading cadre in the year, per type and unit: the
        organisational handlings decided here and the downward postings talent recorded. The
        officers' copy names the cadres; ``published`` gives the counts alone."""
        self.access.check(record=("demotion_report", str(year)))
        def lines():
            cases = list(self.store.cases.decided_in(year))
            names = self.store.cadres.names({case["cadre_id"] for case in cases})
            return rules.demotion_report(
                ({**case["decision"], "unit_id": case["unit_id"], "cadre_id": case["cadre_id"],
                  "name": names.get(case["cadre_id"]),
                  "exempted": case["decision"].get("exempted") or case["decision"].get("cleared")}
                 for case in cases), self.store.downward_moves.in_year(year))

        shown = paging.page_of(lines, rules.report_order, "demotion_report", cursor, limit,
                               scope=(self.access.actor, year))
        if published:
            shown[:] = [{k: v for k, v in line.items() if k != "cadres"} for line in shown]
        return shown

    @rpc(request=WorkQuerySchema, response=WorkItemSchema, many=True, allow=work.WORK)
    def work_list(self, limit=work.DEFAULT_LIMIT):
        """What waits here for the caller (DOMAIN.md "Work lists (v2)"): decisions another officer
        proposed, to approve; for a discipline officer also the cases in hand, those on hold marked,
        and the open complaints by deadline, overdue first."""
        actor, now, items = work.caller(self.access), utcnow(), []
        if {ORG_ADMIN, DISCIPLINE_OFFICER} & set(actor.roles):
            items += decide.decisions_to_approve(self.store.cases.proposed(limit), actor.user_id,
                                                 now)
        if DISCIPLINE_OFFICER in actor.roles:
            items += decide.cases_in_hand(self.store.cases.in_hand(limit), now)
            items += decide.complaints_due(self.store.complaints.by_deadline(None, limit), now)
        return work.most_urgent_first(items, limit)

    # complaints (C-5)

    @rpc(request=FileComplaintSchema, response=ComplaintSchema, allow=OFFICERS, idempotent=True)
    def file_complaint(self, cadre_id, matter, reporter=None):
        self.access.check(record=("cadre", cadre_id))
        complaint_id = self._new_id()
        self.store.complaints.add(decide.file_complaint(
            self._cadre(cadre_id), complaint_id=complaint_id, matter=matter, reporter=reporter,
            policy=self._policy(), now=utcnow(), by=self._by()))
        return self._complaint(complaint_id)

    @rpc(request=OpenComplaintsSchema, response=ComplaintSchema, many=True, paged=True, allow=OFFICERS)
    def open_complaints(self, status=None, cadre_id=None, unit_id=None, cursor=None,
                        limit=paging.DEFAULT_LIMIT):
        """C-5 (v2): the complaints not resolved yet (or of ``status``) with their deadlines, the
        earliest (the most overdue) first."""
        self.access.check(record=("complaints", status or "open"))
        now = utcnow()
        shown = self.store.complaints.by_deadline(cursor, limit, status=status, cadre_id=cadre_id,
                                                  unit_id=unit_id)
        shown[:] = [{**c, "overdue": c["status"] != rules.RESOLVED and as_utc(c["due_at"]) < now}
                    for c in shown]
        return shown

    @rpc(request=ComplaintIdSchema, response=ComplaintSchema, allow=OFFICERS)
    def get_complaint(self, complaint_id):
        return self._complaint(complaint_id)

    @rpc(request=ResolveComplaintSchema, response=ComplaintSchema, allow=OFFICERS)
    def resolve_complaint(self, complaint_id, outcome, reason, repeat_of=None, situations=()):
        """C-5: SUBSTANTIATED opens a case (or keeps the one investigating it); REPEAT closes it
        without reinvestigation; FALSE_ACCUSATION refers the named reporter; GROUNDLESS and
        FALSE_ACCUSATION clear the cadre.

        The complaint is claimed (``RESOLVING``) before any case is touched, so two officers
        cannot both resolve it; a retry of the same resolution carries on from where it stopped."""
        complaint = self._complaint(complaint_id)
        if not decide.resuming(complaint, outcome):
            rules.check_complaint_open(complaint)
        prior, prior_kind = self._earlier_matter(repeat_of) if outcome == rules.REPEAT \
            else (None, "case")
        cadre = self.store.cadres.get(complaint["cadre_id"])
        now, by = utcnow(), self._by()
        resolution = decide.resolution(complaint, prior, cadre, outcome=outcome, reason=reason,
                                       repeat_of=repeat_of, situations=situations, now=now, by=by,
                                       prior_kind=prior_kind)
        if not self.store.complaints.claim(complaint_id, resolution):
            complaint = self._complaint(complaint_id)
            if not decide.resuming(complaint, outcome):
                rules.check_complaint_open(complaint)  # resolved otherwise meanwhile: refused
        events, finished = [], {"status": rules.RESOLVED}
        if outcome == rules.SUBSTANTIATED:
            finished["case_id"] = self._case_from_complaint(complaint, cadre, situations, now, by)
        if outcome == rules.FALSE_ACCUSATION:
            events.append(decide.false_accusation_referral(
                {**complaint, **resolution}, now=now))
        if outcome in rules.CLEARING_OUTCOMES:
            # 澄清正名、消除影响: the cases that investigated the report end, and what they decided
            # is lifted wherever it restricts the cadre (A-6, L-3)
            cleared = [self._clear(case, complaint_id, reason, now, by)
                       for case in self.store.cases.of_complaint(complaint_id)]
            events.append(Event(CadreCleared, {
                "cadre_id": complaint["cadre_id"], "complaint_id": complaint_id,
                "outcome": outcome, "cleared_at": now,
                "case_ids": [case_id for case_id in cleared if case_id]}))
        self.store.complaints.finish(complaint_id, finished, events)
        return self._complaint(complaint_id)

    # events

    @consume(PostingChangedIn)
    def on_posting_changed(self, event):
        """C-6 (v2): a leading cadre moved down by a posting counts in the yearly report, once."""
        move = decide.downward_move(event.payload, event.event_id, self.config)
        if move:
            self.store.downward_moves.add_once(move)

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        self.store.cadres.project(event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        self.store.cadres.project(event)

    @consume(SelectionStatusChangedIn)
    def on_selection_status_changed(self, event):
        """C-5: a cadre under selection gets complaints dealt with quickly (快查快结); those
        already filed are expedited too -- also when a redelivery finds the status recorded."""
        change = event.payload
        cadre = self.store.cadres.change(
            change["cadre_id"],
            lambda cadre: decide.selection_changed(cadre, change["status"], change["changed_at"]),
            event_id=event.event_id, create=True)
        if cadre.get("selection_status") != rules.IN_SELECTION:
            return
        policy = self._policy()
        for complaint in self.store.complaints.not_expedited(change["cadre_id"]):
            self.store.complaints.expedite(complaint["_id"], decide.expedited_due(complaint, policy))

    @consume(UnitGradedIn)
    def on_unit_graded(self, event):
        """A-4: a unit graded FAIL -> one APPRAISAL_FAIL case per principal leader, once."""
        grade = event.payload
        if grade["grade"] != "FAIL":
            return
        for case in decide.appraisal_fail_cases(
                grade, self.store.cadres.principal_leaders(grade["unit_id"]),
                event_id=event.event_id, now=utcnow(), by=self._by("system")):
            self.store.cases.add_once(case)  # or opened by an earlier delivery of this event

    @consume(ApplicationFiledIn)
    def on_application_filed(self, event):
        """C-4 fault tolerance first: the case waits for the ruling. Tolerance holds the case itself
        before it accepts the application (hold_for_application); this keeps the hold of an
        application filed by a first-version tolerance, and holds nothing the filing did not."""
        filed = event.payload
        if filed.get("case_id") and filed.get("case_held") is not False:
            self._apply_to_case(filed["case_id"], event,
                                lambda case: decide.hold(case, filed["application_id"]))

    @consume(RulingMadeIn)
    def on_ruling_made(self, event):
        """C-4: the ruling closes, mitigates or releases the case (decide.ruling_received)."""
        ruling = event.payload
        if ruling.get("case_id"):
            self._apply_to_case(ruling["case_id"], event, lambda case: decide.ruling_received(
                case, ruling, now=utcnow(), by=self._by("tolerance")))

    # helpers

    def _change(self, case_id, decision, **command):
        """Load, decide, save under the case's version; a lost race is read and decided again."""
        self.store.cases.change(case_id, lambda case: decision(case, now=utcnow(), by=self._by(),
                                                               **command),
                                current=self._case(case_id))
        return self._case(case_id)

    def _apply_to_case(self, case_id, event, decision):
        """An event's effect on a case, once, under the case's version like any change."""
        def checked(case):
            if event.payload.get("cadre_id") != case["cadre_id"]:
                # tolerance's application names another cadre than the case: retrying cannot help
                raise PermanentFailure(f"{event.event_type} {event.event_id} names cadre "
                                       f"{event.payload.get('cadre_id')}, case {case_id} is "
                                       f"about {case['cadre_id']}")
            return decision(case)
        try:
            self.store.cases.change(case_id, checked, event_id=event.event_id)
        except MissingTarget:
            raise NotFound(f"case {case_id} does not exist", code="CASE_NOT_FOUND") from None

    def _clear(self, case, complaint_id, reason, now, by):
        """End a case whose complaint proved untrue; its id if it had decided a sanction."""
        cleared = self.store.cases.change(case["_id"], lambda case: decide.clear(
            case, complaint_id=complaint_id, reason=reason, now=now, by=by), current=case)
        return cleared["_id"] if cleared.get("decision") and cleared["status"] != rules.DISMISSED \
            else None

    def _case_from_complaint(self, complaint, cadre, situations, now, by) -> str:
        """The case investigating a substantiated complaint: the one an officer opened for it, or
        a new one (decide.complaint_case_id: a retried resolution finds it again)."""
        investigating = self.store.cases.investigating(complaint["_id"])
        if investigating:
            return investigating
        case_id = decide.complaint_case_id(complaint["_id"])
        self.store.cases.add_once(decide.new_case(
            cadre, case_id=case_id, source=rules.COMPLAINT, situations=situations,
            summary=complaint["matter"], now=now, by=by, complaint_id=complaint["_id"]))
        return case_id

    def _settle_stale_holds(self, case_id):
        """C-4: a hold tolerance placed for a filing that never completed (the process died between
        the hold and its write) would hold the case for ever. Past tolerance's filing window and a
        margin, tolerance is asked, as the deciding officer, whether the application exists: if
        not, the hold ends; if so, it is confirmed. Tolerance unreachable: the hold stands."""
        case = self._case(case_id)
        now = utcnow()
        settle = int(self.config.get("HOLD_SETTLE_SECONDS") or DEFAULT_HOLD_SETTLE_SECONDS)
        for application_id in decide.stale_holds(case, now, settle):
            try:
                exists = ask(self.config, self.tolerance.application_exists,
                             application_id=application_id)["exists"]
            except NoAnswer:
                log.warning("case %s: tolerance could not say whether application %s exists",
                            case_id, application_id)
                continue
            self.store.cases.change(case_id, decide.settled_hold(
                application_id, exists=exists, now=now, by=self._by()))

    def _earlier_matter(self, matter_id):
        """C-5: the matter a REPEAT cites, a case or a complaint: (record, kind), or (None, "case")."""
        if not matter_id:
            return None, "case"
        case = self.store.cases.get(matter_id)
        if case is not None:
            return case, "case"
        complaint = self.store.complaints.get(matter_id)
        return (complaint, "complaint") if complaint is not None else (None, "case")

    def _case(self, case_id):
        self.access.check(record=("case", case_id))
        case = self.store.cases.get(case_id)
        if case is None:
            raise NotFound(f"case {case_id} does not exist", code="CASE_NOT_FOUND")
        return case

    def _complaint(self, complaint_id):
        self.access.check(record=("complaint", complaint_id))
        complaint = self.store.complaints.get(complaint_id)
        if complaint is None:
            raise NotFound(f"complaint {complaint_id} does not exist", code="COMPLAINT_NOT_FOUND")
        return complaint

    def _policy(self) -> rules.Policy:
        try:
            return rules.Policy.from_config(self.config)
        except ValueError as exc:
            log.error("accountability is misconfigured: %s", exc)
            raise Unavailable("accountability is misconfigured; nothing was decided",
                              code="CONFIG_INVALID") from None

    def _by(self, otherwise=None):
        """Who acts: the user behind the call or event -- for an event without one, ``otherwise``."""
        actor = self.access.actor
        return actor.user_id if actor else otherwise
