"""tolerance as a nameko container on the real broker and store: applications, assessment, rulings
under four eyes, corrective measures (T-7), and what it publishes for accountability, talent and
appraisal. The path through accountability's process is proven in tests/integration."""

from datetime import UTC, datetime, timedelta

import pytest

from services.accountability.events import CadreRegisteredIn as AccountabilityCadreRegisteredIn
from services.accountability.service import AccountabilityService
from services.common.clock import utcnow
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from services.common.storage.store import database_name
from services.tolerance.events import CadreRegisteredIn, CaseOpenedIn
from services.tolerance.rules import CONDITIONS, FACTORS
from services.tolerance.service import ToleranceService
from tests.helpers import actor, call

OFFICER_A = actor("DISCIPLINE_OFFICER", user_id="officer-a")
OFFICER_B = actor("ORG_ADMIN", user_id="officer-b")
SELF = actor("CADRE", user_id="cadre-l1", cadre_id="L1", unit_id="U1")
OTHER_CADRE = actor("CADRE", user_id="cadre-l2", cadre_id="L2", unit_id="U1")
UNIT_ADMIN_U2 = actor("UNIT_ADMIN", user_id="ua-u2", unit_id="U2")

ALL_HOLD = {code: {"holds": True, "evidence": "经核实"} for code in CONDITIONS}
NO_LOSS = {"level": "NONE", "evidence": "审计未发现损失"}
ALL_FACTORS = {code: {"rating": "FAVOURABLE", "note": "研判"} for code in FACTORS}


def later(days=30):
    return (utcnow() + timedelta(days=days)).isoformat()


MEASURE = {"description": "完善招商引资审查流程", "due": None}


@pytest.fixture
def service(running):
    return running(ToleranceService)


@pytest.fixture
def deliver(service, deliver_event):
    def deliver_(schema, payload, handler, envelope=None):
        return deliver_event(service, schema, payload, handler, envelope)
    return deliver_


@pytest.fixture
def accountability(running):
    """The real accountability, which tolerance asks to hold a case before it accepts an application
    for it (C-4)."""
    return running(AccountabilityService)


@pytest.fixture
def roster(deliver, deliver_event, accountability):
    """L1, L2 and L9 known to both services, and a case against L1 opened in accountability and
    known to tolerance: its id."""
    for cadre_id, unit_id in (("L1", "U1"), ("L2", "U1"), ("L9", "U2")):
        cadre = {"cadre_id": cadre_id, "name": "某某", "unit_id": unit_id, "level": "DIVISION",
                 "is_leader": True, "is_principal": False}
        deliver(CadreRegisteredIn, cadre, "on_cadre_registered")
        deliver_event(accountability, AccountabilityCadreRegisteredIn, cadre, "on_cadre_registered")
    case_id = call(accountability, "open_case", "L1", "INSPECTION", ["REFORM_1"], "招商引资推诿",
                   as_=OFFICER_A)["case_id"]
    deliver(CaseOpenedIn, {"case_id": case_id, "cadre_id": "L1", "unit_id": "U1",
                           "source": "INSPECTION", "situations": ["REFORM_1"],
                           "opened_at": datetime(2026, 1, 2, tzinfo=UTC)}, "on_case_opened")
    return case_id


def file(service, as_=SELF, **extra):
    body = {"cadre_id": "L1", "situation": "INVESTMENT_AND_TALENT", "facts": "容缺引进项目出现损失",
            **extra}
    return call(service, "file_application", **body, as_=as_)


def under_review(service, conditions=ALL_HOLD, factors=ALL_FACTORS, loss=NO_LOSS, **extra):
    application = file(service, **extra)
    call(service, "start_review", application["application_id"], as_=OFFICER_A)
    return call(service, "assess", application["application_id"], conditions=conditions,
                factors=factors, loss=loss, as_=OFFICER_A)


def approve(service, application_id, as_=OFFICER_B):
    proposal = call(service, "get_application", application_id, as_=as_)["proposal"] or {}
    return call(service, "approve_ruling", application_id, proposal.get("proposal_id") or "none",
                as_=as_)


def exempt(service, application_id, **extra):
    call(service, "propose_ruling", application_id, outcome="EXEMPTED", reasoning="符合容错情形",
         measures=[{**MEASURE, "due": later()}], as_=OFFICER_A, **extra)
    return approve(service, application_id)


class TestApplications:
    def test_a_cadre_files_for_themselves_and_reads_it(self, service, roster):
        application = file(service, case_id=roster)
        assert (application["status"], application["case_id"], application["filed_by"]) == (
            "FILED", roster, "cadre-l1")
        as_applicant = call(service, "get_application", application["application_id"], as_=SELF)
        # the review's working papers are the officers'
        assert {"conditions", "factors", "proposal", "loss"}.isdisjoint(as_applicant)
        assert "conditions" in call(service, "get_application", application["application_id"],
                                    as_=OFFICER_A)
        assert [a["application_id"] for a in call(service, "list_applications", cadre_id="L1",
                                                  as_=SELF)] == [application["application_id"]]

    def test_a_cadre_neither_files_for_nor_reads_another(self, service, roster):
        with pytest.raises(Forbidden):
            file(service, as_=OTHER_CADRE)
        application = file(service)
        with pytest.raises(Forbidden):
            call(service, "get_application", application["application_id"], as_=OTHER_CADRE)
        with pytest.raises(Forbidden):
            call(service, "get_application", application["application_id"], as_=UNIT_ADMIN_U2)

    @pytest.mark.parametrize("body, error, code", [
        ({"situation": "LUCK"}, InvalidInput, "INVALID_INPUT"),
        ({"situation": "OTHER_APPROVED"}, RuleViolation, "REFERENCE_REQUIRED"),
        ({"case_id": "NOCASE"}, NotFound, "CASE_NOT_FOUND"),
        ({"cadre_id": "NOBODY"}, NotFound, "CADRE_NOT_FOUND"),
        ({"facts": "  "}, InvalidInput, "INVALID_INPUT"),
    ])
    def test_bad_applications_are_refused_and_not_written(self, service, roster, config, mongo_client,
                                                         body, error, code):
        with pytest.raises(error) as caught:
            file(service, as_=OFFICER_A, **body)
        assert caught.value.code == code
        assert mongo_client[database_name(config, "tolerance")].applications.count_documents({}) == 0

    def test_other_approved_with_its_reference_is_accepted(self, service, roster):
        application = file(service, situation="OTHER_APPROVED", approval_reference="武发〔2018〕12号")
        assert application["approval_reference"] == "武发〔2018〕12号"

    def test_a_case_of_another_cadre_and_a_second_pending_application_are_refused(self, service, roster):
        with pytest.raises(NotFound) as caught:  # as if there were no such case
            file(service, as_=OFFICER_A, cadre_id="L2", case_id=roster)
        assert (caught.value.code, caught.value.rule) == ("CASE_NOT_FOUND", "T-1")
        file(service, case_id=roster)
        with pytest.raises(Conflict) as caught:
            file(service, case_id=roster)
        assert caught.value.code == "APPLICATION_PENDING"

    def test_filing_is_published_for_accountability(self, service, roster, spy):
        filed = spy("tolerance", "application_filed")
        application = file(service, case_id=roster)
        payload = filed()["payload"]
        assert (payload["application_id"], payload["case_id"], payload["cadre_id"]) == (
            application["application_id"], roster, "L1")


class TestAssessmentAndRuling:
    def test_the_whole_path_keeps_who_when_and_why(self, service, roster, spy):
        ruled_event = spy("tolerance", "ruling_made")
        application = under_review(service, case_id=roster)
        assert call(service, "allowed_outcomes", application["application_id"],
                    as_=OFFICER_A)["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-3", "T-4"]},
                                                 {"outcome": "MITIGATED", "rules": ["T-4"]}]
        ruled = exempt(service, application["application_id"])

        assert (ruled["status"], ruled["ruling"]["outcome"], ruled["ruling"]["approved_by"]) == (
            "RULED", "EXEMPTED", "officer-b")
        assert [(h["from"], h["to"], h["by"]) for h in ruled["history"]] == [
            (None, "FILED", "cadre-l1"), ("FILED", "UNDER_REVIEW", "officer-a"),
            ("UNDER_REVIEW", "UNDER_REVIEW", "officer-a"), ("UNDER_REVIEW", "RULED", "officer-b")]
        assert ruled["conditions"]["DILIGENT"]["by"] == "officer-a"
        payload = ruled_event()["payload"]
        assert (payload["outcome"], payload["case_id"], payload["cadre_id"]) == ("EXEMPTED", roster, "L1")
        assert [m["measure_id"] for m in payload["measures"]] == [
            m["measure_id"] for m in ruled["measures"]]

    def test_a_ruling_without_all_six_factors_is_refused(self, service, roster):
        partial = dict(list(ALL_FACTORS.items())[:5])
        application = under_review(service, factors=partial)
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_ruling", application["application_id"], outcome="EXEMPTED",
                 reasoning="x", measures=[{**MEASURE, "due": later()}], as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("ASSESSMENT_INCOMPLETE", "T-5")
        assert caught.value.details["missing_factors"] == ["LOSS_RECOVERY"]
        assert call(service, "get_application", application["application_id"],
                    as_=OFFICER_A)["proposal"] is None

    def test_a_red_line_allows_only_rejection(self, service, roster):
        application = under_review(service, conditions={
            **ALL_HOLD, "NO_PRIVATE_GAIN": {"holds": False, "evidence": "收受好处"}})
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_ruling", application["application_id"], outcome="MITIGATED",
                 reasoning="x", measures=[{**MEASURE, "due": later()}], as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("OUTCOME_NOT_ALLOWED", "T-2")
        call(service, "propose_ruling", application["application_id"], outcome="REJECTED",
             reasoning="触碰红线", as_=OFFICER_A)
        assert approve(service, application["application_id"])["ruling"]["rules"] == ["T-2"]

    def test_the_proposer_cannot_approve_and_a_replaced_proposal_is_not_approved(self, service, roster):
        application = under_review(service)
        read = call(service, "propose_ruling", application["application_id"], outcome="MITIGATED",
                    reasoning="从轻", measures=[{**MEASURE, "due": later()}], as_=OFFICER_A)["proposal"]
        with pytest.raises(RuleViolation) as caught:
            approve(service, application["application_id"], as_=OFFICER_A)
        assert caught.value.code == "FOUR_EYES"
        exempt_proposal = call(service, "propose_ruling", application["application_id"],
                               outcome="EXEMPTED", reasoning="免责",
                               measures=[{**MEASURE, "due": later()}], as_=OFFICER_A)
        assert exempt_proposal["status"] == "UNDER_REVIEW"
        with pytest.raises(Conflict) as caught:
            call(service, "approve_ruling", application["application_id"], read["proposal_id"],
                 as_=OFFICER_B)
        assert caught.value.code == "PROPOSAL_CHANGED"

    def test_an_assessment_changed_after_the_proposal_is_asked_again(self, service, roster):
        application = under_review(service)
        call(service, "propose_ruling", application["application_id"], outcome="EXEMPTED",
             reasoning="x", measures=[{**MEASURE, "due": later()}], as_=OFFICER_A)
        call(service, "assess", application["application_id"], conditions={
            "NO_MALICIOUS_COLLUSION": {"holds": False, "evidence": "与他人串通"}}, as_=OFFICER_A)
        with pytest.raises(RuleViolation) as caught:
            approve(service, application["application_id"])
        assert caught.value.rule == "T-2"

    def test_a_ruled_application_is_not_assessed_again(self, service, roster):
        application = under_review(service)
        exempt(service, application["application_id"])
        with pytest.raises(Conflict) as caught:
            call(service, "assess", application["application_id"], conditions=ALL_HOLD, as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("APPLICATION_STATE", "T-1")

    def test_an_exemption_without_measures_is_refused(self, service, roster):
        application = under_review(service)
        with pytest.raises(RuleViolation) as caught:
            call(service, "propose_ruling", application["application_id"], outcome="EXEMPTED",
                 reasoning="x", as_=OFFICER_A)
        assert (caught.value.code, caught.value.rule) == ("MEASURES_REQUIRED", "T-7")


class TestMeasures:
    def test_measures_are_tracked_to_done_and_overdue_ones_listed(self, service, roster, config,
                                                                 mongo_client):
        application = under_review(service)
        ruled = exempt(service, application["application_id"])
        [measure] = ruled["measures"]
        assert call(service, "overdue_measures", as_=OFFICER_A) == []

        # as if its deadline had passed
        applications = mongo_client[database_name(config, "tolerance")].applications
        applications.update_one({"_id": application["application_id"]}, {"$set": {
            "measures.0.due": utcnow() - timedelta(days=3)}})
        [overdue] = call(service, "overdue_measures", as_=OFFICER_A)
        assert (overdue["measure_id"], overdue["cadre_id"], overdue["days_overdue"]) == (
            measure["measure_id"], "L1", 3)

        done = call(service, "complete_measure", application["application_id"], measure["measure_id"],
                    "流程已修订", as_=OFFICER_A)
        assert (done["measures"][0]["status"], done["measures"][0]["done_by"]) == ("DONE", "officer-a")
        assert call(service, "overdue_measures", as_=OFFICER_A) == []
        with pytest.raises(Conflict) as caught:
            call(service, "complete_measure", application["application_id"], measure["measure_id"],
                 "again", as_=OFFICER_A)
        assert caught.value.code == "MEASURE_DONE"
        with pytest.raises(NotFound):
            call(service, "complete_measure", application["application_id"], "nomeasure", "x",
                 as_=OFFICER_A)
