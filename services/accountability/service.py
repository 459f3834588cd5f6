"""Accountability: cases, the sanction ladder, four-eyes decisions and complaints (DOMAIN.md C)."""

import logging
import uuid

from nameko.dependency_providers import Config
from pymongo.errors import DuplicateKeyError

from services.accountability import rules
from services.accountability.models import CadreCopy, Case, Complaint
from services.accountability.schemas import (
    AllowedSanctionsSchema,
    ApplicationFiledIn,
    ApproveDecisionSchema,
    CadreCleared,
    CadreRegisteredIn,
    CadreUpdatedIn,
    CaseClosed,
    CaseIdSchema,
    CaseMoveSchema,
    CaseOpened,
    CaseSchema,
    ComplaintFiled,
    ComplaintIdSchema,
    ComplaintSchema,
    DismissCaseSchema,
    FileComplaintSchema,
    ListCasesSchema,
    OpenCaseSchema,
    ProposeDecisionSchema,
    ReportLineSchema,
    ReportYearSchema,
    ResolveComplaintSchema,
    RulingMadeIn,
    SanctionDecided,
    SanctionsQuerySchema,
    SelectionStatusChangedIn,
    UnitGradedIn,
    VerifyCaseSchema,
)
from services.common.boundary.rpc import rpc
from services.common.boundary.security import ANY, DISCIPLINE_OFFICER, ORG_ADMIN
from services.common.clock import as_utc, business_year, utcnow
from services.common.errors import Conflict, NotFound, Unavailable
from services.common.messaging.consumer import PermanentFailure, consume
from services.common.messaging.outbox import Outbox, push_events
from services.common.service import ServiceBase
from services.common.storage.inbox import MissingTarget, apply_once, apply_once_read, project_event
from services.common.storage.store import MongoStore

log = logging.getLogger(__name__)

# accountability is the business of the organisation department and of discipline inspection
# (docs/permissions.md); the reporter of a complaint is seen by discipline officers only (C-5)
OFFICERS = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY}

# a write lost to a concurrent one on the same case is re-read and retried this many times
WRITE_ATTEMPTS = 5
# deterministic ids make a redelivered event, or a retried request, find what it made before
IDS = uuid.UUID("6d1f3c1e-5a0b-4b8e-9a57-2b7f0c4f6a11")


class AccountabilityService(ServiceBase):
    name = "accountability"

    config = Config()
    store = MongoStore(Case, Complaint, CadreCopy)
    outbox = Outbox(Case, Complaint)

    # cases (C-1)

    @rpc(request=OpenCaseSchema, response=CaseSchema, allow=OFFICERS)
    def open_case(self, cadre_id, source, situations, summary, complaint_id=None):
        """C-1; with ``complaint_id``, the case investigates that complaint (C-5)."""
        self.access.check(record=("cadre", cadre_id))
        cadre = self._cadre(cadre_id)
        rules.check_leading_cadre(cadre)
        rules.check_grounds(source, situations)
        if complaint_id:
            rules.check_case_for_complaint(source, self._complaint(complaint_id), cadre_id)
        case = self._new_case(uuid.uuid4().hex, cadre, source, situations, summary,
                              complaint_id=complaint_id)
        self.store.insert(case)
        return self._case(case.case_id)

    @rpc(request=CaseMoveSchema, response=CaseSchema, allow=OFFICERS)
    def start_investigation(self, case_id, reason=None):
        return self._move(case_id, "start_investigation", reason)

    @rpc(request=VerifyCaseSchema, response=CaseSchema, allow=OFFICERS)
    def verify_case(self, case_id, findings):
        return self._move(case_id, "verify", findings, {"findings": findings})

    @rpc(request=DismissCaseSchema, response=CaseSchema, allow=OFFICERS)
    def dismiss_case(self, case_id, reason):
        """C-1: not verified. The case ends without sanction."""
        return self._move(case_id, "dismiss", reason, {"outcome": rules.NOT_VERIFIED},
                          closed=rules.NOT_VERIFIED)

    @rpc(request=CaseMoveSchema, response=CaseSchema, allow=OFFICERS)
    def close_case(self, case_id, reason=None):
        return self._move(case_id, "close", reason, {"outcome": rules.SANCTIONED},
                          closed=rules.SANCTIONED)

    @rpc(request=SanctionsQuerySchema, response=AllowedSanctionsSchema, allow=OFFICERS)
    def allowed_sanctions(self, case_id, severity, public_outcry, bad_impact):
        """C-2, C-3, C-4: the sanction sets a decision on this case may carry."""
        case = self._case(case_id)
        allowed = rules.allowed_sanction_sets(case["source"], severity, public_outcry, bad_impact,
                                              mitigated=bool(case.get("mitigated")))
        return {"case_id": case_id, "severity": severity, "public_outcry": public_outcry,
                "bad_impact": bad_impact, "mitigated": bool(case.get("mitigated")),
                "allowed": [{"sanctions": list(s.sanctions), "rule": s.rule} for s in allowed]}

    @rpc(request=ProposeDecisionSchema, response=CaseSchema, allow=OFFICERS)
    def propose_decision(self, case_id, severity, public_outcry, bad_impact, sanctions,
                         disciplinary, reason):
        """The first of the four eyes: a decision within the ladder, waiting for approval."""
        for _ in range(WRITE_ATTEMPTS):
            case = self._case(case_id)
            rules.check_move(case, "propose")
            rules.check_not_on_hold(case)
            option = rules.check_sanctions(sanctions, rules.allowed_sanction_sets(
                case["source"], severity, public_outcry, bad_impact,
                mitigated=bool(case.get("mitigated"))))
            rules.check_disciplinary_terms(option.sanctions, disciplinary)
            now, by = utcnow(), self.access.actor.user_id
            proposal = {"proposal_id": uuid.uuid4().hex, "severity": severity, "public_outcry": public_outcry,
                        "bad_impact": bad_impact, "sanctions": list(option.sanctions),
                        "disciplinary": disciplinary, "rule": option.rule, "reason": reason,
                        "by": by, "at": now}
            entry = rules.transition(case["status"], case["status"], by, now, reason,
                                     action="proposed", sanctions=list(option.sanctions))
            if self._write(case, {"$set": {"proposal": proposal}, "$push": {"history": entry}}):
                return self._case(case_id)
        raise self._busy(case_id)

    @rpc(request=ApproveDecisionSchema, response=CaseSchema, allow=OFFICERS)
    def approve_decision(self, case_id, proposal_id, reason=None):
        """The second of the four eyes: another officer approves; the sanction is decided and
        published with the promotion ban's end (DOMAIN.md C, promotion bans)."""
        for _ in range(WRITE_ATTEMPTS):
            case = self._case(case_id)
            target = rules.check_move(case, "approve")
            rules.check_not_on_hold(case)
            now, by = utcnow(), self.access.actor.user_id
            proposal = case.get("proposal") or None
            rules.check_four_eyes(proposal, by)
            rules.check_same_proposal(proposal, proposal_id)
            # a MITIGATED ruling may have arrived since the proposal: the ladder is asked again
            rules.check_sanctions(proposal["sanctions"], rules.allowed_sanction_sets(
                case["source"], proposal["severity"], proposal["public_outcry"],
                proposal["bad_impact"], mitigated=bool(case.get("mitigated"))))
            disciplinary = proposal.get("disciplinary") or {}
            year = business_year(now, self.config)  # A-6 and C-6 count in the department's year
            decision = {**proposal, "approved_by": by, "approved_at": now, "year": year,
                        "ban_until": rules.ban_until(proposal["sanctions"], now, self._ban_months(),
                                                     disciplinary.get("ban_months")),
                        "exempted": False, "cleared": False}
            event = self.outbox.event(SanctionDecided, {
                "case_id": case_id, "cadre_id": case["cadre_id"], "unit_id": case["unit_id"],
                "year": year, "sanctions": proposal["sanctions"],
                "organisational_handling": any(map(rules.is_organisational, proposal["sanctions"])),
                "disciplinary": rules.DISCIPLINARY in proposal["sanctions"],
                "severity": proposal["severity"], "mitigated": bool(case.get("mitigated")),
                "decided_at": now, "ban_until": decision["ban_until"]})
            entry = rules.transition(case["status"], target, by, now, reason, action="approved")
            update = {"$set": {"status": target, "decision": decision, "proposal": {}},
                      "$push": {"history": entry}}
            if self._write(case, push_events(update, [event])):
                return self._case(case_id)
        raise self._busy(case_id)

    @rpc(request=CaseIdSchema, response=CaseSchema, allow=OFFICERS)
    def get_case(self, case_id):
        return self._case(case_id)

    @rpc(request=ListCasesSchema, response=CaseSchema, many=True, allow=OFFICERS)
    def list_cases(self, cadre_id=None, status=None, limit=100):
        self.access.check(record=("cases", cadre_id or "*"))
        query = {key: value for key, value in (("cadre_id", cadre_id), ("status", status)) if value}
        found = self.store.collection(Case).find(query).sort("opened_at", -1).limit(limit)
        return [_shown(case) for case in found]

    @rpc(request=ReportYearSchema, response=ReportLineSchema, many=True, allow=OFFICERS)
    def demotion_report(self, year):
        """C-6: organisational handlings decided in the year, per type and unit."""
        self.access.check(record=("demotion_report", str(year)))
        cases = self.store.collection(Case).find({"decision.year": year}, {"decision": 1,
                                                                           "unit_id": 1})
        return rules.demotion_report(
            {**case["decision"], "unit_id": case["unit_id"],
             "exempted": case["decision"].get("exempted") or case["decision"].get("cleared")}
            for case in cases)

    # complaints (C-5)

    @rpc(request=FileComplaintSchema, response=ComplaintSchema, allow=OFFICERS)
    def file_complaint(self, cadre_id, matter, reporter=None):
        self.access.check(record=("cadre", cadre_id))
        cadre = self._cadre(cadre_id)
        now = utcnow()
        expedited = cadre.get("selection_status") == rules.IN_SELECTION
        complaint = Complaint(
            complaint_id=uuid.uuid4().hex, cadre_id=cadre_id, unit_id=cadre["unit_id"],
            matter=matter, reporter=reporter or {}, expedited=expedited, filed_at=now,
            due_at=self._complaint_due(now, expedited), filed_by=self.access.actor.user_id)
        complaint.pending_events = [self.outbox.event(ComplaintFiled, {
            "complaint_id": complaint.complaint_id, "cadre_id": cadre_id,
            "unit_id": cadre["unit_id"], "expedited": expedited, "filed_at": now,
            "due_at": complaint.due_at})]
        self.store.insert(complaint)
        return self._complaint(complaint.complaint_id)

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
        if not (complaint["status"] == rules.RESOLVING and complaint.get("outcome") == outcome):
            rules.check_complaint_open(complaint)
        prior = self._case(repeat_of) if outcome == rules.REPEAT and repeat_of else None
        rules.check_resolution(complaint, outcome, prior, situations)
        cadre = None
        if outcome == rules.SUBSTANTIATED:
            cadre = self._cadre(complaint["cadre_id"])
            rules.check_leading_cadre(cadre)
        now, by = utcnow(), self.access.actor.user_id
        resolution = {"outcome": outcome, "reason": reason, "resolved_at": now, "resolved_by": by}
        if outcome == rules.REPEAT:
            resolution["repeat_of"] = repeat_of
        if outcome == rules.FALSE_ACCUSATION:
            resolution["referral"] = {"at": now, "by": by, "reason": reason}  # 依纪依法严肃处理
        claimed = self.store.update_one(
            Complaint, {"_id": complaint_id, "status": rules.FILED},
            {"$set": {"status": rules.RESOLVING, **resolution}, "$inc": {"version": 1}})
        if not claimed.matched_count:
            complaint = self._complaint(complaint_id)
            if not (complaint["status"] == rules.RESOLVING and complaint.get("outcome") == outcome):
                rules.check_complaint_open(complaint)  # resolved otherwise meanwhile: refused
        events, finished = [], {"status": rules.RESOLVED}
        if outcome == rules.SUBSTANTIATED:
            finished["case_id"] = self._case_from_complaint(complaint, cadre, situations)
        if outcome in rules.CLEARING_OUTCOMES:
            # 澄清正名、消除影响: the cases that investigated the report end, and what they decided
            # is lifted wherever it restricts the cadre (A-6, L-3)
            cleared = [self._clear(case, complaint_id, reason) for case in
                       self.store.collection(Case).find({"complaint_id": complaint_id})]
            events.append(self.outbox.event(CadreCleared, {
                "cadre_id": complaint["cadre_id"], "complaint_id": complaint_id,
                "outcome": outcome, "cleared_at": now,
                "case_ids": [case_id for case_id in cleared if case_id]}))
        self.store.update_one(
            Complaint, {"_id": complaint_id, "status": rules.RESOLVING},
            push_events({"$set": finished, "$inc": {"version": 1}}, events))
        return self._complaint(complaint_id)

    # events

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event)

    @consume(SelectionStatusChangedIn)
    def on_selection_status_changed(self, event):
        """C-5: a cadre under selection gets complaints dealt with quickly (快查快结); those
        already filed are expedited too."""
        payload = event.payload
        known = self.store.collection(CadreCopy).find_one({"_id": payload["cadre_id"]}) or {}
        if known.get("selection_changed_at") and \
                as_utc(known["selection_changed_at"]) >= payload["changed_at"]:
            return  # an older change arriving late: the later one stands
        applied = apply_once(self.store, CadreCopy, {"_id": payload["cadre_id"]},
                             {"$set": {"selection_status": payload["status"],
                                       "selection_changed_at": payload["changed_at"]}},
                             event.event_id, upsert=True)
        if not applied or payload["status"] != rules.IN_SELECTION:
            return
        for complaint in self.store.collection(Complaint).find(
                {"cadre_id": payload["cadre_id"], "status": rules.FILED, "expedited": False}):
            due = min(as_utc(complaint["due_at"]),
                      self._complaint_due(as_utc(complaint["filed_at"]), expedited=True))
            # the filter makes it idempotent: an expedited complaint is not touched again
            self.store.update_one(
                Complaint, {"_id": complaint["_id"], "status": rules.FILED, "expedited": False},
                {"$set": {"expedited": True, "due_at": due}, "$inc": {"version": 1}})

    @consume(UnitGradedIn)
    def on_unit_graded(self, event):
        """A-4: a unit graded FAIL -> one APPRAISAL_FAIL case per principal leader, once: the
        case id is derived from unit, year and cadre, so a redelivery finds the case it made."""
        grade = event.payload
        if grade["grade"] != "FAIL":
            return
        leaders = self.store.collection(CadreCopy).find(
            {"unit_id": grade["unit_id"], "is_principal": True})
        for cadre in leaders:
            case_id = uuid.uuid5(IDS, f"A-4:{grade['unit_id']}:{grade['year']}:{cadre['_id']}").hex
            case = self._new_case(
                case_id, cadre, rules.APPRAISAL_FAIL, [],
                f"unit {grade['unit_id']} graded FAIL for {grade['year']} (A-4)",
                unit_grade={"unit_id": grade["unit_id"], "year": grade["year"],
                            "grade": grade["grade"], "event_id": event.event_id})
            try:
                self.store.insert(case)
            except DuplicateKeyError:
                pass  # opened by an earlier delivery of this event

    @consume(ApplicationFiledIn)
    def on_application_filed(self, event):
        """C-4 fault tolerance first: the case waits for the ruling."""
        payload = event.payload
        if not payload.get("case_id"):
            return
        self._apply_to_case(payload["case_id"], event, lambda case: None if any(
            r["application_id"] == payload["application_id"] for r in case.get("rulings", []))
            else {"$addToSet": {"pending_applications": payload["application_id"]}})

    @consume(RulingMadeIn)
    def on_ruling_made(self, event):
        """C-4: EXEMPTED closes the case without sanction (an earlier decision is marked exempted,
        T-6); MITIGATED leaves only lighter sanctions; REJECTED lets the case go on."""
        payload = event.payload
        if not payload.get("case_id"):
            return
        self._apply_to_case(payload["case_id"], event,
                            lambda case: self._ruling_update(case, payload, event))

    def _ruling_update(self, case, ruling, event):
        now = utcnow()
        update = {"$pull": {"pending_applications": ruling["application_id"]},
                  "$push": {"rulings": {"application_id": ruling["application_id"],
                                        "outcome": ruling["outcome"],
                                        "ruled_at": ruling["ruled_at"]}}}
        if ruling["outcome"] == "MITIGATED":
            update["$set"] = {"mitigated": True}
        elif ruling["outcome"] == "EXEMPTED" and case["status"] != rules.DISMISSED \
                and case.get("outcome") not in (rules.EXEMPTED, rules.CLEARED):
            by = (self.access.actor and self.access.actor.user_id) or "tolerance"
            changes = {"status": rules.CLOSED, "outcome": rules.EXEMPTED, "proposal": {}}
            if case.get("decision"):
                changes["decision.exempted"] = True
            update["$set"] = changes
            # who, when, why -- also when a closed, sanctioned case is exempted afterwards
            update["$push"]["history"] = rules.transition(
                case["status"], rules.CLOSED, by, now,
                f"fault tolerance ruled EXEMPTED ({ruling['application_id']})", action="exempted")
            update = push_events(update, [self.outbox.event(CaseClosed, {
                "case_id": case["_id"], "cadre_id": case["cadre_id"],
                "outcome": rules.EXEMPTED, "closed_at": now})])
        return update

    # helpers

    def _apply_to_case(self, case_id, event, update_for):
        """Apply an event's effect to a case once, under the case's version like any write."""
        def checked(case):
            if event.payload.get("cadre_id") != case["cadre_id"]:
                # tolerance's application names another cadre than the case: retrying cannot help
                raise PermanentFailure(f"{event.event_type} {event.event_id} names cadre "
                                       f"{event.payload.get('cadre_id')}, case {case_id} is "
                                       f"about {case['cadre_id']}")
            return update_for(case)
        try:
            apply_once_read(self.store, Case, case_id, event.event_id, checked)
        except MissingTarget:
            raise NotFound(f"case {case_id} does not exist", code="CASE_NOT_FOUND") from None

    def _new_case(self, case_id, cadre, source, situations, summary, **extra) -> Case:
        now = utcnow()
        by = (self.access.actor and self.access.actor.user_id) or "system"
        case = Case(case_id=case_id, cadre_id=cadre["_id"], unit_id=cadre["unit_id"],
                    source=source, situations=list(situations), summary=summary, opened_at=now,
                    history=[rules.transition(None, rules.OPEN, by, now, summary,
                                              action="opened")], **extra)
        case.pending_events = [self.outbox.event(CaseOpened, {
            "case_id": case_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
            "source": source, "situations": list(situations),
            "complaint_id": extra.get("complaint_id"), "opened_at": now})]
        return case

    def _clear(self, case, complaint_id, reason):
        """End a case whose complaint proved untrue; its id if it had decided a sanction."""
        for _ in range(WRITE_ATTEMPTS):
            if case["status"] == rules.DISMISSED:
                return None
            decided = bool(case.get("decision"))
            if case.get("outcome") != rules.CLEARED:
                now, by = utcnow(), self.access.actor.user_id
                changes = {"status": rules.CLOSED, "outcome": rules.CLEARED, "proposal": {}}
                if decided:
                    changes["decision.cleared"] = True
                entry = rules.transition(case["status"], rules.CLOSED, by, now,
                                         f"complaint {complaint_id} found untrue: {reason}",
                                         action="cleared")
                update = push_events({"$set": changes, "$push": {"history": entry}}, [
                    self.outbox.event(CaseClosed, {"case_id": case["_id"],
                                                   "cadre_id": case["cadre_id"],
                                                   "outcome": rules.CLEARED, "closed_at": now})])
                if not self._write(case, update):
                    case = self.store.collection(Case).find_one({"_id": case["_id"]})
                    continue
            return case["_id"] if decided else None
        raise self._busy(case["_id"])

    def _case_from_complaint(self, complaint, cadre, situations) -> str:
        """The case investigating a substantiated complaint: the one an officer opened for it, or
        a new one (its id derived from the complaint, so a retried resolution finds it again)."""
        investigating = self.store.collection(Case).find_one(
            {"complaint_id": complaint["_id"], "status": {"$ne": rules.DISMISSED}}, {"_id": 1})
        if investigating:
            return investigating["_id"]
        case_id = uuid.uuid5(IDS, f"C-5:{complaint['_id']}").hex
        try:
            self.store.insert(self._new_case(case_id, cadre, rules.COMPLAINT, situations,
                                             complaint["matter"], complaint_id=complaint["_id"]))
        except DuplicateKeyError:
            pass
        return case_id

    def _move(self, case_id, move, reason, changes=None, closed=None):
        """A C-1 transition, kept in the history (who, when, why); ``closed`` publishes the end."""
        for _ in range(WRITE_ATTEMPTS):
            case = self._case(case_id)
            target = rules.check_move(case, move)
            now, by = utcnow(), self.access.actor.user_id
            entry = rules.transition(case["status"], target, by, now, reason, action=move)
            update = {"$set": {"status": target, **(changes or {})}, "$push": {"history": entry}}
            if closed:
                update = push_events(update, [self.outbox.event(CaseClosed, {
                    "case_id": case_id, "cadre_id": case["cadre_id"], "outcome": closed,
                    "closed_at": now})])
            if self._write(case, update):
                return self._case(case_id)
        raise self._busy(case_id)

    def _write(self, case, update):
        return self.store.update_if_unchanged(Case, case, update)

    def _busy(self, case_id):
        return Conflict(f"case {case_id} is being changed by others; try again",
                        code="CONCURRENT_UPDATE")

    def _cadre(self, cadre_id):
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        if cadre is None or "unit_id" not in cadre:
            raise NotFound(f"cadre {cadre_id} is unknown to accountability (not registered in "
                           "talent, or its registration has not arrived yet)",
                           code="CADRE_NOT_FOUND", fields={"cadre_id": ["Unknown cadre."]})
        return cadre

    def _case(self, case_id):
        self.access.check(record=("case", case_id))
        case = self.store.collection(Case).find_one({"_id": case_id})
        if case is None:
            raise NotFound(f"case {case_id} does not exist", code="CASE_NOT_FOUND")
        return _shown(case)

    def _complaint(self, complaint_id):
        self.access.check(record=("complaint", complaint_id))
        complaint = self.store.collection(Complaint).find_one({"_id": complaint_id})
        if complaint is None:
            raise NotFound(f"complaint {complaint_id} does not exist", code="COMPLAINT_NOT_FOUND")
        return {**complaint, "anonymous": not complaint.get("reporter"),
                "reporter": complaint.get("reporter") or None,
                "referred": bool(complaint.get("referral"))}

    def _complaint_due(self, filed_at, expedited):
        return rules.complaint_due(
            filed_at, expedited,
            int(self.config.get("COMPLAINT_DAYS") or rules.DEFAULT_COMPLAINT_DAYS),
            int(self.config.get("EXPEDITED_COMPLAINT_DAYS") or rules.DEFAULT_EXPEDITED_COMPLAINT_DAYS))

    def _ban_months(self):
        configured = self.config.get("PROMOTION_BAN_MONTHS") or {}
        try:
            return {**rules.DEFAULT_BAN_MONTHS, **{k: int(v) for k, v in configured.items()}}
        except (AttributeError, TypeError, ValueError):
            log.error("PROMOTION_BAN_MONTHS must map sanctions to whole months: %r", configured)
            raise Unavailable("accountability is misconfigured (PROMOTION_BAN_MONTHS); nothing "
                              "was decided", code="CONFIG_INVALID") from None


def _shown(case):
    """A stored case as callers see it: an unset proposal or decision is none, not ``{}``."""
    return {**case, "proposal": case.get("proposal") or None,
            "decision": case.get("decision") or None}
