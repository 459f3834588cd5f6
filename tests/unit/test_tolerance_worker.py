"""Tolerance's service logic without RabbitMQ or a store (nameko's worker_factory, tests/unit/workers.py):
what each command decides, refuses and publishes (DOMAIN.md T)."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError, UnknownService

from services.common.errors import Conflict, Forbidden, NotFound, RuleViolation, Unavailable
from services.tolerance.events import CadreRegisteredIn, CaseOpenedIn
from services.tolerance.rules import CONDITIONS, FACTORS
from services.tolerance.service import ToleranceService
from tests.unit.workers import Worker, received

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
OFFICER = {"role": "DISCIPLINE_OFFICER", "user_id": "officer-a"}
SECOND = {"role": "ORG_ADMIN", "user_id": "officer-b"}


@pytest.fixture
def worker(frozen_clock):
    worker = Worker(ToleranceService, **OFFICER)
    worker.put("cadres", {"_id": "C1", "name": "张三", "unit_id": "JA"},
               {"_id": "C2", "name": "李四", "unit_id": "HK"})
    worker.put("cases", {"_id": "K1", "cadre_id": "C1", "unit_id": "JA", "source": "INSPECTION"},
               {"_id": "K2", "cadre_id": "C2", "unit_id": "HK", "source": "INSPECTION"})
    return worker


def assessed(holding=CONDITIONS, loss="NONE"):
    return {"conditions": {c: {"holds": c in holding, "evidence": "卷宗"} for c in CONDITIONS},
            "loss": {"level": loss, "evidence": "审计报告"},
            "factors": {f: {"rating": "FAVOURABLE", "note": "研判"} for f in FACTORS}}


def filed(worker, **extra):
    return worker.service.file_application(cadre_id="C1", situation="REFORM_EXPLORATION",
                                           facts="改革探索中出现失误", **extra)


def under_review(worker, holding=CONDITIONS):
    application = filed(worker, case_id="K1")
    worker.service.start_review(application_id=application["application_id"])
    worker.service.assess(application_id=application["application_id"], **assessed(holding))
    return application["application_id"]


def measures():
    return [{"description": "完善审批流程", "due": (NOW + timedelta(days=30)).isoformat()}]


def accountability_answers(worker, held=True):
    worker.service.accountability.hold_for_application.return_value = {
        "held": held, "not_held_because": None if held else "DECIDED"}


def test_filing_holds_the_case_in_accountability_before_the_application_is_accepted(worker):
    """C-4 (v2): the hold first, as the user filing; then the application and its event."""
    accountability_answers(worker, held=True)
    application = filed(worker, case_id="K1")
    assert (application["status"], application["case_id"], application["unit_id"],
            application["case_held"]) == ("FILED", "K1", "JA", True)
    assert application["history"][0]["to"] == "FILED" and application["proposal"] is None
    worker.service.accountability.hold_for_application.assert_called_once_with(
        case_id="K1", application_id=application["application_id"], cadre_id="C1",
        situation="REFORM_EXPLORATION")
    [event] = worker.published("applications")
    assert event["event_type"] == "tolerance.application_filed"
    assert event["payload"]["case_id"] == "K1" and event["actor"]["user_id"] == "officer-a"
    assert event["payload"]["case_held"] is True


def test_an_application_for_a_case_decided_first_goes_on_without_holding_it(worker):
    accountability_answers(worker, held=False)
    application = filed(worker, case_id="K1")
    assert (application["status"], application["case_held"]) == ("FILED", False)
    [event] = worker.published("applications")
    assert event["payload"]["case_held"] is False


@pytest.mark.parametrize("failure", [TimeoutError("no answer"), UnknownService("accountability"),
                                     RemoteError("KeyError", "boom")], ids=repr)
def test_no_hold_no_filing(worker, failure, monkeypatch):
    """Accountability unreachable: the filing is refused with 503, and nothing is written."""
    import eventlet

    def hangs_or_fails(**_):
        if isinstance(failure, TimeoutError):
            eventlet.sleep(5)
        raise failure
    worker.service.accountability.hold_for_application.side_effect = hangs_or_fails
    worker.service.config = {"RPC_TIMEOUT": 0.05}
    with pytest.raises(Unavailable) as refused:
        filed(worker, case_id="K1")
    assert (refused.value.code, refused.value.rule) == ("CASE_HOLD_UNAVAILABLE", "C-4")
    assert worker.storage.applications.newest() == [] and worker.published() == []


def test_filing_without_a_case_asks_accountability_nothing(worker):
    filed(worker)
    worker.service.accountability.hold_for_application.assert_not_called()


@pytest.mark.parametrize("extra,code,rule", [
    ({"situation": "OTHER_APPROVED"}, "REFERENCE_REQUIRED", "T-1"),
    ({"case_id": "K2"}, "CASE_NOT_FOUND", "T-1"),           # another cadre's case: no such case
    ({"case_id": "K9"}, "CASE_NOT_FOUND", "T-1"),
])
def test_a_refused_filing_writes_nothing(worker, extra, code, rule):
    with pytest.raises((RuleViolation, NotFound)) as refused:
        worker.service.file_application(**{"cadre_id": "C1", "situation": "REFORM_EXPLORATION",
                                           "facts": "事实", **extra})
    assert (refused.value.code, refused.value.rule) == (code, rule)
    assert worker.storage.applications.newest() == [] and worker.published() == []


def test_one_pending_application_holds_a_case(worker):
    first = filed(worker, case_id="K1")
    with pytest.raises(Conflict) as refused:
        filed(worker, case_id="K1")
    assert (refused.value.code, refused.value.rule) == ("APPLICATION_PENDING", "C-4")
    assert refused.value.details == {"application_id": first["application_id"]}


def test_a_unit_admin_files_for_their_own_unit_only(worker):
    worker.as_(role="UNIT_ADMIN", user_id="ua", unit_id="HK")
    with pytest.raises(Forbidden):
        filed(worker)
    assert worker.audited.entries == [("DENIED", "FORBIDDEN")]


def test_each_step_only_from_the_state_before_it(worker):
    application = filed(worker)
    with pytest.raises(Conflict) as refused:
        worker.service.assess(application_id=application["application_id"], **assessed())
    assert (refused.value.code, refused.value.rule) == ("APPLICATION_STATE", "T-1")
    reviewed = worker.service.start_review(application_id=application["application_id"],
                                           reason="受理")
    assert reviewed["status"] == "UNDER_REVIEW" and reviewed["history"][-1]["reason"] == "受理"
    with pytest.raises(Conflict):
        worker.service.start_review(application_id=application["application_id"])


def test_a_ruling_outside_what_the_conditions_allow_is_refused_with_its_rule(worker):
    application_id = under_review(worker, holding=set(CONDITIONS) - {"NO_PRIVATE_GAIN"})
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_ruling(application_id=application_id, outcome="EXEMPTED",
                                      reasoning="理由", measures=measures())
    assert (refused.value.code, refused.value.rule) == ("OUTCOME_NOT_ALLOWED", "T-2")


def test_four_eyes_then_the_ruling_is_published_with_its_measures(worker):
    application_id = under_review(worker)
    proposed = worker.service.propose_ruling(application_id=application_id, outcome="EXEMPTED",
                                             reasoning="符合容错情形", measures=measures())
    proposal_id = proposed["proposal"]["proposal_id"]
    with pytest.raises(RuleViolation) as refused:
        worker.service.approve_ruling(application_id=application_id, proposal_id=proposal_id)
    assert refused.value.code == "FOUR_EYES"
    assert worker.types("applications") == ["tolerance.application_filed"]

    worker.as_(**SECOND)
    ruled = worker.service.approve_ruling(application_id=application_id, proposal_id=proposal_id)
    assert (ruled["status"], ruled["ruling"]["approved_by"], ruled["proposal"]) == (
        "RULED", "officer-b", None)
    assert [m["status"] for m in ruled["measures"]] == ["OPEN"]
    ruling = worker.published("applications")[-1]
    assert ruling["event_type"] == "tolerance.ruling_made"
    assert (ruling["payload"]["outcome"], ruling["payload"]["case_id"]) == ("EXEMPTED", "K1")
    assert ruling["payload"]["rules"] == ["T-3", "T-4"]
    assert [m["description"] for m in ruling["payload"]["measures"]] == ["完善审批流程"]


def test_a_measure_is_done_once(worker):
    application_id = under_review(worker)
    proposal = worker.service.propose_ruling(application_id=application_id, outcome="MITIGATED",
                                             reasoning="从轻", measures=measures())["proposal"]
    worker.as_(**SECOND)
    ruled = worker.service.approve_ruling(application_id=application_id,
                                          proposal_id=proposal["proposal_id"])
    measure_id = ruled["measures"][0]["measure_id"]
    done = worker.service.complete_measure(application_id=application_id, measure_id=measure_id,
                                           note="已整改")
    assert (done["measures"][0]["status"], done["measures"][0]["done_by"]) == ("DONE", "officer-b")
    with pytest.raises(Conflict) as refused:
        worker.service.complete_measure(application_id=application_id, measure_id=measure_id,
                                        note="再次")
    assert (refused.value.code, refused.value.rule) == ("MEASURE_DONE", "T-7")
    with pytest.raises(NotFound):
        worker.service.complete_measure(application_id=application_id, measure_id="nope", note="x")


def test_the_copies_it_keeps_come_from_events_once(worker):
    registered = received(CadreRegisteredIn, {"cadre_id": "C3", "name": "王五", "unit_id": "WC"})
    worker.service.on_cadre_registered(registered)
    worker.service.on_cadre_registered(registered)
    assert worker.stored("cadres", "C3")["applied_events"] == [registered.event_id]
    opened = received(CaseOpenedIn, {"case_id": "K3", "cadre_id": "C3", "unit_id": "WC",
                                     "source": "COMPLAINT", "opened_at": NOW})
    worker.service.on_case_opened(opened)
    assert worker.stored("cases", "K3")["cadre_id"] == "C3"


V1_CONDITIONS = ("NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED", "DILIGENT", "NO_PRIVATE_GAIN",
                 "NO_MALICIOUS_COLLUSION", "NO_MAJOR_LOSS", "PROACTIVE_RECTIFICATION")


def first_version_assessment(worker, major_loss: bool):
    """An application assessed under the first version, as its store holds it: seven conditions with
    NO_MAJOR_LOSS, no SITUATION_CONDITION, no loss level."""
    application = filed(worker)
    worker.service.start_review(application_id=application["application_id"])
    stamp = {"by": "officer-a", "at": NOW}
    worker.storage.store.database["applications"].update_one(
        {"_id": application["application_id"]}, {"$set": {
            "conditions": {c: {"holds": not (c == "NO_MAJOR_LOSS" and major_loss), "evidence": "卷宗",
                               **stamp} for c in V1_CONDITIONS},
            "factors": {f: {"rating": "FAVOURABLE", "note": "研判", **stamp} for f in FACTORS}}})
    return application["application_id"]


def test_a_first_version_assessment_keeps_working_and_asks_only_what_is_new(worker):
    """A major loss recorded the first way is read as loss MAJOR; the situation's own condition is
    still to be recorded, and then the v2 outcomes follow: a major loss is never exempted."""
    application_id = first_version_assessment(worker, major_loss=True)
    before = worker.service.allowed_outcomes(application_id=application_id)
    assert (before["complete"], before["missing_conditions"], before["loss_missing"]) == (
        False, ["SITUATION_CONDITION"], False)
    worker.service.assess(application_id=application_id, conditions={
        "SITUATION_CONDITION": {"holds": True, "evidence": "因政策不明确"}})
    after = worker.service.allowed_outcomes(application_id=application_id)
    assert (after["complete"], after["allowed"]) == (True, [{"outcome": "MITIGATED", "rules": ["T-4"]}])


def test_a_first_version_no_major_loss_needs_the_loss_level_before_a_ruling(worker):
    application_id = first_version_assessment(worker, major_loss=False)
    worker.service.assess(application_id=application_id, conditions={
        "SITUATION_CONDITION": {"holds": True, "evidence": "因政策不明确"}})
    with pytest.raises(RuleViolation) as refused:
        worker.service.propose_ruling(application_id=application_id, outcome="MITIGATED",
                                      reasoning="理由", measures=measures())
    assert (refused.value.code, refused.value.details["loss_missing"]) == ("ASSESSMENT_INCOMPLETE", True)
    worker.service.assess(application_id=application_id, loss={"level": "SOME", "evidence": "少量损失"})
    assert worker.service.allowed_outcomes(application_id=application_id)["allowed"] == [
        {"outcome": "EXEMPTED", "rules": ["T-4"]}, {"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_a_filing_that_outlasts_its_window_writes_nothing(worker):
    """C-4: past FILING_WINDOW_SECONDS accountability may have released the hold as a filing that
    never completed: the application is not written late."""
    from services.common.clock import CLOCK

    def slow_hold(**_):
        CLOCK.set(NOW + timedelta(seconds=61), running=False)
        return {"held": True}
    worker.service.accountability.hold_for_application.side_effect = slow_hold
    with pytest.raises(Unavailable) as refused:
        filed(worker, case_id="K1")
    assert (refused.value.code, refused.value.rule) == ("FILING_TIMED_OUT", "C-4")
    assert worker.storage.applications.newest() == [] and worker.published() == []


def test_officers_ask_whether_an_application_exists(worker):
    application = filed(worker)
    assert worker.service.application_exists(application_id=application["application_id"])["exists"]
    assert not worker.service.application_exists(application_id="never-written")["exists"]
