"""Appraisal's pure rules: open cycles only, a unit grades its own cadres, one event per result."""

from datetime import UTC, datetime

import pytest

from services.appraisal import rules
from services.common.errors import Conflict

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
