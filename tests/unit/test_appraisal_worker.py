"""Appraisal's service logic without RabbitMQ or a store (nameko's worker_factory,
tests/unit/workers.py): what each command and event decides, refuses and publishes (DOMAIN.md A)."""

from datetime import UTC, datetime

import pytest

from services.appraisal.events import RulingMadeIn, SanctionDecidedIn
from services.appraisal.service import AppraisalService
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from tests.unit.workers import Worker, received

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
ADMIN = {"role": "ORG_ADMIN", "user_id": "admin"}
UNIT_ADMIN = {"role": "UNIT_ADMIN", "user_id": "ua", "unit_id": "JA"}


@pytest.fixture
def worker(frozen_clock):
    worker = Worker(AppraisalService, **ADMIN)
    worker.put("units", {"_id": "JA", "name": "江岸区", "unit_type": "DISTRICT"})
    # ten participants: the A-1 quota is floor(10 × 0.15) = 1; P1 leads the unit (outside the quota)
    worker.put("cadres", *[{"_id": f"C{i}", "name": f"干部{i}", "unit_id": "JA", "is_principal": False}
                           for i in range(10)],
               {"_id": "P1", "name": "区长", "unit_id": "JA", "is_principal": True})
    return worker


def cycle(worker, year=2025):
    return worker.service.open_cycle(unit_id="JA", year=year, kind="ANNUAL")["cycle_id"]


def grade_the_others(worker, cycle_id, *graded):
    """Every participant graded but those named: a cycle finalizes only then (A-1)."""
    worker.service.record_grades(cycle_id=cycle_id, grades=[
        {"cadre_id": f"C{i}", "grade": "COMPETENT"} for i in range(10) if f"C{i}" not in graded])


def sanction(case_id="K1", cadre_id="C1", year=2025):
    return received(SanctionDecidedIn, {"case_id": case_id, "cadre_id": cadre_id, "year": year,
                                        "sanctions": ["TRANSFER"], "decided_at": NOW})


def test_a_cycle_is_opened_once_and_never_for_a_year_to_come(worker):
    cycle_id = cycle(worker)
    with pytest.raises(Conflict) as refused:
        cycle(worker)
    assert (refused.value.code, refused.value.details) == ("CYCLE_EXISTS", {"cycle_id": cycle_id})
    with pytest.raises(Conflict) as refused:
        cycle(worker, year=2027)
    assert refused.value.code == "YEAR_IN_FUTURE"
    with pytest.raises(NotFound) as refused:
        worker.service.open_cycle(unit_id="XX", year=2025, kind="ANNUAL")
    assert refused.value.code == "UNIT_NOT_FOUND"


def test_the_quota_refuses_the_row_beyond_it_and_records_none_of_the_call(worker):
    cycle_id = cycle(worker)
    with pytest.raises(RuleViolation) as refused:
        worker.service.record_grades(cycle_id=cycle_id, grades=[
            {"cadre_id": "C1", "grade": "EXCELLENT"}, {"cadre_id": "C2", "grade": "EXCELLENT"}])
    assert (refused.value.code, refused.value.rule) == ("EXCELLENT_QUOTA_EXCEEDED", "A-1")
    assert (refused.value.details["row"], refused.value.details["cadre_id"]) == (1, "C2")
    assert worker.service.get_cycle(cycle_id=cycle_id)["results"] == []
    graded = worker.service.record_grade(cycle_id=cycle_id, cadre_id="C1", grade="EXCELLENT",
                                         comment="实绩突出")
    assert [(r["cadre_id"], r["in_quota"]) for r in graded["results"]] == [("C1", True)]


def test_a_principal_leader_is_graded_by_the_department_and_needs_a_merit_unit(worker):
    cycle_id = cycle(worker)
    worker.as_(**UNIT_ADMIN)
    with pytest.raises(Forbidden) as refused:
        worker.service.record_grade(cycle_id=cycle_id, cadre_id="P1", grade="COMPETENT")
    assert refused.value.rule == "A-1"
    worker.as_(**ADMIN)
    with pytest.raises(RuleViolation) as refused:
        worker.service.record_grade(cycle_id=cycle_id, cadre_id="P1", grade="EXCELLENT")
    assert (refused.value.code, refused.value.rule) == ("PRINCIPAL_EXCELLENT_NEEDS_MERIT", "A-2")
    worker.service.grade_unit(unit_id="JA", year=2025, grade="MERIT")
    graded = worker.service.record_grade(cycle_id=cycle_id, cadre_id="P1", grade="EXCELLENT")
    assert [(r["cadre_id"], r["in_quota"]) for r in graded["results"]] == [("P1", False)]


def test_a_sanction_that_year_bars_excellent_until_the_matter_is_exempted(worker):
    cycle_id = cycle(worker)
    worker.service.on_sanction_decided(sanction())
    with pytest.raises(RuleViolation) as refused:
        worker.service.record_grade(cycle_id=cycle_id, cadre_id="C1", grade="EXCELLENT")
    assert (refused.value.code, refused.value.rule) == ("SANCTIONED_THAT_YEAR", "A-6")
    worker.service.on_ruling_made(received(RulingMadeIn, {
        "application_id": "T1", "cadre_id": "C1", "case_id": "K1", "outcome": "EXEMPTED",
        "ruled_at": NOW}))
    assert worker.service.record_grade(cycle_id=cycle_id, cadre_id="C1",
                                       grade="EXCELLENT")["results"][0]["grade"] == "EXCELLENT"


def test_finalizing_announces_each_result_once_and_freezes_the_cycle(worker):
    cycle_id = cycle(worker)
    worker.service.record_grades(cycle_id=cycle_id, grades=[
        {"cadre_id": "C2", "grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "EXCELLENT"}])
    with pytest.raises(RuleViolation) as refused:  # every participant graded first
        worker.service.finalize_cycle(cycle_id=cycle_id)
    assert refused.value.code == "PARTICIPANTS_UNGRADED"
    assert [c["cadre_id"] for c in refused.value.details["ungraded"]] == [
        f"C{i}" for i in (0, *range(3, 10))]
    grade_the_others(worker, cycle_id, "C1", "C2")
    # a sanction decided since the grade: A-6 is asked again at finalize
    worker.service.on_sanction_decided(sanction())
    with pytest.raises(RuleViolation) as refused:
        worker.service.finalize_cycle(cycle_id=cycle_id)
    assert refused.value.code == "SANCTIONED_THAT_YEAR"
    assert worker.published("cycles") == []

    worker.service.on_ruling_made(received(RulingMadeIn, {  # the matter exempted (T-6)
        "application_id": "T1", "cadre_id": "C1", "case_id": "K1", "outcome": "EXEMPTED",
        "ruled_at": NOW}))
    finalized = worker.service.finalize_cycle(cycle_id=cycle_id)
    assert finalized["status"] == "FINALIZED"
    events = worker.published("cycles")
    assert [(e["event_type"], e["payload"]["cadre_id"]) for e in events] == [
        ("appraisal.result_finalized", f"C{i}") for i in range(10)]
    with pytest.raises(Conflict) as refused:
        worker.service.record_grade(cycle_id=cycle_id, cadre_id="C4", grade="COMPETENT")
    assert refused.value.code == "CYCLE_FINALIZED"


def test_an_amendment_keeps_the_history_and_republishes(worker):
    cycle_id = cycle(worker)
    worker.service.record_grade(cycle_id=cycle_id, cadre_id="C1", grade="EXCELLENT")
    grade_the_others(worker, cycle_id, "C1")
    worker.service.finalize_cycle(cycle_id=cycle_id)
    amended = worker.service.amend_result(cycle_id=cycle_id, cadre_id="C1", grade="COMPETENT",
                                          reason="复核更正")
    [result] = [r for r in amended["results"] if r["cadre_id"] == "C1"]
    assert (result["grade"], result["amendments"][0]["from_grade"]) == ("COMPETENT", "EXCELLENT")
    event = worker.published("cycles")[-1]
    assert event["event_type"] == "appraisal.result_amended"
    assert (event["payload"]["previous_grade"], event["payload"]["grade"]) == ("EXCELLENT", "COMPETENT")
    with pytest.raises(Conflict) as refused:
        worker.service.amend_result(cycle_id=cycle_id, cadre_id="C1", grade="COMPETENT", reason="x")
    assert refused.value.code == "NOTHING_TO_AMEND"


def test_a_unit_is_graded_once_a_year_and_a_deed_commended_once(worker):
    graded = worker.service.grade_unit(unit_id="JA", year=2025, grade="FAIL")
    assert graded["grade"] == "FAIL"
    assert worker.service.grade_unit(unit_id="JA", year=2025, grade="FAIL") == graded
    with pytest.raises(Conflict) as refused:
        worker.service.grade_unit(unit_id="JA", year=2025, grade="MERIT")
    assert refused.value.code == "UNIT_ALREADY_GRADED"
    assert worker.types("unit_grades") == ["appraisal.unit_graded"]

    deed = {"cadre_id": "C1", "year": 2025, "kind": "MERIT_CITATION", "deed": "抗洪抢险",
            "deed_kind": "EMERGENCY_HANDLING", "typical_example": True}
    first = worker.service.commend(**deed)
    assert worker.service.commend(**deed) == first
    assert worker.types("commendations") == ["appraisal.commendation_awarded"]
    with pytest.raises(Conflict):
        worker.service.commend(**{**deed, "year": 2027})


@pytest.mark.parametrize("kind", ["OUTSTANDING_PARTY_MEMBER", "PEOPLE_SATISFIED_CIVIL_SERVANT"])
def test_the_yearly_selections_are_recorded_as_commendations_with_the_deed_s_kind(worker, kind):
    """A-8 (v2): 优秀共产党员 and 人民满意的公务员 recorded the same way, each deed with its kind."""
    awarded = worker.service.commend(cadre_id="C1", year=2025, kind=kind, deed="扎根基层服务群众",
                                     deed_kind="MAJOR_WORK", typical_example=False)
    assert (awarded["kind"], awarded["deed_kind"]) == (kind, "MAJOR_WORK")
    [event] = worker.published("commendations")
    assert (event["payload"]["kind"], event["payload"]["deed_kind"]) == (kind, "MAJOR_WORK")
    with pytest.raises(InvalidInput) as refused:
        worker.service.commend(cadre_id="C1", year=2025, kind=kind, deed="x", deed_kind="LUCK",
                               typical_example=False)
    assert list(refused.value.fields) == ["deed_kind"]
