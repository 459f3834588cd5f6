"""Eligibility computed from appraisal facts (rules A-5, L-3)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.talent import rules

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def result(grade="EXCELLENT", kind="ANNUAL", cycle="cy1", year=2025, event="e1", days_ago=10):
    return {"cycle_id": cycle, "year": year, "kind": kind, "grade": grade, "event_id": event,
            "finalized_at": NOW - timedelta(days=days_ago)}


def test_no_facts_means_promotable_without_priority():
    answer = rules.eligibility([], NOW)
    assert answer.promotable is True
    assert answer.selection_priority is False
    assert answer.training_priority is False
    assert answer.reasons == []


def test_excellent_annual_gives_both_priorities_citing_the_rule_and_event():
    answer = rules.eligibility([result()], NOW)
    assert answer.selection_priority and answer.training_priority
    assert {(r.rule, r.effect, r.source_event_id) for r in answer.reasons} == {
        ("A-5", "SELECTION_PRIORITY", "e1"), ("A-5", "TRAINING_PRIORITY", "e1")}
    assert all(r.valid_from == NOW - timedelta(days=10) for r in answer.reasons)


def test_excellent_in_a_special_appraisal_counts():
    assert rules.eligibility([result(kind="SPECIAL")], NOW).selection_priority


def test_excellent_in_a_regular_appraisal_does_not():
    assert not rules.eligibility([result(kind="REGULAR")], NOW).selection_priority


def test_other_grades_give_no_priority():
    for grade in ("COMPETENT", "BASICALLY_COMPETENT", "INCOMPETENT"):
        assert rules.eligibility([result(grade=grade)], NOW).reasons == []


def test_a_result_finalized_in_the_future_is_not_yet_in_force():
    assert rules.eligibility([result(days_ago=-1)], NOW).reasons == []


def test_a_later_result_of_the_same_cycle_supersedes_the_earlier():
    amended = [result(event="e1", days_ago=10), result(grade="COMPETENT", event="e2", days_ago=5)]
    assert rules.eligibility(amended, NOW).reasons == []
    restored = [*amended, result(event="e3", days_ago=1)]
    assert {r.source_event_id for r in rules.eligibility(restored, NOW).reasons} == {"e3"}


def test_each_excellent_cycle_is_its_own_reason():
    facts = [result(cycle="a", event="e1"), result(cycle="b", kind="SPECIAL", event="e2")]
    assert {r.source_event_id for r in rules.eligibility(facts, NOW).reasons} == {"e1", "e2"}


def graded(year, grade, event=None, days_ago=30):
    return {"unit_id": "U1", "year": year, "grade": grade, "event_id": event or f"g{year}",
            "graded_at": NOW - timedelta(days=days_ago)}


def test_three_consecutive_years_without_merit_withhold_a_principals_priority():
    grades = [graded(2023, "PASS"), graded(2024, "FAIL"), graded(2025, "PASS")]
    answer = rules.eligibility([result()], NOW, grades, is_principal=True)
    assert answer.selection_priority is False          # A-5 is outweighed by A-3
    assert answer.training_priority is True            # A-3 bars priority promotion only
    [bar] = [r for r in answer.reasons if r.rule == "A-3"]
    assert (bar.effect, bar.source_event_id) == ("NO_PRIORITY_PROMOTION", "g2025")
    assert "2023 (PASS), 2024 (FAIL), 2025 (PASS)" in bar.detail


def test_the_bar_is_for_principal_leaders_only():
    grades = [graded(2023, "PASS"), graded(2024, "PASS"), graded(2025, "PASS")]
    assert rules.eligibility([result()], NOW, grades, is_principal=False).selection_priority


@pytest.mark.parametrize("grades", [
    [graded(2024, "PASS"), graded(2025, "PASS")],                        # two years only
    [graded(2023, "PASS"), graded(2024, "MERIT"), graded(2025, "PASS")],  # a MERIT year inside
    [graded(2022, "PASS"), graded(2023, "PASS"), graded(2025, "PASS")],   # 2024 not graded
    [graded(2023, "PASS"), graded(2024, "PASS"), graded(2025, "PASS"),
     graded(2026, "MERIT")],                                              # lifted by MERIT
])
def test_no_bar_without_three_known_years_without_merit(grades):
    assert rules.merit_drought(grades) == []


def test_an_ungraded_year_does_not_lift_a_bar_only_merit_does():
    barred = [graded(2022, "PASS"), graded(2023, "PASS"), graded(2024, "PASS")]
    later = [*barred, graded(2026, "PASS")]  # 2025 never graded
    [bar] = rules.merit_drought(later)
    assert (bar.rule, bar.source_event_id) == ("A-3", "g2024")
    assert rules.merit_drought([*later, graded(2027, "MERIT")]) == []


def test_a_new_run_after_merit_bars_again():
    grades = [graded(y, "PASS") for y in (2018, 2019, 2020)] + [graded(2021, "MERIT")] + [
        graded(y, "FAIL") for y in (2022, 2023, 2024)]
    [bar] = rules.merit_drought(grades)
    assert bar.source_event_id == "g2024" and "2022 (FAIL)" in bar.detail


def test_a_regrade_of_a_year_counts_once_the_latest():
    grades = [graded(2023, "PASS"), graded(2024, "PASS"), graded(2025, "PASS", days_ago=30),
              graded(2025, "MERIT", event="g2025b", days_ago=5)]
    assert rules.merit_drought(grades) == []
