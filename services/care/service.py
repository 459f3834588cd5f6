"""Care: must-talks, health checks, paid leave, psychological support, the hardship fund and bereaved
families (DOMAIN.md K)."""


from nameko.dependency_providers import Config

from services.care import decide, rules
from services.care.events import (
    CadreClearedIn,
    CadreRegisteredIn,
    CadreUpdatedIn,
    CaseOpenedIn,
    ComplaintFiledIn,
    HardshipGrantedIn,
    PostingChangedIn,
    SanctionDecidedIn,
)
from services.care.models import HardshipApplication, Talk
from services.care.schemas import (
    ApplyHardshipSchema,
    ApproveHardshipSchema,
    CadreYearSchema,
    CompleteTalkSchema,
    CompletionSchema,
    DueVisitSchema,
    DueVisitsQuerySchema,
    FamilyIdSchema,
    FamilySchema,
    FundSchema,
    HardshipApplicationIdSchema,
    HardshipApplicationSchema,
    HealthCheckSchema,
    LeaveSchema,
    ListFamiliesSchema,
    ListHardshipSchema,
    ListHealthChecksSchema,
    ListTalksSchema,
    OpenTalkSchema,
    PendingHardshipSchema,
    RecordHealthCheckSchema,
    RecordLeaveSchema,
    RecordVisitSchema,
    ReferralSchema,
    ReferralsQuerySchema,
    ReferSupportSchema,
    RegisterFamilySchema,
    RejectHardshipSchema,
    ReportYearSchema,
    RequestTalkSchema,
    SetBudgetSchema,
    TalkIdSchema,
    TalkSchema,
    UnitYearSchema,
    UntakenLeaveSchema,
    YearSchema,
)
from services.care.storage import CareStorage
from services.common import paging, work
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
from services.common.clock import business_date, business_year, utcnow
from services.common.decision import Change
from services.common.errors import Conflict, NotFound
from services.common.messaging.consumer import consume
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.store import MissingTarget, MongoStore
from services.common.work import WorkItemSchema, WorkQuerySchema

# care is the care officers' work, overseen by the organisation department (docs/permissions.md)
CARERS = {CARE_OFFICER: ANY, ORG_ADMIN: ANY}
# a unit keeps its cadres' health checks and leave; a cadre reads their own
UNIT_CARERS = {**CARERS, UNIT_ADMIN: OWN_UNIT}
# K-4: anyone may refer (a cadre themselves); only care officers read a referral
REFERRERS = {**UNIT_CARERS, CADRE: SELF}


class CareService(ServiceBase):
    name = "care"

    config = Config()
    store = MongoStore(CareStorage)
    outbox = Outbox(Talk, HardshipApplication)

    # K-1 must-talks

    @rpc(request=RequestTalkSchema, response=TalkSchema, allow={CADRE: SELF}, idempotent=True)
    def request_talk(self, cadre_id, notes=None):
        """SELF_REQUESTED 干部主动约谈: a cadre asks for a talk for themselves."""
        return self._talk_by_person(self._cadre(cadre_id), rules.SELF_REQUESTED, None, notes)

    @rpc(request=OpenTalkSchema, response=TalkSchema, allow=CARERS, idempotent=True)
    def open_talk(self, cadre_id, reason, notes, assignee=None):
        """An officer opens a talk (MAJOR_SETBACK recorded by an officer, K-1)."""
        return self._talk_by_person(self._cadre(cadre_id), reason, assignee, notes)

    @rpc(request=CompleteTalkSchema, response=TalkSchema, allow=CARERS)
    def complete_talk(self, talk_id, record):
        """Completion records the talk (K-1); a second completion is refused."""
        self.store.talks.change(talk_id, lambda talk: decide.complete_talk(
            talk, record=record, now=utcnow(), by=self._by()), current=self._talk(talk_id))
        self.store.open_talks.release(talk_id)
        return self._talk(talk_id)

    @rpc(request=TalkIdSchema, response=TalkSchema, allow={**CARERS, CADRE: SELF})
    def get_talk(self, talk_id):
        return self._talk(talk_id)

    @rpc(request=ListTalksSchema, response=TalkSchema, many=True, paged=True,
         allow={**CARERS, CADRE: SELF})
    def list_talks(self, cadre_id=None, status=None, reason=None, overdue=False, cursor=None,
                   limit=paging.DEFAULT_LIMIT):
        """Talks newest first; ``overdue``: open past their due date, most overdue first."""
        self.access.check(cadre_id=cadre_id, record=("talks", cadre_id or "*"))
        if overdue:
            return self.store.talks.overdue_page(utcnow(), cursor, limit, cadre_id, reason)
        return self.store.talks.page(paging.matching(cadre_id=cadre_id, status=status,
                                                     reason=reason), cursor, limit)

    # K-2 health checks

    @rpc(request=RecordHealthCheckSchema, response=HealthCheckSchema, allow=UNIT_CARERS, idempotent=True)
    def record_health_check(self, cadre_id, year, checked_on):
        """One a year per cadre, to the standard the roster calls for (ENHANCED for long
        grassroots and hardship service)."""
        check = decide.health_check(self._cadre(cadre_id), year=year, checked_on=checked_on,
                                    policy=self._policy(), now=utcnow(), today=self._today(),
                                    by=self._by())
        if not self.store.health_checks.add_once(check):
            raise Conflict(f"cadre {cadre_id} already had the {year} health check", rule="K-2",
                           code="HEALTH_CHECK_RECORDED")
        return self.store.health_checks.get(check.set["check_id"])

    @rpc(request=ListHealthChecksSchema, response=HealthCheckSchema, many=True, paged=True,
         allow=UNIT_CARERS)
    def list_health_checks(self, unit_id=None, cadre_id=None, year=None, cursor=None,
                           limit=paging.DEFAULT_LIMIT):
        """K-2: the health checks recorded, the latest year first, by unit and cadre (a unit
        administrator's own unit's)."""
        unit_id = self.access.unit_or_own(unit_id)
        self.access.check(unit_id=unit_id, record=("health_checks", unit_id or "*"))
        return self.store.health_checks.page(paging.matching(unit_id=unit_id, cadre_id=cadre_id,
                                                             year=year), cursor, limit)

    @rpc(request=UnitYearSchema, response=CompletionSchema, allow=UNIT_CARERS)
    def health_completion(self, unit_id, year):
        self.access.check(unit_id=unit_id, record=("unit", unit_id))
        return {"unit_id": unit_id, "year": year, **rules.completion(
            self.store.cadres.in_unit(unit_id), self.store.health_checks.of_unit(unit_id, year),
            self._policy().hardship_years)}

    # K-3 paid leave

    @rpc(request=CadreYearSchema, response=LeaveSchema, allow={**UNIT_CARERS, CADRE: SELF})
    def leave_entitlement(self, cadre_id, year):
        return self._leave(self._cadre(cadre_id), year)

    @rpc(request=RecordLeaveSchema, response=LeaveSchema, allow=UNIT_CARERS)
    def record_leave(self, cadre_id, year, days, starts_on):
        cadre = self._cadre(cadre_id)
        entitlement = self._entitlement(cadre)
        self.store.leave.change(f"{cadre_id}:{year}", lambda leave: decide.record_leave(
            leave, cadre, year=year, days=days, starts_on=starts_on, entitlement=entitlement,
            now=utcnow(), by=self._by()), create=True)
        return self._leave(cadre, year)

    @rpc(request=ReportYearSchema, response=UntakenLeaveSchema, many=True, paged=True,
         allow=UNIT_CARERS)
    def untaken_leave_report(self, year, unit_id=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """K-3 领导干部带头: untaken leave, leading cadres first."""
        self.access.check(unit_id=unit_id, record=("unit", unit_id or "*"))
        def report():
            taken = self.store.leave.taken_in(year)
            rows = []
            for cadre in self.store.cadres.in_unit(unit_id):
                entitlement = self._entitlement(cadre)
                used = taken.get(cadre["_id"], 0)
                rows.append({"cadre_id": cadre["_id"], "unit_id": cadre["unit_id"], "year": year,
                             "is_leader": bool(cadre.get("is_leader")), "entitlement": entitlement,
                             "taken": used, "remaining": entitlement - used})
            return rules.untaken_report(rows)

        return paging.page_of(report, rules.untaken_order, "untaken_leave", cursor, limit,
                              scope=(self.access.actor, year, unit_id))

    # K-4 psychological support

    @rpc(request=ReferSupportSchema, response=ReferralSchema, allow=REFERRERS, idempotent=True)
    def refer_support(self, cadre_id, notes):
        """A referral; what it says is read by care officers only (K-4)."""
        self._cadre(cadre_id)
        referral_id = self._new_id()
        self.store.referrals.add(Change(set={
            "referral_id": referral_id, "cadre_id": cadre_id, "notes": notes,
            "referred_at": utcnow(), "referred_by": self._by()}))
        return self.store.referrals.get(referral_id)

    @rpc(request=ReferralsQuerySchema, response=ReferralSchema, many=True, paged=True,
         allow={CARE_OFFICER: ANY})
    def list_referrals(self, cadre_id, cursor=None, limit=paging.DEFAULT_LIMIT):
        self.access.check(cadre_id=cadre_id, record=("referrals", cadre_id))
        return self.store.referrals.page({"cadre_id": cadre_id}, cursor, limit)

    # K-5 hardship fund

    @rpc(request=SetBudgetSchema, response=FundSchema, allow={ORG_ADMIN: ANY})
    def set_fund_budget(self, year, amount):
        """The year's budget; lowering it below what was granted is refused (K-5)."""
        self.access.check(record=("fund", str(year)))
        budget = rules.to_cents(amount)
        self.store.funds.change(year, lambda fund: decide.set_budget(
            fund, budget_cents=budget, now=utcnow(), by=self._by()), create=True)
        return self._fund(year)

    @rpc(request=ApplyHardshipSchema, response=HardshipApplicationSchema,
         allow={**UNIT_CARERS, CADRE: SELF}, idempotent=True)
    def apply_hardship(self, cadre_id, reason, facts):
        cadre = self._cadre(cadre_id)
        now, application_id = utcnow(), self._new_id()
        self.store.hardship_applications.add(Change(set={
            "application_id": application_id, "cadre_id": cadre_id, "unit_id": cadre["unit_id"],
            "year": business_year(now, self.config), "reason": reason, "facts": facts,
            "filed_at": now, "filed_by": self._by()}))
        return self._application(application_id)

    @rpc(request=ApproveHardshipSchema, response=HardshipApplicationSchema, allow=CARERS)
    def approve_hardship(self, application_id, amount, note=None):
        """K-5: the grant is paid exactly once and the balance never goes negative, however the
        approval is retried or raced, and never for an application rejected. The fund's write grants
        the application once: its checks (not granted, not rejected, the balance), debit and ledger
        line are one write under the fund's version (decide.grant). The application's approval and
        its event follow, under its own -- a retry after a crash in between finds the grant and
        finishes."""
        application = self._application(application_id)
        cents = rules.to_cents(amount)
        if application["status"] == rules.APPROVED and application.get("amount_cents") == cents:
            return application  # a retried approval: already done
        rules.check_application_pending(application)
        year = application["year"]
        try:
            fund = self.store.funds.change(year, lambda fund: decide.grant(
                fund, application, cents=cents, now=utcnow(), by=self._by()))
        except MissingTarget:
            raise Conflict(f"no hardship fund budget is set for {year}", code="NO_FUND",
                           rule="K-5") from None
        line = decide.granted(fund, application_id, cents)
        self.store.hardship_applications.change(application_id, lambda application: decide.approve(
            application, line, cents=cents, note=note), current=application)
        return self._application(application_id)

    @rpc(request=RejectHardshipSchema, response=HardshipApplicationSchema, allow=CARERS)
    def reject_hardship(self, application_id, note):
        """K-5: an application ends approved with one grant or rejected with none, whatever is raced:
        the rejection is written into the year's fund book first, under the fund's version, where it
        meets any approval of the application (decide.grant); then the application. A retry after a
        crash in between finds the book's word and finishes."""
        application = self._application(application_id)
        rules.check_application_pending(application)
        self.store.funds.change(application["year"], lambda fund: decide.refuse_grant(
            fund, application), create=True)
        self.store.hardship_applications.change(application_id, lambda application: decide.reject(
            application, note=note, now=utcnow(), by=self._by()), current=application)
        return self._application(application_id)

    @rpc(request=HardshipApplicationIdSchema, response=HardshipApplicationSchema,
         allow={**UNIT_CARERS, CADRE: SELF})
    def get_hardship_application(self, application_id):
        """K-5: an application as it stands, for those who may apply for its cadre."""
        return self._application(application_id)

    @rpc(request=PendingHardshipSchema, response=HardshipApplicationSchema, many=True, paged=True,
         allow=CARERS)
    def pending_hardship(self, cursor=None, limit=paging.DEFAULT_LIMIT):
        """K-5 (v2): the applications waiting for a decision, oldest first: a care officer's list."""
        self.access.check(record=("hardship_applications", "pending"))
        return self.store.hardship_applications.pending_page(cursor, limit)

    @rpc(request=ListHardshipSchema, response=HardshipApplicationSchema, many=True, paged=True,
         allow=CARERS)
    def list_hardship_applications(self, cadre_id=None, unit_id=None, year=None, status=None,
                                   cursor=None, limit=paging.DEFAULT_LIMIT):
        """K-5: hardship applications, the latest filed first."""
        self.access.check(record=("hardship_applications", status or "*"))
        return self.store.hardship_applications.page(paging.matching(
            cadre_id=cadre_id, unit_id=unit_id, year=year, status=status), cursor, limit)

    @rpc(request=YearSchema, response=FundSchema, allow=CARERS)
    def fund_ledger(self, year):
        """K-5: the year's budget, grants and balance, line by line, for a person to audit."""
        self.access.check(record=("fund", str(year)))
        return self._fund(year)

    # K-6 bereaved families

    @rpc(request=ListFamiliesSchema, response=FamilySchema, many=True, paged=True, allow=CARERS)
    def list_families(self, cadre_id=None, unit_id=None, cursor=None, limit=paging.DEFAULT_LIMIT):
        """K-6: the bereaved families, the latest registered first."""
        self.access.check(record=("families", "*"))
        shown = self.store.families.page(paging.matching(cadre_id=cadre_id, unit_id=unit_id), cursor,
                                         limit)
        shown[:] = [_visiting(family) for family in shown]
        return shown

    @rpc(request=FamilyIdSchema, response=FamilySchema, allow=CARERS)
    def get_family(self, family_id):
        return self._family(family_id)

    @rpc(request=RegisterFamilySchema, response=FamilySchema, allow=CARERS, idempotent=True)
    def register_family(self, cadre_id, died_on, dependants, visit_every_months=None):
        family = decide.family(self._cadre(cadre_id), died_on=died_on, dependants=dependants,
                               visit_every_months=visit_every_months, policy=self._policy(),
                               today=self._today())
        if not self.store.families.add_once(family):
            raise Conflict(f"the family of cadre {cadre_id} is already registered",
                           code="FAMILY_EXISTS", rule="K-6")
        return self._family(family.set["family_id"])

    @rpc(request=RecordVisitSchema, response=FamilySchema, allow=CARERS)
    def record_visit(self, family_id, visited_on, notes):
        self.store.families.change(family_id, lambda family: decide.visit(
            family, visited_on=visited_on, notes=notes, today=self._today(), by=self._by()),
            current=self._family(family_id))
        return self._family(family_id)

    @rpc(request=DueVisitsQuerySchema, response=DueVisitSchema, many=True, paged=True,
         allow=CARERS)
    def due_visits(self, cursor=None, limit=paging.DEFAULT_LIMIT):
        """K-6: families whose visit is overdue or due within 30 days, the most urgent first."""
        self.access.check(record=("families", "due"))
        return paging.page_of(self._due_visits, lambda f: (f["next_visit"], f["_id"]),
                              "due_visits", cursor, limit, scope=self.access.actor)

    @rpc(request=WorkQuerySchema, response=WorkItemSchema, many=True, allow=work.WORK)
    def work_list(self, limit=work.DEFAULT_LIMIT):
        """What waits here for the caller (DOMAIN.md "Work lists (v2)"): for a care officer the
        talks due (overdue first), the pending hardship applications, the condolence visits due and
        the units with health checks missing this year; for a unit administrator their unit's
        missing checks; for a cadre their own talks and the leave left this year."""
        actor, now, items = work.caller(self.access), utcnow(), []
        year = business_year(now, self.config)
        if CARE_OFFICER in actor.roles:
            items += decide.talks_due(self.store.talks.open_by_due(limit), now)
            items += decide.hardship_pending(self.store.hardship_applications.pending(limit), now)
            items += decide.visits_due(self._due_visits(), now)
            cadres, checked, counted_in = self.views.read("health_checks", CareService._health_counts,
                                                       self)
            items += decide.health_checks_missing(cadres, checked, counted_in, now)
        elif UNIT_ADMIN in actor.roles and actor.unit_id:
            unit_id = actor.unit_id
            items += decide.health_checks_missing(
                {unit_id: self.store.cadres.count_in(unit_id)},
                {unit_id: self.store.health_checks.count_in(unit_id, year)}, year, now)
        if CADRE in actor.roles and actor.cadre_id:
            items += decide.talks_due(self.store.talks.open_by_due(limit, actor.cadre_id), now)
            cadre = self.store.cadres.get(actor.cadre_id)
            if cadre is not None:
                items += decide.my_leave(self._leave(cadre, year), now)
        return work.most_urgent_first(items, limit)

    def _health_counts(self):
        """K-2, kept (services/common/views.py): every unit's cadres and this year's checks, counted."""
        year = business_year(utcnow(), self.config)
        return self.store.cadres.by_unit(), self.store.health_checks.by_unit(year), year

    kept_views = {"health_checks": _health_counts}

    # events: K-1 talks opened by what happens elsewhere, once per matter

    @consume(CaseOpenedIn)
    def on_case_opened(self, event):
        """K-1 (v2): a case opened from a complaint is the complaint's matter -- the one talk the
        complaint opened (or will open, whichever event comes first), not a second."""
        complaint_id = event.payload.get("complaint_id")
        if complaint_id:
            self._talk_for(event, rules.EARLY_WARNING, "complaint", complaint_id)
        else:
            self._talk_for(event, rules.EARLY_WARNING, "case", event.payload["case_id"])

    @consume(ComplaintFiledIn)
    def on_complaint_filed(self, event):
        self._talk_for(event, rules.EARLY_WARNING, "complaint", event.payload["complaint_id"])

    @consume(SanctionDecidedIn)
    def on_sanction_decided(self, event):
        if event.payload["organisational_handling"]:
            self._talk_for(event, rules.JOB_ADJUSTMENT, "sanction", event.payload["case_id"])

    @consume(PostingChangedIn)
    def on_posting_changed(self, event):
        self._talk_for(event, rules.JOB_ADJUSTMENT, "posting", event.event_id)

    @consume(HardshipGrantedIn)
    def on_hardship_granted(self, event):
        self._talk_for(event, rules.MAJOR_SETBACK, "hardship_grant", event.payload["application_id"])

    @consume(CadreRegisteredIn)
    def on_cadre_registered(self, event):
        self.store.cadres.project(event, new=True)

    @consume(CadreUpdatedIn)
    def on_cadre_updated(self, event):
        self.store.cadres.project(event)

    @consume(CadreClearedIn)
    def on_cadre_cleared(self, event):
        """澄清正名: the clearing is recorded with the cadre's care record."""
        self.store.cadres.record_clearing(event.payload["cadre_id"], {
            "complaint_id": event.payload["complaint_id"], "at": event.payload["cleared_at"]},
            event.event_id)

    # helpers

    def _talk_for(self, event, reason, matter_type, matter_id):
        """One talk per reason and matter, ever: a redelivered event finds the talk it opened."""
        cadre_id = event.payload["cadre_id"]
        cadre = self.store.cadres.get(cadre_id) or {"_id": cadre_id}
        self.store.talks.add_once(decide.talk_for(
            cadre, reason=reason, matter_type=matter_type, matter_id=matter_id, event=event,
            policy=self._policy(), now=utcnow()))

    def _talk_by_person(self, cadre, reason, assignee, notes):
        """At most one open talk per cadre and reason opened by people (K-1): the key is held
        while it is open, so a second request finds the first."""
        key = f"{cadre['_id']}:{reason}"
        holder = self.store.open_talks.change(key, lambda holder: decide.hold_talk(
            holder, holder and self.store.talks.get(holder["talk_id"]), talk_id=self._new_id("talk")),
            create=True)
        talk_id = holder["talk_id"]
        if not self.store.talks.exists(talk_id):  # held, the talk not written yet: write it
            by = self._by()
            self.store.talks.add_once(decide.talk(
                cadre, talk_id=talk_id, reason=reason, matter={"type": "person", "id": by},
                opened_by=by, policy=self._policy(), now=utcnow(), notes=notes, assignee=assignee))
        return self._talk(talk_id)

    def _leave(self, cadre, year):
        record = self.store.leave.get(f"{cadre['_id']}:{year}") or {}
        entitlement = self._entitlement(cadre)
        taken = record.get("taken", 0)
        return {"cadre_id": cadre["_id"], "year": year, "entitlement": entitlement, "taken": taken,
                "remaining": entitlement - taken}

    def _entitlement(self, cadre):
        return rules.leave_entitlement(cadre.get("service_years") or 0, self._policy().leave_days)

    def _fund(self, year):
        fund = self.store.funds.get(year) or {"budget_cents": 0, "balance_cents": 0, "entries": []}
        return {"year": year, "budget": rules.yuan(fund["budget_cents"]),
                "granted": rules.yuan(fund["budget_cents"] - fund["balance_cents"]),
                "balance": rules.yuan(fund["balance_cents"]),
                "ledger": [{**line, "amount": rules.yuan(abs(line["delta_cents"])),
                            "direction": rules.IN if line["delta_cents"] >= 0 else rules.OUT,
                            "balance": rules.yuan(line["balance_cents"])}
                           for line in rules.ledger(fund["entries"])]}

    def _application(self, application_id):
        application = self.store.hardship_applications.get(application_id)
        if application is None:
            self.access.check(record=("hardship_application", application_id))
            raise NotFound(f"hardship application {application_id} does not exist",
                           code="APPLICATION_NOT_FOUND")
        self.access.check(unit_id=application["unit_id"], cadre_id=application["cadre_id"],
                          record=("hardship_application", application_id))
        return application

    def _family(self, family_id):
        self.access.check(record=("family", family_id))
        family = self.store.families.get(family_id)
        if family is None:
            raise NotFound(f"family {family_id} is not registered", code="FAMILY_NOT_FOUND",
                           rule="K-6")
        return _visiting(family)

    def _talk(self, talk_id):
        talk = self.store.talks.get(talk_id)
        if talk is None:
            self.access.check(record=("talk", talk_id))
            raise NotFound(f"talk {talk_id} does not exist", code="TALK_NOT_FOUND")
        self.access.check(unit_id=talk.get("unit_id"), cadre_id=talk["cadre_id"],
                          record=("talk", talk_id))
        return talk


    def _due_visits(self):
        today, found = self._today(), []
        for family in map(_visiting, self.store.families.every()):
            status = rules.visit_status(family["next_visit"], today)
            if status:
                found.append({**family, "status": status})
        return sorted(found, key=lambda f: (f["next_visit"], f["_id"]))

    def _today(self):
        return business_date(utcnow(), self.config)

    def _policy(self) -> rules.Policy:
        return rules.Policy.from_config(self.config)


def _visiting(family):
    """A family with the date of its next condolence visit (K-6)."""
    return {**family, "next_visit": rules.next_visit(family)}
