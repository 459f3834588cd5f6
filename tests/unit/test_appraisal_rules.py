"""Appraisal's pure rules: open cycles only, a unit grades its own cadres, one event per result."""

from datetime import UTC, datetime

import pytest

from services.appraisal import rules
from services.common.errors import Conflict, RuleViolation

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def cycle(status="OPEN", results=()):
    return {"_id": "cy1", "unit_id": "U1", "year": 2025, "kind": "ANNUAL", "status": status,
            "results": list(results)}


def test_an_open_cycle_accepts_grades():
    rules.ensure_open(cycle())


def test_a_finalized_cycle_refuses_grades():
    with pytest.raises(Conflict) as caught:
        rules.ensure_open(cycle(status="FINALIZED"))
    assert caught.value.code == "CYCLE_FINALIZED"


def test_a_cadre_of_another_unit_is_refused():
    rules.ensure_cadre_in_unit(cycle(), {"_id": "C1", "unit_id": "U1"})
    with pytest.raises(Conflict) as caught:
        rules.ensure_cadre_in_unit(cycle(), {"_id": "C2", "unit_id": "U2"})
    assert caught.value.code == "CADRE_NOT_IN_UNIT"
    assert caught.value.details == {"cadre_unit_id": "U2", "cycle_unit_id": "U1"}


def test_regrading_while_open_replaces_the_grade():
    cadre = {"_id": "C1", "is_principal": False}
    first = rules.with_grade([], cadre, "COMPETENT", NOW)
    second = rules.with_grade(first, cadre, "EXCELLENT", NOW)
    assert [(r["cadre_id"], r["grade"], r["in_quota"]) for r in second] == [("C1", "EXCELLENT", True)]
    assert [r["grade"] for r in first] == ["COMPETENT"]  # the input is not changed


def test_a_principal_leaders_result_takes_no_place_in_the_quota():
    results = rules.with_grade([], {"_id": "P1", "is_principal": True}, "EXCELLENT", NOW)
    results = rules.with_grade(results, {"_id": "C1", "is_principal": False}, "EXCELLENT", NOW)
    results = rules.with_grade(results, {"_id": "C2", "is_principal": False}, "COMPETENT", NOW)
    assert rules.excellent_used(results) == 1
    assert rules.excellent_used(results, except_cadre="C1") == 0


def test_finalizing_yields_one_payload_per_result():
    results = [{"cadre_id": "C2", "grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "EXCELLENT"}]
    payloads = rules.finalized_results(cycle(results=results), NOW)
    assert payloads == [
        {"cycle_id": "cy1", "unit_id": "U1", "year": 2025, "kind": "ANNUAL", "cadre_id": "C1",
         "grade": "EXCELLENT", "finalized_at": NOW},
        {"cycle_id": "cy1", "unit_id": "U1", "year": 2025, "kind": "ANNUAL", "cadre_id": "C2",
         "grade": "COMPETENT", "finalized_at": NOW},
    ]


def test_an_amendment_changes_the_grade_and_keeps_who_when_from_to_and_why():
    results = [{"cadre_id": "C1", "grade": "EXCELLENT"}, {"cadre_id": "C2", "grade": "COMPETENT"}]
    changed, previous = rules.amended(results, "C1", "COMPETENT", "复核发现材料不实", "officer-7", NOW)
    assert previous == "EXCELLENT"
    assert changed[0]["grade"] == "COMPETENT" and changed[1] == results[1]
    assert changed[0]["amendments"] == [{"at": NOW, "by": "officer-7", "from_grade": "EXCELLENT",
                                         "to_grade": "COMPETENT", "reason": "复核发现材料不实"}]
    again, _ = rules.amended(changed, "C1", "EXCELLENT", "再次复核", "officer-8", NOW)
    assert [a["to_grade"] for a in again[0]["amendments"]] == ["COMPETENT", "EXCELLENT"]
    assert results[0]["grade"] == "EXCELLENT"  # the input is not changed


@pytest.mark.parametrize("cadre_id,grade,code", [
    ("C9", "COMPETENT", "RESULT_NOT_FOUND"), ("C1", "EXCELLENT", "NOTHING_TO_AMEND")])
def test_an_amendment_needs_a_result_and_a_change(cadre_id, grade, code):
    with pytest.raises(Conflict) as caught:
        rules.amended([{"cadre_id": "C1", "grade": "EXCELLENT"}], cadre_id, grade, "x", "o", NOW)
    assert caught.value.code == code


def test_only_a_finalized_cycle_is_amended():
    rules.ensure_finalized(cycle(status="FINALIZED"))
    with pytest.raises(Conflict) as caught:
        rules.ensure_finalized(cycle())
    assert caught.value.code == "CYCLE_NOT_FINALIZED"


# rule A-6: a sanction decided in year Y, not lifted, rules out EXCELLENT in Y's annual appraisal

SANCTION_2025 = {"case_id": "k1", "year": 2025}


@pytest.mark.parametrize("kind, grade, restrictions", [
    ("ANNUAL", "EXCELLENT", []),
    ("ANNUAL", "EXCELLENT", [{"case_id": "k1", "year": 2024}]),             # another year
    ("ANNUAL", "EXCELLENT", [{**SANCTION_2025, "lifted": {"rule": "T-6"}}]),  # exempted
    ("ANNUAL", "EXCELLENT", [{**SANCTION_2025, "lifted": {"rule": "C-5"}}]),  # cleared
    ("ANNUAL", "EXCELLENT", [{"case_id": "k1", "lifted": {"rule": "T-6"}}]),  # ruling came first
    ("ANNUAL", "COMPETENT", [SANCTION_2025]),                                # not EXCELLENT
    ("SPECIAL", "EXCELLENT", [SANCTION_2025]),                               # not the annual one
])
def test_a6_allows(kind, grade, restrictions):
    rules.check_no_sanction_that_year(kind, grade, 2025, restrictions, "C1")


def test_a6_refuses_naming_the_cases_and_the_year():
    restrictions = [{"case_id": "k2", "year": 2025}, SANCTION_2025,
                    {"case_id": "k3", "year": 2025, "lifted": {"rule": "T-6"}}]
    with pytest.raises(RuleViolation) as caught:
        rules.check_no_sanction_that_year("ANNUAL", "EXCELLENT", 2025, restrictions, "C1")
    assert (caught.value.code, caught.value.rule) == ("SANCTIONED_THAT_YEAR", "A-6")
    assert caught.value.details == {"cadre_id": "C1", "year": 2025, "case_ids": ["k1", "k2"]}
