"""Care: must-talks, health checks, paid leave, psychological support, the hardship fund and bereaved
families (DOMAIN.md K)."""

import uuid
from datetime import datetime

from nameko.dependency_providers import Config
from pymongo.errors import DuplicateKeyError

from services.care import rules
from services.care.events import (
    CadreClearedIn,
    CadreRegisteredIn,
    CadreUpdatedIn,
    CaseOpenedIn,
    ComplaintFiledIn,
    HardshipGranted,
    HardshipGrantedIn,
    PostingChangedIn,
    SanctionDecidedIn,
    TalkCompleted,
)
from services.care.models import (
    CadreCopy,
    Family,
    Fund,
    HardshipApplication,
    HealthCheck,
    LeaveYear,
    OpenTalk,
    Referral,
    Talk,
)
from services.care.schemas import (
    ApplyHardshipSchema,
    ApproveHardshipSchema,
    CadreIdSchema,
    CadreYearSchema,
    CompleteTalkSchema,
    CompletionSchema,
    DueVisitSchema,
    FamilySchema,
    FundSchema,
    HardshipApplicationSchema,
    HealthCheckSchema,
    LeaveSchema,
    ListTalksSchema,
    OpenTalkSchema,
    RecordHealthCheckSchema,
    RecordLeaveSchema,
    RecordVisitSchema,
    ReferralSchema,
    ReferSupportSchema,
    RegisterFamilySchema,
    RejectHardshipSchema,
    ReportYearSchema,
    RequestTalkSchema,
    SetBudgetSchema,
    TalkSchema,
    UnitYearSchema,
    UntakenLeaveSchema,
    YearSchema,
)
from services.common.boundary.rpc import rpc
from services.common.boundary.security import (
    ANY,
    CADRE,
    CARE_OFFICER,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
)
from services.common.clock import as_utc, business_date, business_year, utcnow
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox, push_events
from services.common.service import ServiceBase
from services.common.storage.inbox import apply_once, project_event
from services.common.storage.store import MongoStore

# care is the care officers' work, overseen by the organisation department (docs/permissions.md)
CARERS = {CARE_OFFICER: ANY, ORG_ADMIN: ANY}
# a unit keeps its cadres' health checks and leave; a cadre reads their own
UNIT_CARERS = {**CARERS, UNIT_ADMIN: OWN_UNIT}
# K-4: anyone may refer (a cadre themselves); only care officers read a referral
REFERRERS = {**UNIT_CARERS, CADRE: SELF}
DEFAULT_ASSIGNEE = "care-office"
# the deterministic ids of event-opened talks: one talk per reason and triggering matter, ever
TALK_IDS = uuid.UUID("9b2d7c1a-4f3e-4a8b-8c6d-1e2f3a4b5c6d")


class CareService(ServiceBase):
    name = "care"

    config = Config()
    store = MongoStore(CadreCopy, Talk, OpenTalk, HealthCheck, LeaveYear, Referral, Fund,
                       HardshipApplication, Family)
    outbox = Outbox(Talk, HardshipApplication)

    # K-1 must-talks

    @rpc(request=RequestTalkSchema, response=TalkSchema, allow={CADRE: SELF})
    def request_talk(self, cadre_id, notes=None):
        """SELF_REQUESTED 干部主动约谈: a cadre asks for a talk for themselves."""
        cadre = self._cadre(cadre_id)
        return self._open_by_person(cadre, rules.SELF_REQUESTED, None, notes)

    @rpc(request=OpenTalkSchema, response=TalkSchema, allow=CARERS)
    def open_talk(self, cadre_id, reason, notes, assignee=None):
        """An officer opens a talk (MAJOR_SETBACK recorded by an officer, K-1)."""
        cadre = self._cadre(cadre_id)
        return self._open_by_person(cadre, reason, assignee, notes)

    @rpc(request=CompleteTalkSchema, response=TalkSchema, allow=CARERS)
    def complete_talk(self, talk_id, record):
        """Completion records the talk (K-1); a second completion is refused."""
        talk = self._talk(talk_id)
        rules.check_talk_open(talk)
        now, by = utcnow(), self.access.actor.user_id
        event = self.outbox.event(TalkCompleted, {"talk_id": talk_id, "cadre_id": talk["cadre_id"],
                                                  "reason": talk["reason"], "completed_at": now})
        result = self.store.update_one(Talk, {"_id": talk_id, "status": rules.OPEN}, push_events(
            {"$set": {"status": rules.DONE, "completed_at": now, "completed_by": by,
                      "record": record}}, [event]))
        if not result.matched_count:
            rules.check_talk_open(self._talk(talk_id))  # completed meanwhile: refused
        self.store.collection(OpenTalk).delete_one({"talk_id": talk_id})
        return self._talk(talk_id)

    @rpc(request=ListTalksSchema, response=TalkSchema, many=True, allow={**CARERS, CADRE: SELF})
    def list_talks(self, cadre_id=None, status=None, overdue=False, limit=100):
        """Talks newest first; ``overdue``: open past their due date, most overdue first."""
        self.access.check(cadre_id=cadre_id, record=("talks", cadre_id or "*"))
        query = {k: v for k, v in (("cadre_id", cadre_id), ("status", status)) if v}
        now = utcnow()
        if overdue:  # asked of the store, so the limit counts overdue talks only
            query.update(status=rules.OPEN, due_at={"$lt": now})
        talks = [_aware(t, "opened_at", "due_at", "completed_at")
                 for t in self.store.collection(Talk).find(query).sort("opened_at", -1).limit(limit)]
        return rules.overdue_talks(talks, now) if overdue else talks

    # K-2 health checks

    @rpc(request=RecordHealthCheckSchema, response=HealthCheckSchema, allow=UNIT_CARERS)
    def record_health_check(self, cadre_id, year, checked_on):
        """One a year per cadre, to the standard the roster calls for (ENHANCED for long
        grassroots and hardship service)."""
        cadre = self._cadre(cadre_id)
        standard = rules.health_standard(cadre.get("grassroots_years") or 0, self._hardship_years())
        check = HealthCheck(check_id=f"{cadre_id}:{year}", cadre_id=cadre_id, unit_id=cadre["unit_id"],
                            year=year, standard=standard, checked_on=checked_on,
                            recorded_at=utcnow(), recorded_by=self.access.actor.user_id)
        try:
            self.store.insert(check)
        except DuplicateKeyError:
            raise Conflict(f"cadre {cadre_id} already had the {year} health check", rule="K-2",
                           code="HEALTH_CHECK_RECORDED") from None
        return check

    @rpc(request=UnitYearSchema, response=CompletionSchema, allow=UNIT_CARERS)
    def health_completion(self, unit_id, year):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        cadres = list(self.store.collection(CadreCopy).find({"unit_id": unit_id}))
        checked = {c["cadre_id"]: c for c in self.store.collection(HealthCheck).find(
            {"unit_id": unit_id, "year": year})}
        return {"unit_id": unit_id, "year": year,
                **rules.completion(cadres, checked, self._hardship_years())}

    # K-3 paid leave

    @rpc(request=CadreYearSchema, response=LeaveSchema, allow={**UNIT_CARERS, CADRE: SELF})
    def leave_entitlement(self, cadre_id, year):
        cadre = self._cadre(cadre_id)
        return self._leave(cadre, year)

    @rpc(request=RecordLeaveSchema, response=LeaveSchema, allow=UNIT_CARERS)
    def record_leave(self, cadre_id, year, days, starts_on):
        cadre = self._cadre(cadre_id)
        if starts_on.year != year:
            raise InvalidInput("the leave starts in another year than the one it is taken from",
                               fields={"starts_on": [f"A day of {year}."]})
        leave_id = f"{cadre_id}:{year}"
        entry = {"days": days, "starts_on": datetime(starts_on.year, starts_on.month, starts_on.day),
                 "recorded_at": utcnow(), "by": self.access.actor.user_id}
        for _ in range(5):
            current = self._leave(cadre, year)
            rules.check_leave(days, current["entitlement"], current["taken"])
            # the taken total may only grow from what was read: concurrent records cannot overdraw
            try:
                result = self.store.update_one(
                    LeaveYear, {"_id": leave_id, "taken": current["taken"]},
                    {"$inc": {"taken": days}, "$push": {"entries": entry},
                     "$setOnInsert": {"cadre_id": cadre_id, "year": year, "version": 1}},
                    upsert=current["taken"] == 0)
            except DuplicateKeyError:
                continue  # a concurrent first record of the year: read again
            if result.matched_count or result.upserted_id is not None:
                return self._leave(cadre, year)
        raise Conflict("leave is being recorded by others; try again", code="CONCURRENT_UPDATE")

    @rpc(request=ReportYearSchema, response=UntakenLeaveSchema, many=True, allow=UNIT_CARERS)
    def untaken_leave_report(self, year, unit_id=None):
        """K-3 领导干部带头: untaken leave, leading cadres first."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        query = {"unit_id": unit_id} if unit_id else {}
        taken = {t["cadre_id"]: t["taken"] for t in self.store.collection(LeaveYear).find({"year": year})}
        rows = []
        for cadre in self.store.collection(CadreCopy).find(query):
            entitlement = self._entitlement(cadre)
            used = taken.get(cadre["_id"], 0)
            rows.append({"cadre_id": cadre["_id"], "unit_id": cadre["unit_id"], "year": year,
                         "is_leader": bool(cadre.get("is_leader")), "entitlement": entitlement,
                         "taken": used, "remaining": entitlement - used})
        return rules.untaken_report(rows)

    # K-4 psychological support

    @rpc(request=ReferSupportSchema, response=ReferralSchema, allow=REFERRERS)
    def refer_support(self, cadre_id, notes):
        """A referral; what it says is read by care officers only (K-4)."""
        self._cadre(cadre_id)
        referral = Referral(referral_id=uuid.uuid4().hex, cadre_id=cadre_id, notes=notes,
                            referred_at=utcnow(), referred_by=self.access.actor.user_id)
        self.store.insert(referral)
        return self.store.collection(Referral).find_one({"_id": referral.referral_id})

    @rpc(request=CadreIdSchema, response=ReferralSchema, many=True, allow={CARE_OFFICER: ANY})
    def list_referrals(self, cadre_id):
        self.access.check(cadre_id=cadre_id, record=("referrals", cadre_id))
        return list(self.store.collection(Referral).find({"cadre_id": cadre_id}).sort("referred_at", -1))

    # K-5 hardship fund

    @rpc(request=SetBudgetSchema, response=FundSchema, allow={ORG_ADMIN: ANY})
    def set_fund_budget(self, year, amount):
        """The year's budget; lowering it below what was granted is refused (K-5)."""
        self.access.check(record=("fund", str(year)))
        budget = rules.to_cents(amount)
        for _ in range(5):
            fund = self.store.collection(Fund).find_one({"_id": year})
            granted = fund["budget_cents"] - fund["balance_cents"] if fund else 0
            rules.check_budget(budget, granted)
            line = {"at": utcnow(), "kind": "BUDGET",
                    "delta_cents": budget - (fund["budget_cents"] if fund else 0),
                    "by": self.access.actor.user_id}
            if fund is None:
                try:
                    self.store.insert(Fund(year=year, budget_cents=budget, balance_cents=budget,
                                           entries=[line]))
                    return self._fund(year)
                except DuplicateKeyError:
                    continue  # created meanwhile: read again
            if self.store.update_if_unchanged(Fund, fund, {
                    "$set": {"budget_cents": budget, "balance_cents": budget - granted},
                    "$push": {"entries": line}}):
                return self._fund(year)
        raise Conflict("the fund is being changed by others; try again", code="CONCURRENT_UPDATE")

    @rpc(request=ApplyHardshipSchema, response=HardshipApplicationSchema,
         allow={**UNIT_CARERS, CADRE: SELF})
    def apply_hardship(self, cadre_id, reason, facts):
        cadre = self._cadre(cadre_id)
        now = utcnow()
        application = HardshipApplication(
            application_id=uuid.uuid4().hex, cadre_id=cadre_id, unit_id=cadre["unit_id"],
            year=business_year(now, self.config), reason=reason, facts=facts, filed_at=now,
            filed_by=self.access.actor.user_id)
        self.store.insert(application)
        return self._application(application.application_id)

    @rpc(request=ApproveHardshipSchema, response=HardshipApplicationSchema, allow=CARERS)
    def approve_hardship(self, application_id, amount, note=None):
        """K-5: the grant is paid exactly once and the balance never goes negative, however the
        approval is retried or raced. The debit, its balance check and the ledger line are one
        conditional update of the fund, guarded by the application's id; the application's
        status and its event follow, guarded by its status -- a retry after a crash in between
        finds the grant and finishes."""
        application = self._application(application_id)
        cents = rules.to_cents(amount)
        if application["status"] == rules.APPROVED and application.get("amount_cents") == cents:
            return application  # a retried approval: already done
        rules.check_application_pending(application)
        year, by = application["year"], self.access.actor.user_id
        for _ in range(5):
            line = {"at": utcnow(), "kind": "GRANT", "delta_cents": -cents,
                    "application_id": application_id, "cadre_id": application["cadre_id"], "by": by}
            # one write: enough left, not granted before, debit, ledger line
            self.store.update_one(
                Fund, {"_id": year, "balance_cents": {"$gte": cents},
                       "granted_applications": {"$ne": application_id}},
                {"$inc": {"balance_cents": -cents, "version": 1},
                 "$push": {"entries": line, "granted_applications": application_id}})
            fund = self.store.collection(Fund).find_one({"_id": year})
            if fund is None:
                raise Conflict(f"no hardship fund budget is set for {year}", code="NO_FUND",
                               rule="K-5")
            grant = next((e for e in fund["entries"] if e.get("application_id") == application_id),
                         None)
            if grant is not None:
                break
            rules.check_grant(fund["balance_cents"], cents)  # not enough left: refused
        else:
            raise Conflict("the fund is being changed by others; try again", code="CONCURRENT_UPDATE")
        if -grant["delta_cents"] != cents:
            raise Conflict(f"application {application_id} was granted {-grant['delta_cents'] / 100:.2f} "
                           "by another approval", code="APPLICATION_DECIDED", rule="K-5",
                           details={"amount_cents": -grant["delta_cents"]})
        event = self.outbox.event(HardshipGranted, {
            "application_id": application_id, "cadre_id": application["cadre_id"],
            "reason": application["reason"], "amount_cents": cents, "granted_at": as_utc(grant["at"])})
        self.store.update_one(HardshipApplication, {"_id": application_id, "status": rules.PENDING},
                              push_events({"$set": {
                                  "status": rules.APPROVED, "amount_cents": cents,
                                  "decided_at": as_utc(grant["at"]), "decided_by": grant["by"],
                                  "decision_note": note}}, [event]))
        return self._application(application_id)

    @rpc(request=RejectHardshipSchema, response=HardshipApplicationSchema, allow=CARERS)
    def reject_hardship(self, application_id, note):
        application = self._application(application_id)
        rules.check_application_pending(application)
        result = self.store.update_one(
            HardshipApplication, {"_id": application_id, "status": rules.PENDING},
            {"$set": {"status": rules.REJECTED, "decided_at": utcnow(),
                      "decided_by": self.access.actor.user_id, "decision_note": note}})
        if not result.matched_count:
            rules.check_application_pending(self._application(application_id))
        return self._application(application_id)

    @rpc(request=YearSchema, response=FundSchema, allow=CARERS)
    def fund_ledger(self, year):
        """K-5: the year's budget, grants and balance, line by line, for a person to audit."""
        self.access.check(record=("fund", str(year)))
        return self._fund(year)

    # K-6 bereaved families

    @rpc(request=RegisterFamilySchema, response=FamilySchema, allow=CARERS)
    def register_family(self, cadre_id, died_on, dependants, visit_every_months=None):
        cadre = self._cadre(cadre_id)
        family = Family(
            family_id=uuid.uuid5(TALK_IDS, f"K-6:{cadre_id}").hex, cadre_id=cadre_id,
            unit_id=cadre["unit_id"], died_on=died_on, dependants=dependants,
            visit_every_months=visit_every_months or int(
                self.config.get("VISIT_EVERY_MONTHS") or rules.DEFAULT_VISIT_MONTHS),
            registered_on=utcnow().date())
        try:
            self.store.insert(family)
        except DuplicateKeyError:
            raise Conflict(f"the family of cadre {cadre_id} is already registered",
                           code="FAMILY_EXISTS", rule="K-6") from None
        return self._family(family.family_id)

    @rpc(request=RecordVisitSchema, response=FamilySchema, allow=CARERS)
    def record_visit(self, family_id, visited_on, notes):
        family = self._family(family_id)
        if visited_on > business_date(utcnow(), self.config):
            raise InvalidInput("a visit is recorded once it happened",
                               fields={"visited_on": ["Not in the future."]})
        visit = {"on": datetime(visited_on.year, visited_on.month, visited_on.day), "notes": notes,
                 "by": self.access.actor.user_id}
        self.store.update_one(Family, {"_id": family["_id"]},
                              {"$push": {"visits": visit}, "$inc": {"version": 1}})
        return self._family(family_id)

    @rpc(response=DueVisitSchema, many=True, allow=CARERS)
    def due_visits(self):
        """K-6: families whose visit is overdue or due within 30 days, the most urgent first."""
        self.access.check(record=("families", "due"))
        today = utcnow().date()
        found = []
        for family in self.store.collection(Family).find({}):
            family = self._family_view(family)
            status = rules.visit_status(family["next_visit"], today)
            if status:
                found.append({**family, "status": status})
        return sorted(found, key=lambda f: (f["next_visit"], f["_id"]))

    # events: K-1 talks opened by what happens elsewhere, once per matter

    @consume(CaseOpenedIn)
    def on_case_opened(self, event):
        self._open_by_event(event.payload["cadre_id"], rules.EARLY_WARNING, "case",
                            event.payload["case_id"], event)

    @consume(ComplaintFiledIn)
    def on_complaint_filed(self, event):
        self._open_by_event(event.payload["cadre_id"], rules.EARLY_WARNING, "complaint",
                            event.payload["complaint_id"], event)

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        if event.payload["organisational_handling"]:
            self._open_by_event(event.payload["cadre_id"], rules.JOB_ADJUSTMENT, "sanction",
                                event.payload["case_id"], event)

    @consume(PostingChangedIn)
    def on_posting_changed(self, event):
        self._open_by_event(event.payload["cadre_id"], rules.JOB_ADJUSTMENT, "posting",
                            event.event_id, event)

    @consume(HardshipGrantedIn)
    def on_hardship_granted(self, event):
        self._open_by_event(event.payload["cadre_id"], rules.MAJOR_SETBACK, "hardship_grant",
                            event.payload["application_id"], event)

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        project_event(self.store, CadreCopy, "cadre_id", event)

    @consume(CadreClearedIn)
    def on_cadre_cleared(self, event):
        """澄清正名: the clearing is recorded with the cadre's care record."""
        apply_once(self.store, CadreCopy, {"_id": event.payload["cadre_id"]},
                   {"$push": {"cleared": {"complaint_id": event.payload["complaint_id"],
                                          "at": event.payload["cleared_at"]}}},
                   event.event_id, upsert=True)

    # helpers

    def _open_by_event(self, cadre_id, reason, matter_type, matter_id, event):
        """One talk per reason and matter, ever: a redelivered event finds the talk it opened."""
        now = utcnow()
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id}) or {}
        talk = Talk(talk_id=uuid.uuid5(TALK_IDS, f"{reason}:{matter_type}:{matter_id}").hex,
                    cadre_id=cadre_id, unit_id=cadre.get("unit_id"), reason=reason,
                    matter={"type": matter_type, "id": matter_id, "event_id": event.event_id},
                    assignee=self.config.get("TALK_ASSIGNEE") or DEFAULT_ASSIGNEE, opened_at=now,
                    opened_by=event.event_type, due_at=rules.talk_due(now, self._talk_days()))
        try:
            self.store.insert(talk)
        except DuplicateKeyError:
            pass  # opened by an earlier delivery

    def _open_by_person(self, cadre, reason, assignee, notes):
        """At most one open talk per cadre and reason opened by people (K-1): the key is held
        while it is open, so a second request finds the first."""
        now, by = utcnow(), self.access.actor.user_id
        key = f"{cadre['_id']}:{reason}"
        talk_id = uuid.uuid4().hex
        for _ in range(3):
            try:
                self.store.insert(OpenTalk(key=key, talk_id=talk_id))
                break
            except DuplicateKeyError:
                held = self.store.collection(OpenTalk).find_one({"_id": key}) or {}
                existing = held and self.store.collection(Talk).find_one({"_id": held["talk_id"]})
                if existing and existing["status"] == rules.DONE:
                    # a completion whose release of the key was lost: release it now, then open
                    self.store.collection(OpenTalk).delete_one({"_id": key, "talk_id": held["talk_id"]})
                    continue
                if existing:
                    return _aware(existing, "opened_at", "due_at", "completed_at")
                talk_id = held.get("talk_id", talk_id)  # held, talk not written yet: write it
                break
        talk = Talk(talk_id=talk_id, cadre_id=cadre["_id"], unit_id=cadre.get("unit_id"),
                    reason=reason, matter={"type": "person", "id": by}, notes=notes,
                    assignee=assignee or self.config.get("TALK_ASSIGNEE") or DEFAULT_ASSIGNEE,
                    opened_at=now, opened_by=by, due_at=rules.talk_due(now, self._talk_days()))
        try:
            self.store.insert(talk)
        except DuplicateKeyError:
            pass  # a concurrent request finished it
        return self._talk(talk_id)

    def _leave(self, cadre, year):
        record = self.store.collection(LeaveYear).find_one({"_id": f"{cadre['_id']}:{year}"}) or {}
        entitlement = self._entitlement(cadre)
        taken = record.get("taken", 0)
        return {"cadre_id": cadre["_id"], "year": year, "entitlement": entitlement, "taken": taken,
                "remaining": entitlement - taken}

    def _entitlement(self, cadre):
        table = self.config.get("LEAVE_DAYS")
        table = tuple((row.get("below"), int(row["days"])) for row in table) if table else \
            rules.DEFAULT_LEAVE_DAYS
        return rules.leave_entitlement(cadre.get("service_years") or 0, table)

    def _fund(self, year):
        fund = self.store.collection(Fund).find_one({"_id": year}) or {
            "budget_cents": 0, "balance_cents": 0, "entries": []}
        lines = [{**line, "at": as_utc(line["at"]), "amount": rules.yuan(line["delta_cents"]),
                  "balance": rules.yuan(line["balance_cents"])}
                 for line in rules.ledger(fund["entries"])]
        return {"year": year, "budget": rules.yuan(fund["budget_cents"]),
                "granted": rules.yuan(fund["budget_cents"] - fund["balance_cents"]),
                "balance": rules.yuan(fund["balance_cents"]), "ledger": lines}

    def _application(self, application_id):
        application = self.store.collection(HardshipApplication).find_one({"_id": application_id})
        if application is None:
            self.access.check(record=("hardship_application", application_id))
            raise NotFound(f"hardship application {application_id} does not exist",
                           code="APPLICATION_NOT_FOUND")
        self.access.check(unit_id=application["unit_id"], cadre_id=application["cadre_id"],
                          record=("hardship_application", application_id))
        cents = application.get("amount_cents")
        return {**application, "amount": None if cents is None else rules.yuan(cents)}

    def _family(self, family_id):
        self.access.check(record=("family", family_id))
        family = self.store.collection(Family).find_one({"_id": family_id})
        if family is None:
            raise NotFound(f"family {family_id} is not registered", code="FAMILY_NOT_FOUND", rule="K-6")
        return self._family_view(family)

    def _family_view(self, family):
        dated = {**family, "died_on": _day(family["died_on"]),
                 "registered_on": _day(family["registered_on"]),
                 "visits": [{**v, "on": _day(v["on"])} for v in family.get("visits", [])]}
        return {**dated, "next_visit": rules.next_visit(dated)}

    def _talk(self, talk_id):
        talk = self.store.collection(Talk).find_one({"_id": talk_id})
        if talk is None:
            self.access.check(record=("talk", talk_id))
            raise NotFound(f"talk {talk_id} does not exist", code="TALK_NOT_FOUND")
        self.access.check(unit_id=talk.get("unit_id"), cadre_id=talk["cadre_id"],
                          record=("talk", talk_id))
        return _aware(talk, "opened_at", "due_at", "completed_at")

    def _cadre(self, cadre_id):
        """The cadre, if within the user's scope (403 outside it, whether or not it exists)."""
        cadre = self.store.collection(CadreCopy).find_one({"_id": cadre_id})
        self.access.check(unit_id=cadre and cadre.get("unit_id"), cadre_id=cadre_id,
                          record=("cadre", cadre_id))
        if cadre is None or "unit_id" not in cadre:
            raise NotFound(f"cadre {cadre_id} is unknown to care (not registered in talent, or "
                           "its registration has not arrived yet)", code="CADRE_NOT_FOUND",
                           fields={"cadre_id": ["Unknown cadre."]})
        return cadre

    def _talk_days(self):
        return int(self.config.get("TALK_DUE_DAYS") or rules.DEFAULT_TALK_DAYS)

    def _hardship_years(self):
        return int(self.config.get("HARDSHIP_YEARS") or rules.DEFAULT_HARDSHIP_YEARS)


def _aware(doc, *names):
    return {**doc, **{n: as_utc(doc[n]) for n in names if doc.get(n) is not None}}


def _day(value):
    return value.date() if isinstance(value, datetime) else value

