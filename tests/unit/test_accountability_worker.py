"""Accountability's service logic without RabbitMQ or a store (nameko's worker_factory,
tests/unit/workers.py): what each command and event decides, refuses and publishes (DOMAIN.md C, A-4)."""

from datetime import UTC, date, datetime

import pytest

from services.accountability.events import (
    ApplicationFiledIn,
    RulingMadeIn,
    SelectionStatusChangedIn,
    UnitGradedIn,
)
from services.accountability.service import AccountabilityService
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from services.common.messaging.consumer import PermanentFailure
from tests.unit.workers import Worker, received

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
OFFICER_A = {"role": "DISCIPLINE_OFFICER", "user_id": "officer-a"}
OFFICER_B = {"role": "DISCIPLINE_OFFICER", "user_id": "officer-b"}


@pytest.fixture
def worker(frozen_clock):
    worker = Worker(AccountabilityService, **OFFICER_A)
    worker.put("cadres",
               {"_id": "L1", "name": "区长", "unit_id": "JA", "is_leader": True, "is_principal": True},
               {"_id": "L2", "name": "副区长", "unit_id": "JA", "is_leader": True,
                "is_principal": False},
               {"_id": "S1", "name": "科员", "unit_id": "JA", "is_leader": False,
                "is_principal": False})
    return worker


def opened(worker, cadre_id="L1", **extra):
    return worker.service.open_case(**{"cadre_id": cadre_id, "source": "INSPECTION",
                                       "situations": ["REFORM_1"], "summary": "推诿扯皮", **extra})


def verified(worker, cadre_id="L1"):
    case_id = opened(worker, cadre_id)["case_id"]
    worker.service.start_investigation(case_id=case_id)
    worker.service.verify_case(case_id=case_id, findings="属实")
    return case_id


def decision(severity="SERIOUS", sanctions=("TRANSFER",), disciplinary=None):
    return {"severity": severity, "public_outcry": False, "bad_impact": False,
            "sanctions": list(sanctions), "disciplinary": disciplinary, "reason": "依规处理"}


def ruling(case_id, outcome, cadre_id="L1", application_id="T1"):
    return received(RulingMadeIn, {"application_id": application_id, "cadre_id": cadre_id,
                                   "case_id": case_id, "outcome": outcome, "ruled_at": NOW})


@pytest.mark.parametrize("extra,code,rule", [
    ({"cadre_id": "S1"}, "NOT_A_LEADING_CADRE", "C-1"),
    ({"situations": []}, "SITUATION_REQUIRED", "C-1"),
    ({"source": "APPRAISAL_FAIL"}, "APPRAISAL_FAIL_BY_EVENT", "A-4"),
])
def test_a_case_the_rules_refuse_is_not_opened(worker, extra, code, rule):
    with pytest.raises(RuleViolation) as refused:
        opened(worker, **extra)
    assert (refused.value.code, refused.value.rule) == (code, rule)
    assert worker.published() == []


def test_an_opened_case_is_announced_and_moves_only_along_its_states(worker):
    case = opened(worker)
    assert (case["status"], case["proposal"], case["decision"]) == ("OPEN", None, None)
    [event] = worker.published("cases")
    assert (event["event_type"], event["payload"]["cadre_id"]) == ("accountability.case_opened", "L1")
    with pytest.raises(Conflict) as refused:
        worker.service.verify_case(case_id=case["case_id"], findings="x")
    assert (refused.value.code, refused.value.rule) == ("CASE_STATE", "C-1")
    with pytest.raises(NotFound):
        worker.service.start_investigation(case_id="nope")


def test_a_decision_takes_two_officers_and_publishes_the_sanction_with_its_ban(worker):
    case_id = verified(worker)
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_decision(case_id=case_id, **decision(sanctions=["ADMONISHMENT"]))
    assert (refused.value.code, refused.value.rule) == ("SANCTION_NOT_ALLOWED", "C-2")
    proposal = worker.service.propose_decision(case_id=case_id, **decision())["proposal"]
    with pytest.raises(RuleViolation) as refused:
        worker.service.approve_decision(case_id=case_id, proposal_id=proposal["proposal_id"])
    assert refused.value.code == "FOUR_EYES"

    worker.as_(**OFFICER_B)
    decided = worker.service.approve_decision(case_id=case_id, proposal_id=proposal["proposal_id"])
    assert (decided["status"], decided["decision"]["year"]) == ("DECIDED", 2026)
    sanction = worker.published("cases")[-1]
    assert sanction["event_type"] == "accountability.sanction_decided"
    assert sanction["payload"]["organisational_handling"] is True
    assert sanction["payload"]["ban_until"].startswith("2027-06-15")  # TRANSFER: 12 months (C-7)


def test_a_filed_tolerance_application_holds_the_case_until_its_ruling(worker):
    case_id = verified(worker)
    filed = received(ApplicationFiledIn, {"application_id": "T1", "cadre_id": "L1",
                                          "case_id": case_id, "filed_at": NOW})
    worker.service.on_application_filed(filed)
    worker.service.on_application_filed(filed)  # redelivered: changes nothing
    assert worker.stored("cases", case_id)["pending_applications"] == ["T1"]
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_decision(case_id=case_id, **decision())
    assert (refused.value.code, refused.value.rule) == ("CASE_ON_HOLD", "C-4")

    worker.service.on_ruling_made(ruling(case_id, "MITIGATED"))
    case = worker.service.get_case(case_id=case_id)
    assert (case["pending_applications"], case["mitigated"]) == ([], True)
    allowed = worker.service.allowed_sanctions(case_id=case_id, severity="SERIOUS",
                                               public_outcry=False, bad_impact=False)["allowed"]
    # C-4 (v2): light sanctions, one or more, instead of organisational handling
    assert {tuple(a["sanctions"]) for a in allowed} == {
        ("CRITICISM_EDUCATION",), ("CIRCULATED_CRITICISM",), ("ADMONISHMENT",),
        ("CIRCULATED_CRITICISM", "CRITICISM_EDUCATION"), ("ADMONISHMENT", "CIRCULATED_CRITICISM"),
        ("ADMONISHMENT", "CRITICISM_EDUCATION"),
        ("ADMONISHMENT", "CIRCULATED_CRITICISM", "CRITICISM_EDUCATION")}


def test_an_exempted_ruling_closes_the_case_once(worker):
    case_id = verified(worker)
    exempted = ruling(case_id, "EXEMPTED")
    worker.service.on_ruling_made(exempted)
    worker.service.on_ruling_made(exempted)
    case = worker.service.get_case(case_id=case_id)
    assert (case["status"], case["outcome"], len(case["rulings"])) == ("CLOSED", "EXEMPTED", 1)
    assert worker.types("cases").count("accountability.case_closed") == 1


def test_a_ruling_about_another_cadre_is_a_permanent_failure(worker):
    case_id = verified(worker)
    with pytest.raises(PermanentFailure):
        worker.service.on_ruling_made(ruling(case_id, "EXEMPTED", cadre_id="L2"))
    assert worker.service.get_case(case_id=case_id)["status"] == "VERIFIED"


def test_a_unit_graded_fail_opens_one_case_per_principal_leader_once(worker):
    graded = received(UnitGradedIn, {"unit_id": "JA", "year": 2025, "grade": "FAIL",
                                       "graded_at": NOW})
    worker.service.on_unit_graded(graded)
    worker.service.on_unit_graded(graded)
    [case] = worker.service.list_cases()
    assert (case["cadre_id"], case["source"]) == ("L1", "APPRAISAL_FAIL")
    worker.service.on_unit_graded(received(UnitGradedIn, {"unit_id": "JA", "year": 2025,
                                                          "grade": "PASS", "graded_at": NOW}))
    assert len(worker.service.list_cases()) == 1


def test_a_complaint_against_a_cadre_under_selection_is_expedited(worker):
    before = worker.service.file_complaint(cadre_id="L2", matter="反映推诿",
                                           reporter={"name": "某某", "contact": "123"})
    assert before["expedited"] is False and before["anonymous"] is False
    worker.service.on_selection_status_changed(received(SelectionStatusChangedIn, {
        "cadre_id": "L2", "status": "IN_SELECTION", "changed_at": NOW}))
    assert worker.stored("complaints", before["complaint_id"])["expedited"] is True
    after = worker.service.file_complaint(cadre_id="L2", matter="再次反映")
    assert (after["expedited"], after["anonymous"], after["reporter"]) == (True, True, None)
    assert (after["due_at"][:10], before["due_at"][:10]) == ("2026-06-30", "2026-08-14")


def test_the_reporter_is_shown_to_discipline_officers_only(worker):
    complaint = worker.service.file_complaint(cadre_id="L2", matter="反映", reporter={
        "name": "某某", "contact": "123"})
    assert complaint["reporter"]["name"] == "某某"
    worker.as_(role="ORG_ADMIN", user_id="admin")
    assert "reporter" not in worker.service.get_complaint(complaint_id=complaint["complaint_id"])


def test_a_groundless_complaint_clears_the_cadre_and_the_cases_it_decided(worker):
    complaint = worker.service.file_complaint(cadre_id="L1", matter="反映问题")
    case_id = opened(worker, complaint_id=complaint["complaint_id"], source="COMPLAINT")["case_id"]
    worker.service.start_investigation(case_id=case_id)
    worker.service.verify_case(case_id=case_id, findings="查实")
    proposal = worker.service.propose_decision(case_id=case_id, **decision())["proposal"]
    worker.as_(**OFFICER_B).service.approve_decision(case_id=case_id,
                                                     proposal_id=proposal["proposal_id"])
    resolved = worker.service.resolve_complaint(complaint_id=complaint["complaint_id"],
                                                outcome="GROUNDLESS", reason="查无实据")
    assert (resolved["status"], resolved["outcome"]) == ("RESOLVED", "GROUNDLESS")
    case = worker.service.get_case(case_id=case_id)
    assert (case["outcome"], case["decision"]["cleared"]) == ("CLEARED", True)
    cleared = worker.published("complaints")[-1]
    assert cleared["event_type"] == "accountability.cadre_cleared"
    assert cleared["payload"]["case_ids"] == [case_id]
    with pytest.raises(Conflict) as refused:
        worker.service.resolve_complaint(complaint_id=complaint["complaint_id"],
                                         outcome="SUBSTANTIATED", reason="x",
                                         situations=["REFORM_1"])
    assert (refused.value.code, refused.value.rule) == ("COMPLAINT_RESOLVED", "C-5")


def held(worker, case_id, application_id="T1", situation="REFORM_EXPLORATION", cadre_id="L1"):
    return worker.service.hold_for_application(case_id=case_id, application_id=application_id,
                                               cadre_id=cadre_id, situation=situation)


def test_tolerance_holds_the_case_from_the_filing(worker):
    """C-4 (v2): the hold is placed before the application is accepted; placed again (a retry) it
    changes nothing; the application's own event then adds nothing."""
    case_id = verified(worker)
    assert held(worker, case_id) == {"case_id": case_id, "application_id": "T1", "held": True,
                                     "status": "VERIFIED", "not_held_because": None}
    assert held(worker, case_id)["held"] is True
    worker.service.on_application_filed(received(ApplicationFiledIn, {
        "application_id": "T1", "cadre_id": "L1", "case_id": case_id, "case_held": True,
        "filed_at": NOW}))
    assert worker.stored("cases", case_id)["pending_applications"] == ["T1"]
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_decision(case_id=case_id, **decision())
    assert (refused.value.code, refused.value.rule) == ("CASE_ON_HOLD", "C-4")


def test_a_case_decided_before_the_filing_is_not_held(worker):
    case_id = verified(worker)
    worker.service.propose_decision(case_id=case_id, **decision())
    proposal_id = worker.service.get_case(case_id=case_id)["proposal"]["proposal_id"]
    worker.as_(**OFFICER_B).service.approve_decision(case_id=case_id, proposal_id=proposal_id)
    answer = held(worker, case_id)
    assert (answer["held"], answer["status"], answer["not_held_because"]) == (False, "DECIDED", "DECIDED")
    worker.service.on_application_filed(received(ApplicationFiledIn, {
        "application_id": "T1", "cadre_id": "L1", "case_id": case_id, "case_held": False,
        "filed_at": NOW}))
    assert worker.stored("cases", case_id).get("pending_applications") in (None, [])


def test_re_filing_holds_again_only_for_another_situation(worker):
    """C-4 (v2): no endless holds by re-filing the same situation once it was rejected."""
    case_id = verified(worker)
    assert held(worker, case_id, "T1", "REFORM_EXPLORATION")["held"] is True
    worker.service.on_ruling_made(ruling(case_id, "REJECTED", application_id="T1"))
    again = held(worker, case_id, "T2", "REFORM_EXPLORATION")
    assert (again["held"], again["not_held_because"]) == (False, "SAME_SITUATION_REJECTED")
    assert held(worker, case_id, "T3", "LEGACY_PROBLEMS")["held"] is True
    assert worker.stored("cases", case_id)["pending_applications"] == ["T3"]


def test_a_hold_for_another_cadre_or_out_of_scope_is_refused(worker):
    case_id = verified(worker)
    with pytest.raises(Conflict) as refused:
        held(worker, case_id, cadre_id="L2")
    assert (refused.value.code, refused.value.rule) == ("CASE_OF_ANOTHER_CADRE", "C-4")
    worker.as_(role="CADRE", user_id="l2", cadre_id="L2", unit_id="JA")
    with pytest.raises(Forbidden):
        held(worker, case_id, cadre_id="L2")
    worker.as_(role="CADRE", user_id="l1", cadre_id="L1", unit_id="JA")
    assert held(worker, case_id)["held"] is True  # the cadre filing for their own case


def test_a_finding_that_discipline_is_due_requires_a_disciplinary_sanction(worker):
    """C-2 (v2): recorded at verification; DISCIPLINARY required, alone or with the handling."""
    case_id = opened(worker)["case_id"]
    worker.service.start_investigation(case_id=case_id)
    verified_case = worker.service.verify_case(case_id=case_id, findings="属实，应追究纪律责任",
                                               discipline_due=True)
    assert verified_case["discipline_due"] is True
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_decision(case_id=case_id, **decision())
    assert (refused.value.code, refused.value.rule) == ("SANCTION_NOT_ALLOWED", "C-2")
    terms = {"text": "党内警告", "ban_months": 12}
    proposed = worker.service.propose_decision(case_id=case_id, **decision(
        sanctions=("TRANSFER", "DISCIPLINARY"), disciplinary=terms))
    assert sorted(proposed["proposal"]["sanctions"]) == ["DISCIPLINARY", "TRANSFER"]


def test_without_discipline_due_a_disciplinary_sanction_is_refused(worker):
    case_id = verified(worker)
    assert worker.service.get_case(case_id=case_id)["discipline_due"] is False
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_decision(case_id=case_id, **decision(
            sanctions=("TRANSFER", "DISCIPLINARY"), disciplinary={"text": "党内警告", "ban_months": 12}))
    assert (refused.value.code, refused.value.rule) == ("SANCTION_NOT_ALLOWED", "C-2")


def test_an_appraisal_fail_case_does_not_take_a_discipline_finding():
    """C-3 decides APPRAISAL_FAIL cases within its own ladder, which has no disciplinary sanction."""
    from services.accountability import decide

    case = {"_id": "K1", "cadre_id": "L1", "source": "APPRAISAL_FAIL", "status": "INVESTIGATING"}
    with pytest.raises(RuleViolation) as refused:
        decide.verify(case, findings="考核不合格属实", discipline_due=True, now=NOW, by="officer-a")
    assert (refused.value.code, refused.value.rule) == ("DISCIPLINE_NOT_IN_LADDER", "C-3")
    assert decide.verify(case, findings="考核不合格属实", discipline_due=False, now=NOW,
                         by="officer-a").set["status"] == "VERIFIED"


def test_a_mitigation_after_the_decision_is_recorded_and_reported_not_applied(worker):
    """C-4 (v2): the decided sanction stands; the late MITIGATED is on the case and announced."""
    case_id = verified(worker)
    worker.service.propose_decision(case_id=case_id, **decision())
    proposal_id = worker.service.get_case(case_id=case_id)["proposal"]["proposal_id"]
    worker.as_(**OFFICER_B).service.approve_decision(case_id=case_id, proposal_id=proposal_id)
    late = ruling(case_id, "MITIGATED")
    worker.service.on_ruling_made(late)
    worker.service.on_ruling_made(late)  # redelivered: recorded once
    case = worker.service.get_case(case_id=case_id)
    assert (case["status"], case["decision"]["sanctions"], case["mitigated"]) == (
        "DECIDED", ["TRANSFER"], False)
    assert [m["application_id"] for m in case["late_mitigations"]] == ["T1"]
    assert case["history"][-1]["action"] == "late_mitigation"
    reported = [e for e in worker.published("cases")
                if e["event_type"] == "accountability.late_mitigation_recorded"]
    assert [(e["payload"]["application_id"], e["payload"]["sanctions"]) for e in reported] == [
        ("T1", ["TRANSFER"])]


def test_a_false_accusation_is_referred_by_an_event_naming_the_reporter(worker):
    """C-5 (v2): 诬告陷害 referred to discipline inspection, and the cadre cleared."""
    complaint = worker.service.file_complaint(cadre_id="L2", matter="捏造事实", reporter={
        "name": "某某", "contact": "13800000000"})
    worker.service.resolve_complaint(complaint_id=complaint["complaint_id"], outcome="FALSE_ACCUSATION",
                                     reason="经查系诬告")
    published = {e["event_type"]: e["payload"] for e in worker.published("complaints")}
    referred = published["accountability.false_accusation_referred"]
    assert (referred["complaint_id"], referred["cadre_id"], referred["reporter"]["name"],
            referred["reason"]) == (complaint["complaint_id"], "L2", "某某", "经查系诬告")
    assert "accountability.cadre_cleared" in published


def test_a_repeat_of_a_complaint_found_groundless_cites_it(worker):
    """C-5 (v2): a repeat of any concluded matter -- here a complaint found groundless -- is closed
    REPEAT without reinvestigation, citing it."""
    first = worker.service.file_complaint(cadre_id="L1", matter="反映问题")
    worker.service.resolve_complaint(complaint_id=first["complaint_id"], outcome="GROUNDLESS",
                                     reason="查无实据")
    again = worker.service.file_complaint(cadre_id="L1", matter="再次反映同一问题")
    resolved = worker.service.resolve_complaint(complaint_id=again["complaint_id"], outcome="REPEAT",
                                                reason="已查核清楚", repeat_of=first["complaint_id"])
    assert (resolved["outcome"], resolved["repeat_of"], resolved["repeat_of_kind"]) == (
        "REPEAT", first["complaint_id"], "complaint")
    other = worker.service.file_complaint(cadre_id="L2", matter="反映")
    with pytest.raises(RuleViolation) as refused:  # not this cadre's matter
        worker.service.resolve_complaint(complaint_id=other["complaint_id"], outcome="REPEAT",
                                         reason="x", repeat_of=first["complaint_id"])
    assert refused.value.code == "NOT_A_REPEAT"


def test_officers_list_open_complaints_by_deadline(worker, frozen_clock):
    from datetime import timedelta

    from services.common.clock import CLOCK

    late = worker.service.file_complaint(cadre_id="L1", matter="反映一")
    CLOCK.set(NOW + timedelta(days=1), running=False)
    soon = worker.service.file_complaint(cadre_id="L2", matter="反映二")
    done = worker.service.file_complaint(cadre_id="L2", matter="反映三")
    worker.service.resolve_complaint(complaint_id=done["complaint_id"], outcome="GROUNDLESS",
                                     reason="查无实据")
    CLOCK.set(NOW + timedelta(days=60, hours=12), running=False)  # the first is past its 60 days
    listed = worker.service.open_complaints()
    assert [(c["complaint_id"], c["overdue"]) for c in listed] == [
        (late["complaint_id"], True), (soon["complaint_id"], False)]


def test_a_leader_moved_down_by_a_posting_counts_in_the_yearly_report_once(worker):
    """C-6 (v2): downward postings from talent beside the handlings decided here; officers see names,
    the published copy counts."""
    from services.accountability.events import PostingChangedIn

    down = received(PostingChangedIn, {"cadre_id": "L2", "from_unit_id": "JA", "changed_at": NOW,
                                       "direction": "DOWN", "down_cause": "UNFIT_FOR_POST",
                                       "is_leader": True, "name": "副区长"})
    worker.service.on_posting_changed(down)
    worker.service.on_posting_changed(down)  # redelivered: counted once
    worker.service.on_posting_changed(received(PostingChangedIn, {  # lateral: not a move down
        "cadre_id": "L1", "from_unit_id": "JA", "changed_at": NOW, "direction": "LATERAL",
        "is_leader": True, "name": "区长"}))
    assert worker.service.demotion_report(year=2026) == [
        {"year": 2026, "unit_id": "JA", "handling": "POSTING_UNFIT_FOR_POST", "count": 1,
         "cadres": [{"cadre_id": "L2", "name": "副区长"}]}]
    assert worker.service.demotion_report(year=2026, published=True) == [
        {"year": 2026, "unit_id": "JA", "handling": "POSTING_UNFIT_FOR_POST", "count": 1}]


@pytest.mark.parametrize("exists", [False, True])
def test_a_hold_whose_filing_never_completed_is_settled_with_tolerance(worker, exists):
    """C-4: tolerance died between the hold and its own write. Past HOLD_SETTLE_SECONDS the deciding
    officer's call asks tolerance: no such application, the hold ends; one, it is confirmed."""
    from datetime import timedelta

    from services.common.clock import CLOCK

    case_id = verified(worker)
    assert held(worker, case_id)["held"] is True
    worker.service.tolerance.application_exists.return_value = {"application_id": "T1",
                                                                "exists": exists}
    CLOCK.set(NOW + timedelta(seconds=299), running=False)  # within the margin: not asked
    with pytest.raises(RuleViolation):
        worker.service.propose_decision(case_id=case_id, **decision())
    worker.service.tolerance.application_exists.assert_not_called()
    CLOCK.set(NOW + timedelta(seconds=301), running=False)
    if exists:
        with pytest.raises(RuleViolation) as refused:
            worker.service.propose_decision(case_id=case_id, **decision())
        assert refused.value.code == "CASE_ON_HOLD"
        assert worker.stored("cases", case_id)["holds"][0]["confirmed"] is True
    else:
        proposed = worker.service.propose_decision(case_id=case_id, **decision())
        assert proposed["pending_applications"] == []
        assert proposed["history"][-2]["action"] == "hold_released"
    worker.service.tolerance.application_exists.assert_called_once_with(application_id="T1")


def test_a_hold_confirmed_by_the_application_s_event_is_not_asked_about(worker):
    from datetime import timedelta

    from services.common.clock import CLOCK

    case_id = verified(worker)
    held(worker, case_id)
    worker.service.on_application_filed(received(ApplicationFiledIn, {
        "application_id": "T1", "cadre_id": "L1", "case_id": case_id, "case_held": True,
        "filed_at": NOW}))
    CLOCK.set(NOW + timedelta(hours=1), running=False)
    with pytest.raises(RuleViolation):
        worker.service.propose_decision(case_id=case_id, **decision())
    worker.service.tolerance.application_exists.assert_not_called()


def outside(worker, **extra):
    return worker.service.record_outside_sanction(**{
        "cadre_id": "S1", "sanctions": ["REMOVAL"], "authority": "市纪委监委",
        "reference": "武纪发〔2026〕12号", "decided_on": date(2026, 3, 2), "summary": "免职处理",
        **extra})


def test_a_sanction_decided_outside_is_recorded_decided_and_restricts_from_its_own_day(worker):
    case = outside(worker)  # any cadre: discipline inspection's reach is not C-1's
    assert (case["source"], case["status"], case["decision"]["reference"]) == (
        "OUTSIDE_DECISION", "DECIDED", "武纪发〔2026〕12号")
    [event] = worker.published("cases")
    payload = event["payload"]
    assert (event["event_type"], payload["source"], payload["reference"], payload["year"]) == (
        "accountability.sanction_decided", "OUTSIDE_DECISION", "武纪发〔2026〕12号", 2026)
    # C-7: REMOVAL -- no leadership post for 12 months, nothing higher for 24, from 2 March (Beijing)
    assert payload["decided_at"].startswith("2026-03-01T16:00:00")
    assert [(r["kind"], r["until"][:10]) for r in payload["restrictions"]] == [
        ("NO_LEADERSHIP_POST", "2027-03-01"), ("NO_HIGHER_POST", "2028-03-01")]
    assert payload["organisational_handling"] is True

    assert outside(worker)["case_id"] == case["case_id"]  # retried: the same record, no new event
    assert len(worker.published("cases")) == 1
    with pytest.raises(Conflict) as refused:
        outside(worker, sanctions=["DEMOTION"])
    assert (refused.value.code, refused.value.rule) == ("OUTSIDE_SANCTION_EXISTS", "C-7")


@pytest.mark.parametrize("extra,error", [
    ({"sanctions": ["DISCIPLINARY"]}, InvalidInput),  # its own term is needed
    ({"decided_on": date(2026, 6, 16)}, InvalidInput),  # not yet decided
    ({"cadre_id": "NOBODY"}, NotFound),
])
def test_an_outside_sanction_is_refused_without_what_it_needs(worker, extra, error):
    with pytest.raises(error):
        outside(worker, reference="武纪发〔2026〕13号", **extra)
    assert worker.published("cases") == []


def test_a_complaint_filed_again_under_its_key_is_the_same_complaint_and_one_event(worker):
    """Safe retries (services/common/idempotency.py): same key, same body -> the first answer."""
    first = worker.service.file_complaint(cadre_id="L1", matter="推诿扯皮", client_key="k-1")
    again = worker.service.file_complaint(cadre_id="L1", matter="推诿扯皮", client_key="k-1")
    assert again == first
    assert len(worker.published("complaints")) == 1
    with pytest.raises(Conflict) as refused:  # the same key for another request
        worker.service.file_complaint(cadre_id="L1", matter="另一件事", client_key="k-1")
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    other = worker.service.file_complaint(cadre_id="L1", matter="推诿扯皮", client_key="k-2")
    assert other["complaint_id"] != first["complaint_id"]  # a new key is a new request


def test_a_key_is_the_caller_s_own_and_a_refusal_keeps_no_key(worker):
    with pytest.raises(NotFound):
        worker.service.open_case(cadre_id="NOBODY", source="INSPECTION", situations=["REFORM_1"],
                                 summary="x", client_key="k-3")
    worker.put("cadres", {"_id": "NOBODY", "name": "新干部", "unit_id": "JA", "is_leader": True,
                          "is_principal": False})
    case = worker.service.open_case(cadre_id="NOBODY", source="INSPECTION",
                                    situations=["REFORM_1"], summary="x", client_key="k-3")
    assert case["status"] == "OPEN"  # asked again, not answered the refusal
    worker.as_(**OFFICER_B)
    again = worker.service.open_case(cadre_id="NOBODY", source="INSPECTION",
                                     situations=["REFORM_1"], summary="x", client_key="k-3")
    assert again["case_id"] != case["case_id"]  # officer B's key k-3 is not officer A's


def test_a_request_still_running_under_its_key_is_not_run_twice(worker):
    from services.common import idempotency
    key = idempotency.key_id("officer-a", "file_complaint", "k-4")
    arguments = {"cadre_id": "L1", "matter": "推诿扯皮"}
    worker.put("client_keys", {"_id": key, "key_id": key, "state": "PENDING", "claim": "other",
                               "fingerprint": idempotency.fingerprint(arguments), "at": NOW,
                               "answer": {}, "version": 1})
    with pytest.raises(Conflict) as refused:
        worker.service.file_complaint(client_key="k-4", **arguments)
    assert refused.value.code == "IDEMPOTENCY_KEY_IN_USE"
    assert worker.published("complaints") == []


def test_a_change_at_a_version_no_longer_current_is_refused_and_changes_nothing(worker):
    """If-Match (expected_version): the version is checked with the change, under the record's
    version -- a stale one is 412 PRECONDITION_FAILED."""
    from services.common.errors import PreconditionFailed
    case = opened(worker)
    assert case["version"] == 1
    moved = worker.service.start_investigation(case_id=case["case_id"], expected_version=1)
    assert (moved["status"], moved["version"]) == ("INVESTIGATING", 2)
    with pytest.raises(PreconditionFailed) as refused:
        worker.service.verify_case(case_id=case["case_id"], findings="属实", expected_version=1)
    assert (refused.value.code, refused.value.details) == (
        "PRECONDITION_FAILED", {"expected": 1, "current": 2})
    assert worker.service.get_case(case_id=case["case_id"])["status"] == "INVESTIGATING"
    with pytest.raises(InvalidInput):
        worker.service.verify_case(case_id=case["case_id"], findings="属实", expected_version="2")
