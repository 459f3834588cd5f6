"""care as a nameko container on the real broker and store: talks opened by events once however often they
arrive (K-1), health checks (K-2), leave (K-3), confidential referrals (K-4), the hardship fund raced by
concurrent approvals (K-5) and bereaved families (K-6)."""

from datetime import date, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.care.events import (
    CadreRegisteredIn,
    CaseOpenedIn,
    ComplaintFiledIn,
    PostingChangedIn,
    SanctionDecidedIn,
)
from services.care.service import CareService
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from services.common.storage.store import database_name
from tests.helpers import TEST_NOW, actor, as_user, before_next_write, call, wait_for

CARER = actor("CARE_OFFICER", user_id="carer-1")
ORG = actor("ORG_ADMIN", user_id="org-1")
SELF = actor("CADRE", user_id="cadre-l1", cadre_id="L1", unit_id="U1")
NOW = TEST_NOW  # the services' clock starts there (tests/conftest.py)

CADRES = [  # (cadre_id, unit, is_leader, grassroots_years, service_years)
    ("L1", "U1", True, 6, 9), ("L2", "U1", False, 1, 10), ("L3", "U1", True, 0, 19),
    ("L4", "U1", False, 2, 20), ("X1", "U2", False, 0, 3),
]


@pytest.fixture
def care(running):
    return running(CareService, max_workers=20)


@pytest.fixture
def deliver(care, deliver_event):
    def deliver_(schema, payload, handler, envelope=None):
        return deliver_event(care, schema, payload, handler, envelope)
    return deliver_


@pytest.fixture
def roster(deliver):
    for cadre_id, unit_id, leader, grassroots, service in CADRES:
        deliver(CadreRegisteredIn, {"cadre_id": cadre_id, "name": "某", "unit_id": unit_id,
                                    "level": "DIVISION" if leader else "STAFF", "is_leader": leader,
                                    "is_principal": False, "grassroots_years": grassroots,
                                    "service_years": service}, "on_cadre_registered")


def talks(care, **query):
    return call(care, "list_talks", as_=CARER, **query)


class TestTalks:
    def test_each_event_opens_its_talk_once_however_often_it_arrives(self, care, roster, deliver):
        opened = deliver(CaseOpenedIn, {"case_id": "K1", "cadre_id": "L1", "opened_at": NOW},
                         "on_case_opened")
        deliver(CaseOpenedIn, {}, "on_case_opened", envelope=opened)  # redelivered
        deliver(ComplaintFiledIn, {"complaint_id": "Q1", "cadre_id": "L1", "filed_at": NOW},
                "on_complaint_filed")
        deliver(SanctionDecidedIn, {"case_id": "K1", "cadre_id": "L1", "organisational_handling": True,
                                    "decided_at": NOW}, "on_sanction_decided")
        deliver(SanctionDecidedIn, {"case_id": "K2", "cadre_id": "L1", "organisational_handling": False,
                                    "decided_at": NOW}, "on_sanction_decided")  # light: no talk
        posted = deliver(PostingChangedIn, {"cadre_id": "L2", "to_unit_id": "U2", "changed_at": NOW},
                         "on_posting_changed")
        deliver(PostingChangedIn, {}, "on_posting_changed", envelope=posted)

        found = sorted((t["cadre_id"], t["reason"], t["matter"]["type"]) for t in talks(care))
        assert found == [("L1", "EARLY_WARNING", "case"), ("L1", "EARLY_WARNING", "complaint"),
                         ("L1", "JOB_ADJUSTMENT", "sanction"), ("L2", "JOB_ADJUSTMENT", "posting")]
        [talk] = talks(care, cadre_id="L2")
        assert (talk["assignee"], talk["status"]) == ("care-office", "OPEN")
        due = datetime.fromisoformat(talk["due_at"]) - datetime.fromisoformat(talk["opened_at"])
        assert due == timedelta(days=15)

    def test_a_cadre_requests_their_own_talk_once_while_it_is_open(self, care, roster):
        first = call(care, "request_talk", "L1", notes="工作压力大", as_=SELF)
        again = call(care, "request_talk", "L1", as_=SELF)
        assert (first["reason"], again["talk_id"]) == ("SELF_REQUESTED", first["talk_id"])
        with pytest.raises(Forbidden):
            call(care, "request_talk", "L2", as_=SELF)  # not for someone else
        assert talks(care, cadre_id="L2") == []

        done = call(care, "complete_talk", first["talk_id"], "已谈心，明确支持措施", as_=CARER)
        assert (done["status"], done["completed_by"]) == ("DONE", "carer-1")
        with pytest.raises(Conflict) as caught:
            call(care, "complete_talk", first["talk_id"], "again", as_=CARER)
        assert caught.value.code == "TALK_COMPLETED"
        # completed: a new request opens a new talk
        assert call(care, "request_talk", "L1", as_=SELF)["talk_id"] != first["talk_id"]
        assert [t["cadre_id"] for t in call(care, "list_talks", cadre_id="L1", as_=SELF)] == ["L1", "L1"]

    def test_overdue_talks_are_listed(self, care, roster, config, mongo_client):
        talk = call(care, "open_talk", "L2", "MAJOR_SETBACK", notes="家庭变故", as_=CARER)
        assert talks(care, overdue=True) == []
        mongo_client[database_name(config, "care")].talks.update_one(
            {"_id": talk["talk_id"]}, {"$set": {"due_at": NOW - timedelta(days=1)}})
        assert [t["talk_id"] for t in talks(care, overdue=True)] == [talk["talk_id"]]


class TestHealthAndLeave:
    def test_one_check_a_year_enhanced_for_long_hardship_service(self, care, roster):
        check = call(care, "record_health_check", "L1", 2026, "2026-04-01", as_=CARER)
        assert check["standard"] == "ENHANCED"  # six grassroots years
        other = call(care, "record_health_check", "L2", 2026, "2026-04-02", as_=CARER)
        assert other["standard"] == "STANDARD"
        with pytest.raises(Conflict) as caught:
            call(care, "record_health_check", "L1", 2026, "2026-05-01", as_=CARER)
        assert (caught.value.code, caught.value.rule) == ("HEALTH_CHECK_RECORDED", "K-2")
        done = call(care, "health_completion", "U1", 2026, as_=CARER)
        assert (done["cadres"], done["checked"], done["missing"], done["rate"]) == (
            4, 2, ["L3", "L4"], "0.5000")
        assert (done["enhanced_due"], done["enhanced_done"]) == (1, 1)

    @pytest.mark.parametrize("cadre_id, days", [("L1", 5), ("L2", 10), ("L3", 10), ("L4", 15)])
    def test_leave_by_service_years(self, care, roster, cadre_id, days):
        assert call(care, "leave_entitlement", cadre_id, 2026, as_=CARER)["entitlement"] == days

    def test_leave_taken_within_the_entitlement_and_the_report_puts_leaders_first(self, care, roster):
        assert call(care, "record_leave", "L1", 2026, 3, "2026-05-06", as_=CARER)["remaining"] == 2
        with pytest.raises(RuleViolation) as caught:
            call(care, "record_leave", "L1", 2026, 3, "2026-06-01", as_=CARER)
        assert (caught.value.code, caught.value.details["taken"]) == ("LEAVE_EXCEEDED", 3)
        assert call(care, "leave_entitlement", "L1", 2026, as_=SELF)["taken"] == 3
        with pytest.raises(Forbidden):
            call(care, "leave_entitlement", "L2", 2026, as_=SELF)
        report = call(care, "untaken_leave_report", 2026, unit_id="U1", as_=CARER)
        assert [(r["cadre_id"], r["remaining"]) for r in report] == [
            ("L3", 10), ("L1", 2), ("L4", 15), ("L2", 10)]


def test_a_referral_is_read_by_care_officers_only(care, roster):
    referral = call(care, "refer_support", "L1", "睡眠障碍，情绪低落", as_=SELF)
    assert "notes" not in referral and referral["cadre_id"] == "L1"
    [read] = call(care, "list_referrals", "L1", as_=CARER)
    assert (read["notes"], read["referred_by"]) == ("睡眠障碍，情绪低落", "cadre-l1")
    with pytest.raises(Forbidden):
        call(care, "list_referrals", "L1", as_=ORG)


class TestFund:
    def test_a_grant_debits_the_fund_once_and_opens_a_major_setback_talk(self, care, roster):
        call(care, "set_fund_budget", NOW.year, "1000.00", as_=ORG)
        application = call(care, "apply_hardship", "L1", "MAJOR_ILLNESS", "子女重病住院", as_=SELF)
        approved = call(care, "approve_hardship", application["application_id"], "300.50", as_=CARER)
        again = call(care, "approve_hardship", application["application_id"], "300.50", as_=CARER)
        assert (approved["status"], approved["amount"], again["amount"]) == ("APPROVED", "300.50", "300.50")
        fund = call(care, "fund_ledger", NOW.year, as_=CARER)
        assert (fund["budget"], fund["granted"], fund["balance"]) == ("1000.00", "300.50", "699.50")
        # one sign convention: the grant's line says the amount the approval named, going OUT
        assert [(line["kind"], line["direction"], line["amount"], line["balance"])
                for line in fund["ledger"]] == [
            ("BUDGET", "IN", "1000.00", "1000.00"), ("GRANT", "OUT", "300.50", "699.50")]
        wait_for(lambda: talks(care, cadre_id="L1"), what="the MAJOR_SETBACK talk")
        assert [t["reason"] for t in talks(care, cadre_id="L1")] == ["MAJOR_SETBACK"]

    @pytest.mark.parametrize("amount", ["-5", "abc", "0", "1.005", None])
    def test_bad_amounts_are_refused(self, care, roster, amount):
        call(care, "set_fund_budget", NOW.year, "100", as_=ORG)
        application = call(care, "apply_hardship", "L1", "NATURAL_DISASTER", "房屋受灾", as_=SELF)
        with pytest.raises(InvalidInput) as caught:
            call(care, "approve_hardship", application["application_id"], amount, as_=CARER)
        assert list(caught.value.fields) == ["amount"]
        assert call(care, "fund_ledger", NOW.year, as_=CARER)["balance"] == "100.00"

    def test_an_approval_over_the_remaining_budget_is_refused(self, care, roster, config, mongo_client):
        call(care, "set_fund_budget", NOW.year, "100", as_=ORG)
        application = call(care, "apply_hardship", "L2", "MAJOR_INCIDENT", "车祸", as_=CARER)
        with pytest.raises(RuleViolation) as caught:
            call(care, "approve_hardship", application["application_id"], "100.01", as_=CARER)
        assert (caught.value.code, caught.value.rule) == ("FUND_EXCEEDED", "K-5")
        stored = mongo_client[database_name(config, "care")].hardship_applications.find_one(
            {"_id": application["application_id"]})
        assert stored["status"] == "PENDING"
        assert call(care, "fund_ledger", NOW.year, as_=CARER)["balance"] == "100.00"

        call(care, "approve_hardship", application["application_id"], "60", as_=CARER)
        with pytest.raises(RuleViolation) as caught:  # below what was granted: the balance would go negative
            call(care, "set_fund_budget", NOW.year, "59.99", as_=ORG)
        assert caught.value.code == "BUDGET_BELOW_GRANTED"
        raised = call(care, "set_fund_budget", NOW.year, "250", as_=ORG)
        assert (raised["budget"], raised["balance"]) == ("250.00", "190.00")
        lowered = call(care, "set_fund_budget", NOW.year, "200", as_=ORG)
        assert [(line["kind"], line["direction"], line["amount"], line["balance"])
                for line in lowered["ledger"]] == [
            ("BUDGET", "IN", "100.00", "100.00"), ("GRANT", "OUT", "60.00", "40.00"),
            ("BUDGET", "IN", "150.00", "190.00"), ("BUDGET", "OUT", "50.00", "140.00")]

    def test_raced_duplicate_approvals_pay_each_grant_once(self, care, roster, config, mongo_client):
        call(care, "set_fund_budget", NOW.year, "1000", as_=ORG)
        applications = [call(care, "apply_hardship", cadre_id, "MAJOR_ILLNESS", "重病", as_=CARER)
                        ["application_id"] for cadre_id in ("L1", "L2", "L3", "L4", "X1") for _ in range(2)]
        # ten applications of 150 each: the 1000 covers six; every approval sent four times at once
        with ClusterRpcProxy(config, context_data=as_user(CARER)) as cluster:
            pending = [(a, cluster.care.approve_hardship.call_async(application_id=a, amount="150"))
                       for a in applications for _ in range(4)]
            outcomes = []
            for application_id, reply in pending:
                try:
                    outcomes.append((application_id, reply.result()["status"]))
                except (RuleViolation, Conflict) as exc:
                    outcomes.append((application_id, exc.code))
        fund = call(care, "fund_ledger", NOW.year, as_=CARER)
        grants = [line for line in fund["ledger"] if line["kind"] == "GRANT"]
        granted = {g["application_id"] for g in grants}
        assert len(grants) == len(granted) == 6
        assert (fund["balance"], fund["granted"]) == ("100.00", "900.00")
        # every reply is the truth: APPROVED only for the granted, refusals name the rule or the race
        assert {a for a, outcome in outcomes if outcome == "APPROVED"} == granted
        assert {o for _, o in outcomes} <= {"APPROVED", "FUND_EXCEEDED", "CONCURRENT_UPDATE"}
        statuses = {a["_id"]: a["status"] for a in mongo_client[database_name(config, "care")]
                    .hardship_applications.find({})}
        assert {a for a, status in statuses.items() if status == "APPROVED"} == granted


class TestFamilies:
    def test_visits_are_scheduled_recorded_and_listed_when_due(self, care, roster, config, mongo_client,
                                                               frozen_clock):
        family = call(care, "register_family", "L4", "2025-07-01", [
            {"name": "王某", "relation": "SPOUSE"}, {"name": "王小某", "relation": "CHILD"}],
            visit_every_months=1, as_=CARER)
        # registered on 15 June (in Wuhan), monthly: next on 15 July, 30 days ahead -- due
        assert (family["registered_on"], family["next_visit"]) == ("2026-06-15", "2026-07-15")
        assert call(care, "due_visits", as_=CARER)[0]["family_id"] == family["family_id"]
        visited = call(care, "record_visit", family["family_id"], NOW.date().isoformat(), "春节慰问",
                       as_=CARER)
        assert date.fromisoformat(visited["next_visit"]) > NOW.date() + timedelta(days=27)
        mongo_client[database_name(config, "care")].families.update_one(
            {"_id": family["family_id"]}, {"$set": {"visits.0.on": datetime(2020, 1, 1)}})
        [due] = call(care, "due_visits", as_=CARER)
        assert due["status"] == "OVERDUE"
        with pytest.raises(Conflict):
            call(care, "register_family", "L4", "2025-07-01", [{"name": "x", "relation": "ELDER"}], as_=CARER)
        with pytest.raises(NotFound) as caught:
            call(care, "record_visit", "nofamily", "2026-01-01", "x", as_=CARER)
        assert caught.value.code == "FAMILY_NOT_FOUND"

    def test_a_family_of_an_unknown_cadre_is_refused(self, care, roster):
        with pytest.raises(InvalidInput):
            call(care, "register_family", "L4", "2025-07-01", [], as_=CARER)
        with pytest.raises(NotFound):
            call(care, "register_family", "NOBODY", "2025-07-01", [{"name": "x", "relation": "ELDER"}],
                 as_=CARER)


def test_a_lost_release_of_a_completed_talk_does_not_block_the_next(care, roster, config, mongo_client):
    first = call(care, "request_talk", "L1", as_=SELF)
    db = mongo_client[database_name(config, "care")]
    db.talks.update_one({"_id": first["talk_id"]}, {"$set": {"status": "DONE"}})  # released? no: key kept
    assert db.open_talks.count_documents({}) == 1
    second = call(care, "request_talk", "L1", as_=SELF)
    assert (second["talk_id"] != first["talk_id"], second["status"]) == (True, "OPEN")


def test_leave_and_visits_are_checked_against_the_calendar(care, roster):
    with pytest.raises(InvalidInput) as caught:
        call(care, "record_leave", "L4", 2026, 2, "2025-12-30", as_=CARER)
    assert list(caught.value.fields) == ["starts_on"]
    family = call(care, "register_family", "L3", "2024-03-01", [{"name": "某", "relation": "ELDER"}],
                  as_=CARER)
    with pytest.raises(InvalidInput):
        call(care, "record_visit", family["family_id"], (NOW + timedelta(days=3)).date().isoformat(), "x",
             as_=CARER)


class TestApprovalRacedByRejection:
    """K-5 on the real store: a rejection forced in between an approval's writes, from another worker
    of the container, as a second officer's command would land."""

    @pytest.fixture
    def application(self, care, roster):
        call(care, "set_fund_budget", NOW.year, "1000", as_=ORG)
        return call(care, "apply_hardship", "L2", "MAJOR_INCIDENT", "车祸", as_=CARER)["application_id"]

    @staticmethod
    def reject(care, application, outcome):
        try:
            outcome.append(call(care, "reject_hardship", application, "不符合条件", as_=CARER)["status"])
        except Conflict as refused:
            outcome.append(refused.code)

    def test_before_the_grant_the_rejection_stands_and_nothing_is_paid(self, care, application,
                                                                      monkeypatch):
        from services.care.storage import Funds

        outcome = []
        before_next_write(monkeypatch, Funds, lambda: self.reject(care, application, outcome))
        with pytest.raises(Conflict) as refused:
            call(care, "approve_hardship", application, "200", as_=CARER)
        assert (refused.value.code, outcome) == ("APPLICATION_DECIDED", ["REJECTED"])
        fund = call(care, "fund_ledger", NOW.year, as_=CARER)
        assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == ("1000.00", ["BUDGET"])

    def test_after_the_grant_the_rejection_is_refused_and_the_approval_stands(self, care, application,
                                                                             monkeypatch):
        from services.care.storage import HardshipApplications

        outcome = []
        before_next_write(monkeypatch, HardshipApplications, lambda: self.reject(care, application, outcome))
        approved = call(care, "approve_hardship", application, "200", as_=CARER)
        assert (approved["status"], outcome) == ("APPROVED", ["APPLICATION_DECIDED"])
        fund = call(care, "fund_ledger", NOW.year, as_=CARER)
        assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == (
            "800.00", ["BUDGET", "GRANT"])
