"""Eligibility computed from appraisal facts (rules A-5, L-3)."""

from datetime import UTC, datetime, timedelta

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
