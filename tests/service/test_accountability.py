"""accountability as a nameko container on the real broker and store: cases, the ladder, four-eyes,
fault tolerance first (C-4), A-4 from the unit's FAIL grade, complaints (C-5) and the C-6 report.

Events from other services are published to the real broker as their producers would; the paths whose
producer exists are also proven between running processes in tests/integration."""

from datetime import UTC, datetime

import pytest

from services.accountability.events import (
    ApplicationFiledIn,
    CadreRegisteredIn,
    RulingMadeIn,
    SelectionStatusChangedIn,
    UnitGradedIn,
)
from services.accountability.service import AccountabilityService
from services.common.clock import utcnow
from services.common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from services.common.messaging.events import build_envelope
from services.common.storage.store import database_name
from tests.helpers import actor, call

OFFICER_A = actor("DISCIPLINE_OFFICER", user_id="officer-a")
OFFICER_B = actor("DISCIPLINE_OFFICER", user_id="officer-b")
ORG = actor("ORG_ADMIN", user_id="org-1")

LEADER = {"cadre_id": "L1", "name": "王五", "unit_id": "U1", "level": "DIVISION",
          "is_leader": True, "is_principal": False}
PRINCIPAL = {"cadre_id": "P1", "name": "赵六", "unit_id": "U1", "level": "BUREAU_PRINCIPAL",
             "is_leader": True, "is_principal": True}
DEPUTY_PRINCIPAL = {**PRINCIPAL, "cadre_id": "P2", "name": "钱七"}
STAFF = {"cadre_id": "S1", "name": "孙八", "unit_id": "U1", "level": "STAFF",
         "is_leader": False, "is_principal": False}
OTHER_UNIT_PRINCIPAL = {**PRINCIPAL, "cadre_id": "P9", "unit_id": "U2"}


@pytest.fixture
def service(running):
    return running(AccountabilityService)


@pytest.fixture
def deliver(service, deliver_event):
    """Publish an event as its producer would and wait until accountability handled it."""

    def deliver_(schema, payload, handler, envelope=None):
        return deliver_event(service, schema, payload, handler, envelope, actor=ORG)

    return deliver_


@pytest.fixture
def roster(deliver):
    for cadre in (LEADER, PRINCIPAL, DEPUTY_PRINCIPAL, STAFF, OTHER_UNIT_PRINCIPAL):
        deliver(CadreRegisteredIn, cadre, "on_cadre_registered")


def db(mongo_client, config):
    return mongo_client[database_name(config, "accountability")]


def open_case(service, cadre_id="L1", as_=OFFICER_A, **extra):
    body = {"cadre_id": cadre_id, "source": "INSPECTION", "situations": ["REFORM_2"],
            "summary": "重大改革任务推进不力", **extra}
    return call(service, "open_case", **body, as_=as_)


def verified_case(service, discipline_due=False, **extra):
    case = open_case(service, **extra)
    call(service, "start_investigation", case["case_id"], as_=OFFICER_A)
    return call(service, "verify_case", case["case_id"], "查实：推进不力", discipline_due=discipline_due,
                as_=OFFICER_A)


def approve(service, case_id, as_):
    """Approve the proposal as the approver reads it (four-eyes: the one they saw)."""
    proposal = call(service, "get_case", case_id, as_=as_)["proposal"] or {}
    return call(service, "approve_decision", case_id, proposal.get("proposal_id") or "none", as_=as_)


SERIOUS_TRANSFER = {"severity": "SERIOUS", "sanctions": ["TRANSFER"], "reason": "情节较重"}


class TestCases:
    def test_a_case_goes_through_its_states_keeping_who_when_and_why(self, service, roster):
        case = open_case(service)
        assert (case["status"], case["source"], case["unit_id"]) == ("OPEN", "INSPECTION", "U1")
        case_id = case["case_id"]
        call(service, "start_investigation", case_id, "立案调查", as_=OFFICER_A)
        call(service, "verify_case", case_id, "查实", as_=OFFICER_A)
        call(service, "propose_decision", case_id, **SERIOUS_TRANSFER, as_=OFFICER_A)
        decided = approve(service, case_id, as_=OFFICER_B)
        closed = call(service, "close_case", case_id, "执行完毕", as_=ORG)

        assert decided["status"] == "DECIDED"
        assert decided["decision"]["sanctions"] == ["TRANSFER"]
        assert (decided["decision"]["by"], decided["decision"]["approved_by"]) == (
            "officer-a", "officer-b")
        assert (closed["status"], closed["outcome"]) == ("CLOSED", "SANCTIONED")
        steps = [(h["from"], h["to"], h["by"]) for h in closed["history"]]
        assert steps == [(None, "OPEN", "officer-a"), ("OPEN", "INVESTIGATING", "officer-a"),
                         ("INVESTIGATING", "VERIFIED", "officer-a"),
                         ("VERIFIED", "VERIFIED", "officer-a"), ("VERIFIED", "DECIDED", "officer-b"),
                         ("DECIDED", "CLOSED", "org-1")]
        assert closed["history"][1]["reason"] == "立案调查"
        assert all(datetime.fromisoformat(h["at"]).tzinfo is not None for h in closed["history"])

    def test_the_decision_carries_the_promotion_ban_end(self, service, roster):
        case = verified_case(service, discipline_due=True)
        call(service, "propose_decision", case["case_id"], severity="SERIOUS",
             sanctions=["DEMOTION", "DISCIPLINARY"], reason="情节较重",
             disciplinary={"text": "党内严重警告", "ban_months": 18}, as_=OFFICER_A)
        decision = approve(service, case["case_id"], as_=OFFICER_B)["decision"]
        approved = datetime.fromisoformat(decision["approved_at"])
        ban = datetime.fromisoformat(decision["ban_until"])
        # DEMOTION's 24 months outlast the disciplinary term of 18
        assert (ban.year - approved.year) * 12 + ban.month - approved.month == 24
        assert decision["year"] == approved.year

    @pytest.mark.parametrize("cadre_id, error, code", [
        ("NOBODY", NotFound, "CADRE_NOT_FOUND"),
        ("S1", RuleViolation, "NOT_A_LEADING_CADRE"),
    ])
    def test_unknown_and_non_leading_cadres_are_refused(self, service, roster, config, mongo_client,
                                                      cadre_id, error, code):
        with pytest.raises(error) as caught:
            open_case(service, cadre_id=cadre_id)
        assert caught.value.code == code
        assert db(mongo_client, config).cases.count_documents({}) == 0

    def test_situation_codes_are_checked(self, service, roster, config, mongo_client):
        with pytest.raises(InvalidInput) as caught:
            open_case(service, situations=["REFORM_9"])
        assert list(caught.value.fields) == ["situations"]
        with pytest.raises(RuleViolation) as caught:
            open_case(service, situations=[])
        assert (caught.value.code, caught.value.rule) == ("SITUATION_REQUIRED", "C-1")
        with pytest.raises(RuleViolation) as caught:
            open_case(service, source="APPRAISAL_FAIL")
        assert caught.value.rule == "A-4"
        assert db(mongo_client, config).cases.count_documents({}) == 0

    def test_only_a_verified_case_is_decided(self, service, roster):
        case = open_case(service)
        with pytest.raises(Conflict) as caught:
            call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("CASE_STATE", "C-1")
        assert call(service, "get_case", case["case_id"])["proposal"] is None

    def test_a_dismissed_case_ends_without_sanction(self, service, roster):
        case = open_case(service)
        dismissed = call(service, "dismiss_case", case["case_id"], "反映不实", as_=OFFICER_A)
        assert (dismissed["status"], dismissed["outcome"]) == ("DISMISSED", "DISMISSED")
        with pytest.raises(Conflict):
            call(service, "start_investigation", case["case_id"], as_=OFFICER_A)

    def test_a_sanction_set_outside_the_ladder_is_refused_naming_the_rule(self, service, roster):
        case = verified_case(service)
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_decision", case["case_id"], severity="MINOR",
                 sanctions=["REMOVAL"], reason="x", as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("SANCTION_NOT_ALLOWED", "C-2")
        assert ["ADMONISHMENT"] in caught.value.details["allowed"]
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_decision", case["case_id"], severity="MINOR",
                 public_outcry=True, sanctions=["ADMONISHMENT"], reason="x", as_=OFFICER_A)
        assert caught.value.rule == "C-2"
        assert call(service, "get_case", case["case_id"])["proposal"] is None

    def test_allowed_sanctions_answers_the_ladder_for_the_case(self, service, roster):
        case = verified_case(service)
        minor = call(service, "allowed_sanctions", case["case_id"], "MINOR", as_=OFFICER_A)
        # C-2 (v2): light sanctions, one or more; no discipline due, so no DISCIPLINARY
        assert [s["sanctions"] for s in minor["allowed"]][:3] == [
            ["CRITICISM_EDUCATION"], ["CIRCULATED_CRITICISM"], ["ADMONISHMENT"]]
        assert len(minor["allowed"]) == 7 and minor["discipline_due"] is False
        impact = call(service, "allowed_sanctions", case["case_id"], "MINOR", bad_impact=True,
                      as_=OFFICER_A)
        assert [s["sanctions"] for s in impact["allowed"]] == [
            ["TRANSFER"], ["NON_LEADERSHIP_POST"], ["RESIGNATION_FOR_FAULT"], ["ORDERED_RESIGNATION"],
            ["REMOVAL"], ["DEMOTION"]]
        assert {s["rule"] for s in impact["allowed"]} == {"C-2"}
        due = verified_case(service, discipline_due=True)
        impact = call(service, "allowed_sanctions", due["case_id"], "MINOR", bad_impact=True,
                      as_=OFFICER_A)
        assert ["DISCIPLINARY"] in [s["sanctions"] for s in impact["allowed"]]
        assert all("DISCIPLINARY" in s["sanctions"] for s in impact["allowed"])


class TestFourEyes:
    def test_the_proposer_cannot_approve(self, service, roster):
        case = verified_case(service)
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        with pytest.raises(RuleViolation) as caught:
            approve(service, case["case_id"], as_=OFFICER_A)
        assert caught.value.code == "FOUR_EYES"
        assert call(service, "get_case", case["case_id"])["status"] == "VERIFIED"

    def test_a_proposal_replaced_since_it_was_read_is_not_approved(self, service, roster):
        case = verified_case(service)
        read = call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER,
                    as_=OFFICER_A)["proposal"]
        call(service, "propose_decision", case["case_id"], severity="SERIOUS",
             sanctions=["REMOVAL"], reason="改为免职", as_=OFFICER_A)
        with pytest.raises(Conflict) as caught:
            call(service, "approve_decision", case["case_id"], read["proposal_id"], as_=OFFICER_B)
        assert caught.value.code == "PROPOSAL_CHANGED"
        assert call(service, "get_case", case["case_id"])["status"] == "VERIFIED"
        assert approve(service, case["case_id"], as_=OFFICER_B)["decision"]["sanctions"] == ["REMOVAL"]

    def test_nothing_to_approve_without_a_proposal(self, service, roster):
        case = verified_case(service)
        with pytest.raises(Conflict) as caught:
            approve(service, case["case_id"], as_=OFFICER_B)
        assert caught.value.code == "NO_PROPOSAL"


class TestAppraisalFail:
    """A-4 and C-3: a unit's FAIL grade opens one case per principal leader, once."""

    def grade(self, deliver, grade, unit_id="U1", year=2025, envelope=None):
        return deliver(UnitGradedIn, {"unit_id": unit_id, "year": year, "grade": grade,
                                      "graded_at": datetime(2026, 1, 10, tzinfo=UTC)},
                       "on_unit_graded", envelope=envelope)

    def test_fail_opens_a_case_per_principal_leader_however_often_it_arrives(
            self, service, roster, deliver):
        event = self.grade(deliver, "FAIL")
        self.grade(deliver, "FAIL", envelope=event)  # redelivered
        self.grade(deliver, "FAIL")                  # published again: a new event, same facts

        cases = call(service, "list_cases", as_=OFFICER_A)
        assert sorted(c["cadre_id"] for c in cases) == ["P1", "P2"]
        assert {c["source"] for c in cases} == {"APPRAISAL_FAIL"}

    def test_pass_and_merit_open_nothing(self, service, roster, deliver):
        self.grade(deliver, "PASS")
        self.grade(deliver, "MERIT", year=2024)
        assert call(service, "list_cases", as_=OFFICER_A) == []

    def test_an_appraisal_fail_case_is_admonishment_or_one_organisational_handling(
            self, service, roster, deliver):
        self.grade(deliver, "FAIL")
        [case] = call(service, "list_cases", cadre_id="P1", as_=OFFICER_A)
        call(service, "start_investigation", case["case_id"], as_=OFFICER_A)
        call(service, "verify_case", case["case_id"], "单位绩效考评不合格", as_=OFFICER_A)
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_decision", case["case_id"], severity="MINOR",
                 sanctions=["CRITICISM_EDUCATION"], reason="x", as_=OFFICER_A)
        assert caught.value.rule == "C-3"
        proposed = call(service, "propose_decision", case["case_id"], severity="MINOR",
                        sanctions=["ADMONISHMENT"], reason="诫勉谈话", as_=OFFICER_A)
        assert proposed["proposal"]["rule"] == "C-3"


class TestFaultToleranceFirst:
    """C-4, with tolerance's events published to the real broker as tolerance will publish them."""

    def file(self, deliver, case_id, application_id="T1", envelope=None):
        return deliver(ApplicationFiledIn, {"application_id": application_id, "cadre_id": "L1",
                                            "case_id": case_id}, "on_application_filed",
                       envelope=envelope)

    def rule(self, deliver, case_id, outcome, application_id="T1", envelope=None):
        return deliver(RulingMadeIn, {"application_id": application_id, "cadre_id": "L1",
                                      "case_id": case_id, "outcome": outcome,
                                      "ruled_at": datetime(2026, 2, 1, tzinfo=UTC)},
                       "on_ruling_made", envelope=envelope)

    def test_a_pending_application_holds_the_decision(self, service, roster, deliver):
        case = verified_case(service)
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        event = self.file(deliver, case["case_id"])
        self.file(deliver, case["case_id"], envelope=event)  # twice: still one application

        assert call(service, "get_case", case["case_id"])["pending_applications"] == ["T1"]
        for method, args, who in (("propose_decision", SERIOUS_TRANSFER, OFFICER_A),
                                  ("approve_decision", {"proposal_id": "x"}, OFFICER_B)):
            with pytest.raises(RuleViolation) as caught:
                call(service, method, case["case_id"], **args, as_=who)
            assert (caught.value.code, caught.value.rule) == ("CASE_ON_HOLD", "C-4")

        self.rule(deliver, case["case_id"], "REJECTED")
        decided = approve(service, case["case_id"], as_=OFFICER_B)
        assert decided["status"] == "DECIDED"

    def test_an_exemption_closes_the_case_without_sanction(self, service, roster, deliver):
        case = verified_case(service)
        self.file(deliver, case["case_id"])
        event = self.rule(deliver, case["case_id"], "EXEMPTED")
        self.rule(deliver, case["case_id"], "EXEMPTED", envelope=event)  # redelivered

        closed = call(service, "get_case", case["case_id"])
        assert (closed["status"], closed["outcome"], closed["decision"]) == (
            "CLOSED", "EXEMPTED", None)
        assert closed["pending_applications"] == []
        assert len(closed["rulings"]) == 1
        assert [h["to"] for h in closed["history"]][-1] == "CLOSED"

    def test_a_mitigation_allows_only_lighter_sanctions(self, service, roster, deliver):
        case = verified_case(service)
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        self.file(deliver, case["case_id"])
        self.rule(deliver, case["case_id"], "MITIGATED")

        # the proposal made before the ruling no longer fits the ladder
        with pytest.raises(RuleViolation) as caught:
            approve(service, case["case_id"], as_=OFFICER_B)
        assert caught.value.rule == "C-4"
        call(service, "propose_decision", case["case_id"], severity="SERIOUS",
             sanctions=["ADMONISHMENT"], reason="从轻", as_=OFFICER_A)
        decided = approve(service, case["case_id"], as_=OFFICER_B)
        assert decided["decision"]["sanctions"] == ["ADMONISHMENT"]
        assert decided["mitigated"] is True

    def test_an_exemption_after_the_decision_marks_it_exempted(self, service, roster, deliver):
        case = verified_case(service)
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        approve(service, case["case_id"], as_=OFFICER_B)
        self.rule(deliver, case["case_id"], "EXEMPTED", application_id="T2")

        closed = call(service, "get_case", case["case_id"])
        assert (closed["status"], closed["outcome"]) == ("CLOSED", "EXEMPTED")
        assert closed["decision"]["exempted"] is True
        year = datetime.fromisoformat(closed["decision"]["approved_at"]).year
        assert call(service, "demotion_report", year, as_=ORG) == []  # T-6: it never counts

    def test_exempting_a_closed_case_is_kept_in_its_history(self, service, roster, deliver):
        case = verified_case(service)
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        approve(service, case["case_id"], as_=OFFICER_B)
        call(service, "close_case", case["case_id"], as_=OFFICER_A)
        self.rule(deliver, case["case_id"], "EXEMPTED", application_id="T3")

        last = call(service, "get_case", case["case_id"])["history"][-1]
        assert (last["from"], last["to"], last["by"]) == ("CLOSED", "CLOSED", "org-1")
        assert "T3" in last["reason"]

    def test_a_ruling_about_another_cadre_is_dead_lettered_not_applied(
            self, service, roster, publish_event, config):
        from services.common.messaging import deadletter
        from tests.helpers import wait_for

        case = verified_case(service)
        event = build_envelope(RulingMadeIn, {
            "application_id": "T9", "cadre_id": "P1", "case_id": case["case_id"],
            "outcome": "EXEMPTED", "ruled_at": datetime(2026, 2, 1, tzinfo=UTC)}, producer="tolerance")
        publish_event(event, source="tolerance")
        [letter] = wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "accountability"),
                            what="the dead letter")
        assert (letter.event_id, letter.attempts) == (event["event_id"], 1)
        assert call(service, "get_case", case["case_id"])["status"] == "VERIFIED"

    def test_a_ruling_before_its_application_leaves_nothing_pending(self, service, roster, deliver):
        case = verified_case(service)
        self.rule(deliver, case["case_id"], "REJECTED")
        self.file(deliver, case["case_id"])
        assert call(service, "get_case", case["case_id"])["pending_applications"] == []


class TestComplaints:
    def complain(self, service, reporter=None, cadre_id="L1"):
        return call(service, "file_complaint", cadre_id=cadre_id, matter="对群众诉求推诿扯皮",
                    reporter=reporter, as_=OFFICER_A)

    def test_the_reporter_is_seen_by_discipline_officers_only(self, service, roster):
        complaint = self.complain(service, reporter={"name": "周九", "contact": "139"})
        assert complaint["reporter"] == {"name": "周九", "contact": "139"}
        as_org = call(service, "get_complaint", complaint["complaint_id"], as_=ORG)
        assert "reporter" not in as_org
        assert as_org["anonymous"] is False
        anonymous = self.complain(service)
        assert (anonymous["anonymous"], anonymous["reporter"]) == (True, None)

    def test_a_cadre_under_selection_gets_the_expedited_deadline(self, service, roster, deliver):
        before = self.complain(service)
        assert before["expedited"] is False
        deliver(SelectionStatusChangedIn, {"cadre_id": "L1", "status": "IN_SELECTION",
                                           "changed_at": datetime(2026, 3, 1, tzinfo=UTC)},
                "on_selection_status_changed")
        after = self.complain(service)
        days = (datetime.fromisoformat(after["due_at"]) - datetime.fromisoformat(after["filed_at"])).days
        assert (after["expedited"], days) == (True, 15)
        # the complaint filed before the selection began is expedited too
        earlier = call(service, "get_complaint", before["complaint_id"], as_=OFFICER_A)
        assert earlier["expedited"] is True
        assert (datetime.fromisoformat(earlier["due_at"])
                - datetime.fromisoformat(earlier["filed_at"])).days == 15

    def test_a_repeat_of_a_verified_and_closed_matter_is_not_reinvestigated(self, service, roster):
        case = verified_case(service)
        complaint = self.complain(service)
        with pytest.raises(RuleViolation) as caught:  # not closed yet
            call(service, "resolve_complaint", complaint["complaint_id"], "REPEAT", "重复举报",
                 repeat_of=case["case_id"], as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("NOT_A_REPEAT", "C-5")
        call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
        approve(service, case["case_id"], as_=OFFICER_B)
        call(service, "close_case", case["case_id"], as_=OFFICER_A)
        resolved = call(service, "resolve_complaint", complaint["complaint_id"], "REPEAT",
                        "重复举报", repeat_of=case["case_id"], as_=OFFICER_A)
        assert (resolved["status"], resolved["outcome"], resolved["repeat_of"]) == (
            "RESOLVED", "REPEAT", case["case_id"])
        assert len(call(service, "list_cases", cadre_id="L1", as_=OFFICER_A)) == 1

    def test_a_false_accusation_needs_a_named_reporter_and_is_referred(self, service, roster):
        anonymous = self.complain(service)
        with pytest.raises(RuleViolation) as caught:
            call(service, "resolve_complaint", anonymous["complaint_id"], "FALSE_ACCUSATION", "诬告",
                 as_=OFFICER_A)
        assert caught.value.code == "ANONYMOUS_REPORTER"
        assert call(service, "get_complaint", anonymous["complaint_id"],
                    as_=OFFICER_A)["status"] == "FILED"
        named = self.complain(service, reporter={"name": "吴十"})
        resolved = call(service, "resolve_complaint", named["complaint_id"], "FALSE_ACCUSATION",
                        "经查诬告陷害", as_=OFFICER_A)
        assert (resolved["outcome"], resolved["referred"]) == ("FALSE_ACCUSATION", True)

    def test_a_substantiated_complaint_keeps_the_case_investigating_it(self, service, roster):
        complaint = self.complain(service)
        investigating = open_case(service, source="COMPLAINT", complaint_id=complaint["complaint_id"])
        resolved = call(service, "resolve_complaint", complaint["complaint_id"], "SUBSTANTIATED",
                        "查有实据", situations=["RULE_OF_LAW_4"], as_=OFFICER_A)
        assert resolved["case_id"] == investigating["case_id"]
        assert len(call(service, "list_cases", cadre_id="L1", as_=OFFICER_A)) == 1

    def test_a_resolution_interrupted_after_its_claim_is_finished_by_a_retry(
            self, service, roster, config, mongo_client):
        complaint = self.complain(service)
        # as if an earlier call claimed it and stopped before finishing
        db(mongo_client, config).complaints.update_one(
            {"_id": complaint["complaint_id"]}, {"$set": {"status": "RESOLVING", "outcome": "GROUNDLESS"}})
        with pytest.raises(Conflict) as caught:  # another outcome: it is being resolved
            call(service, "resolve_complaint", complaint["complaint_id"], "FALSE_ACCUSATION", "x",
                 as_=OFFICER_A)
        assert (caught.value.code, caught.value.details["status"]) == ("COMPLAINT_RESOLVED", "RESOLVING")
        done = call(service, "resolve_complaint", complaint["complaint_id"], "GROUNDLESS", "查无实据",
                    as_=OFFICER_A)
        assert (done["status"], done["outcome"]) == ("RESOLVED", "GROUNDLESS")
        with pytest.raises(Conflict):
            call(service, "resolve_complaint", complaint["complaint_id"], "GROUNDLESS", "again",
                 as_=OFFICER_A)

    def test_a_late_older_selection_change_does_not_undo_a_later_one(self, service, roster, deliver):
        def selection(status, day):
            deliver(SelectionStatusChangedIn, {"cadre_id": "L1", "status": status,
                                               "changed_at": datetime(2026, 3, day, tzinfo=UTC)},
                    "on_selection_status_changed")
        selection("NOT_IN_SELECTION", 5)
        selection("IN_SELECTION", 1)  # older, arriving late
        assert self.complain(service)["expedited"] is False

    def test_a_substantiated_complaint_opens_one_case(self, service, roster):
        complaint = self.complain(service)
        resolved = call(service, "resolve_complaint", complaint["complaint_id"], "SUBSTANTIATED",
                        "查有实据", situations=["RULE_OF_LAW_4"], as_=OFFICER_A)
        case = call(service, "get_case", resolved["case_id"], as_=OFFICER_A)
        assert (case["source"], case["complaint_id"], case["situations"]) == (
            "COMPLAINT", complaint["complaint_id"], ["RULE_OF_LAW_4"])
        with pytest.raises(Conflict) as caught:
            call(service, "resolve_complaint", complaint["complaint_id"], "GROUNDLESS", "x",
                 as_=OFFICER_A)
        assert caught.value.code == "COMPLAINT_RESOLVED"


def test_the_yearly_report_counts_organisational_handlings_per_type_and_unit(service, roster):
    years = set()
    for sanctions in (["TRANSFER"], ["TRANSFER"], ["DEMOTION", "DISCIPLINARY"]):
        case = verified_case(service, discipline_due="DISCIPLINARY" in sanctions)
        call(service, "propose_decision", case["case_id"], severity="SERIOUS", sanctions=sanctions,
             reason="x", disciplinary={"text": "警告", "ban_months": 6} if len(sanctions) > 1 else None,
             as_=OFFICER_A)
        decided = approve(service, case["case_id"], as_=OFFICER_B)
        years.add(decided["decision"]["year"])
    minor = verified_case(service)
    call(service, "propose_decision", minor["case_id"], severity="MINOR", sanctions=["ADMONISHMENT"],
         reason="x", as_=OFFICER_A)
    approve(service, minor["case_id"], as_=OFFICER_B)

    [year] = years
    assert call(service, "demotion_report", year, published=True, as_=ORG) == [
        {"year": year, "unit_id": "U1", "handling": "TRANSFER", "count": 2},
        {"year": year, "unit_id": "U1", "handling": "DEMOTION", "count": 1},
    ]
    # the officers' copy names the cadres counted (C-6)
    named = call(service, "demotion_report", year, as_=ORG)
    assert [c["cadre_id"] for c in named[0]["cadres"]] == ["L1", "L1"]
    assert call(service, "demotion_report", year - 1, as_=ORG) == []


def test_the_decision_is_published_with_its_ban_and_its_year(service, roster, spy):
    decided_event = spy("accountability", "sanction_decided")
    opened_event = spy("accountability", "case_opened")
    case = verified_case(service)
    call(service, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
    decided = approve(service, case["case_id"], as_=OFFICER_B)

    opened = opened_event()
    assert (opened["payload"]["case_id"], opened["payload"]["source"]) == (case["case_id"], "INSPECTION")
    envelope = decided_event()
    assert envelope["actor"]["user_id"] == "officer-b"
    payload = envelope["payload"]
    assert payload == {
        "case_id": case["case_id"], "cadre_id": "L1", "unit_id": "U1",
        "year": decided["decision"]["year"], "sanctions": ["TRANSFER"],
        "organisational_handling": True, "disciplinary": False, "severity": "SERIOUS",
        "mitigated": False, "decided_at": payload["decided_at"],
        "ban_until": payload["ban_until"], "restrictions": payload["restrictions"]}
    # C-7: a transfer bars promotion for twelve months
    assert [(r["kind"], r["until"]) for r in payload["restrictions"]] == [
        ("NO_PROMOTION", payload["ban_until"])]
    assert datetime.fromisoformat(payload["ban_until"]) == datetime.fromisoformat(
        decided["decision"]["ban_until"])


def test_a_groundless_complaint_clears_the_cadre_and_says_so(service, roster, spy):
    cleared_event = spy("accountability", "cadre_cleared")
    filed_event = spy("accountability", "complaint_filed")
    complaint = call(service, "file_complaint", cadre_id="L1", matter="反映不作为",
                     reporter={"name": "周九"}, as_=OFFICER_A)
    call(service, "resolve_complaint", complaint["complaint_id"], "GROUNDLESS", "查无实据",
         as_=OFFICER_A)

    filed = filed_event()["payload"]
    assert "reporter" not in filed and filed["complaint_id"] == complaint["complaint_id"]
    cleared = cleared_event()["payload"]
    assert (cleared["cadre_id"], cleared["complaint_id"], cleared["outcome"]) == (
        "L1", complaint["complaint_id"], "GROUNDLESS")


def test_clearing_ends_the_cases_that_investigated_the_untrue_report(service, roster, spy):
    cleared_event = spy("accountability", "cadre_cleared")
    spy("accountability", "complaint_filed")  # a queue for every event type the complaint publishes
    complaint = call(service, "file_complaint", cadre_id="L1", matter="反映不作为", as_=OFFICER_A)
    with pytest.raises(RuleViolation) as caught:  # a case for a complaint names its cadre
        open_case(service, cadre_id="P1", source="COMPLAINT", complaint_id=complaint["complaint_id"])
    assert (caught.value.code, caught.value.rule) == ("CASE_NOT_FOR_COMPLAINT", "C-5")
    decided = verified_case(service, source="COMPLAINT", complaint_id=complaint["complaint_id"])
    call(service, "propose_decision", decided["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
    approve(service, decided["case_id"], as_=OFFICER_B)
    pending = open_case(service, source="COMPLAINT", complaint_id=complaint["complaint_id"])

    call(service, "resolve_complaint", complaint["complaint_id"], "GROUNDLESS", "复查：反映不实",
         as_=OFFICER_A)

    for case in (decided, pending):
        ended = call(service, "get_case", case["case_id"], as_=OFFICER_A)
        assert (ended["status"], ended["outcome"]) == ("CLOSED", "CLEARED")
    assert call(service, "get_case", decided["case_id"], as_=OFFICER_A)["decision"]["cleared"] is True
    # only the case that decided a sanction has something to lift elsewhere
    assert cleared_event()["payload"]["case_ids"] == [decided["case_id"]]
    year = utc_year()
    assert call(service, "demotion_report", year, as_=ORG) == []


def utc_year():
    return utcnow().year


def test_promotion_ban_months_come_from_config(running, deliver_event):
    container = running(AccountabilityService, PROMOTION_BAN_MONTHS={"TRANSFER": "3"})
    deliver_event(container, CadreRegisteredIn, LEADER, "on_cadre_registered")
    case = verified_case(container)
    call(container, "propose_decision", case["case_id"], **SERIOUS_TRANSFER, as_=OFFICER_A)
    decision = approve(container, case["case_id"], as_=OFFICER_B)["decision"]
    approved, ban = (datetime.fromisoformat(decision[k]) for k in ("approved_at", "ban_until"))
    assert (ban.year - approved.year) * 12 + ban.month - approved.month == 3


def test_the_cadre_copy_keeps_the_latest_revision_whatever_the_order(service, roster, deliver, config,
                                                                      mongo_client):
    from services.accountability.events import CadreUpdatedIn

    deliver(CadreUpdatedIn, {**STAFF, "is_leader": True, "revision": 3}, "on_cadre_updated")
    late = deliver(CadreUpdatedIn, {**STAFF, "name": "旧名", "revision": 2}, "on_cadre_updated")
    deliver(CadreUpdatedIn, {}, "on_cadre_updated", envelope=late)  # and again
    copy = db(mongo_client, config).cadres.find_one({"_id": "S1"})
    assert (copy["revision"], copy["is_leader"], copy["name"]) == (3, True, STAFF["name"])
    assert open_case(service, cadre_id="S1")["cadre_id"] == "S1"  # a leader now (C-1)
