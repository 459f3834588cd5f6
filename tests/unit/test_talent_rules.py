"""Eligibility computed from appraisal facts (rules A-5, L-3)."""

from datetime import UTC, date, datetime, timedelta

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


# A-3 (v2): the cadre's own years as principal, from the posting history

def posting(at, to_unit, *, was, now_principal, from_since=None, from_unit="U1"):
    return {"at": datetime(*at, tzinfo=UTC), "from_unit_id": from_unit, "to_unit_id": to_unit,
            "was_principal": was, "is_principal": now_principal, "from_since": from_since}


def test_a_principal_registered_without_post_since_led_the_unit_since_registration():
    cadre = {"unit_id": "U1", "is_principal": True, "registered_at": datetime(2024, 5, 1, tzinfo=UTC)}
    assert rules.principal_tenures(cadre) == [("U1", date(2024, 5, 1), None)]
    assert rules.history_assumed(cadre) == date(2024, 5, 1)
    led = rules.years_led(rules.principal_tenures(cadre), date(2026, 6, 15))
    assert led == {2024: "U1", 2025: "U1", 2026: "U1"}  # most of 2024; none of the years before
    grades = [graded(y, "PASS") for y in (2022, 2023, 2024, 2025)]
    answer = rules.eligibility([], NOW, rules.own_unit_grades(led, {"U1": grades}), is_principal=True,
                               history_assumed=rules.history_assumed(cadre))
    assert [r.rule for r in answer.reasons] == []  # two own years only
    answer = rules.eligibility([], NOW, grades[1:], is_principal=True,
                               history_assumed=date(2024, 5, 1))
    assert "in post since registration on 2024-05-01" in answer.reasons[0].detail


def test_a_predecessor_keeps_their_years_and_the_successor_does_not_take_them():
    # P led U1 from March 2021 and left for U2 (not leading) on 1 April 2025
    predecessor = {"unit_id": "U2", "is_principal": False, "post_since": date(2025, 4, 1),
                   "postings": [posting((2025, 4, 1), "U2", was=True, now_principal=False,
                                        from_since=datetime(2021, 3, 1))]}
    # S came to lead U1 the same day
    successor = {"unit_id": "U1", "is_principal": True, "post_since": date(2025, 4, 1),
                 "postings": [posting((2025, 4, 1), "U1", was=False, now_principal=True,
                                      from_unit="U3", from_since=datetime(2019, 1, 1))]}
    today = date(2026, 6, 15)
    assert rules.years_led(rules.principal_tenures(predecessor), today) == {
        2021: "U1", 2022: "U1", 2023: "U1", 2024: "U1"}  # 2025: three months of it only
    assert rules.years_led(rules.principal_tenures(successor), today) == {2025: "U1", 2026: "U1"}
    grades = {"U1": [graded(y, "PASS") for y in (2022, 2023, 2024, 2025)]}
    own = rules.own_unit_grades(rules.years_led(rules.principal_tenures(predecessor), today), grades)
    assert [bar.rule for bar in rules.merit_drought(own)] == ["A-3"]
    own = rules.own_unit_grades(rules.years_led(rules.principal_tenures(successor), today), grades)
    assert rules.merit_drought(own) == []  # one year of their own


def test_the_years_run_across_postings_and_a_merit_year_under_the_cadre_lifts_them():
    # led U1 2022-2023, then U2 from January 2024
    cadre = {"unit_id": "U2", "is_principal": True, "post_since": date(2024, 1, 2),
             "postings": [posting((2024, 1, 2), "U2", was=True, now_principal=True,
                                  from_since=datetime(2022, 1, 1))]}
    led = rules.years_led(rules.principal_tenures(cadre), date(2026, 6, 15))
    assert [led[y] for y in (2022, 2023, 2024, 2025)] == ["U1", "U1", "U2", "U2"]
    grades = {"U1": [graded(2022, "PASS"), graded(2023, "FAIL"), graded(2024, "MERIT")],
              "U2": [{**graded(2024, "PASS"), "unit_id": "U2"}, {**graded(2025, "PASS"), "unit_id": "U2"}]}
    own = rules.own_unit_grades(led, grades)
    assert sorted(g["year"] for g in own) == [2022, 2023, 2024, 2025]  # U1's 2024 MERIT is not theirs
    [bar] = rules.merit_drought(own)
    assert "2022 (PASS), 2023 (FAIL), 2024 (PASS)" in bar.detail  # U1, U1, then U2
    merit = [*own, {**graded(2026, "MERIT", days_ago=1), "unit_id": "U2"}]
    assert rules.merit_drought(merit) == []


def test_a_cadre_who_never_led_has_no_years():
    assert rules.principal_tenures({"unit_id": "U1", "is_principal": False}) == []
