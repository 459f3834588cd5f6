"""Rule A-1 (v2), pure: the pools of a street unit, the participant list and its changes, finalize only
when every participant is graded, quota groups, and the cycles opened before lists."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.appraisal import decide, rules
from services.common.errors import Conflict, RuleViolation

NOW = datetime(2026, 3, 1, tzinfo=UTC)
STREET = "STREET_TOWNSHIP"


def cadre(cadre_id, category=None, unit_id="U1", principal=False):
    return {"_id": cadre_id, "unit_id": unit_id, "staff_category": category,
            "is_principal": principal, "name": f"干部{cadre_id}"}


def cycle_of(roster, unit_type=None, **extra):
    made = decide.open_cycle({"unit_type": unit_type}, roster, cycle_id="Y1", unit_id="U1",
                             year=2025, kind="ANNUAL", current_year=2026, now=NOW).set
    return {"_id": "Y1", "status": "OPEN", "results": [], **made, **extra}


def grade(cycle, who, grade_, terms, cadres):
    change = decide.record_grades(cycle, [{"cadre_id": who["_id"], "grade": grade_}], {who["_id"]: who},
                                  terms=terms, unit_grade=None, bars={}, unrestricted=False,
                                  policy=rules.Policy(), now=NOW)
    return change.applied_to(cycle)


@pytest.mark.parametrize("unit_type,category,pool", [
    (STREET, "CIVIL_SERVANT", "STREET_CIVIL_SERVANT"),
    (STREET, None, "STREET_CIVIL_SERVANT"),  # registered before categories: the first reading
    (STREET, "PUBLIC_INSTITUTION_STAFF", "DEFAULT"),
    (STREET, "ENTERPRISE_MANAGER", "DEFAULT"),
    (STREET, "OTHER", "DEFAULT"),
    ("DISTRICT", "CIVIL_SERVANT", "DEFAULT"),
    ("DISTRICT", None, "DEFAULT"),
])
def test_a_street_unit_has_two_pools(unit_type, category, pool):
    assert rules.pool_of(unit_type, category) == pool


def test_each_pool_has_its_own_ratio_and_each_excellent_counts_in_its_own():
    # 5 civil servants at 0.20 → 1; 7 others at 0.15 → 1; one pool of 12 at 0.20 would give 2
    roster = [cadre(f"c{i}", "CIVIL_SERVANT") for i in range(5)] + \
        [cadre(f"p{i}", "PUBLIC_INSTITUTION_STAFF") for i in range(7)]
    cycle = cycle_of(roster, STREET)
    terms = rules.QuotaTerms(STREET)
    sheet = terms.sheet(cycle)
    assert {p: (q.participants, q.ratio, q.maximum) for p, q in sheet.items()} == {
        "DEFAULT": (7, Decimal("0.15"), 1), "STREET_CIVIL_SERVANT": (5, Decimal("0.20"), 1)}
    cycle = grade(cycle, roster[0], "EXCELLENT", terms, roster)
    with pytest.raises(RuleViolation) as caught:
        grade(cycle, roster[1], "EXCELLENT", terms, roster)
    assert (caught.value.rule, caught.value.details["pool"], caught.value.details["max"]) == (
        "A-1", "STREET_CIVIL_SERVANT", 1)
    cycle = grade(cycle, roster[5], "EXCELLENT", terms, roster)  # the other pool still has its place
    assert [r["pool"] for r in cycle["results"]] == ["STREET_CIVIL_SERVANT", "DEFAULT"]


def test_the_list_starts_as_the_non_principal_roster():
    cycle = cycle_of([cadre("a"), cadre("b"), cadre("boss", principal=True)])
    assert [p["cadre_id"] for p in cycle["participants"]] == ["a", "b"]
    assert cycle[rules.LISTED_AT] == NOW


def test_other_kinds_have_no_list():
    made = decide.open_cycle({"unit_type": None}, [cadre("a")], cycle_id="Y", unit_id="U1",
                             year=2025, kind="SPECIAL", current_year=2026, now=NOW).set
    assert rules.PARTICIPANTS not in made and not rules.has_participant_list(made)


def change(cycle, who, what, terms=None, reason="在岗不满半年"):
    return decide.change_participant(cycle, who, cadre_id=who["_id"], change=what, reason=reason,
                                     terms=terms or rules.QuotaTerms(None), by="officer",
                                     now=NOW).applied_to(cycle)


def test_not_rated_is_no_participant_and_loses_its_grade_with_the_reason_kept():
    a, b = cadre("a"), cadre("b")
    cycle = grade(cycle_of([a, b]), a, "COMPETENT", rules.QuotaTerms(None), [a, b])
    cycle = change(cycle, a, "NOT_RATED")
    assert [p["cadre_id"] for p in cycle["participants"]] == ["b"]
    assert cycle["results"] == []
    assert cycle["not_rated"] == [{"cadre_id": "a", "reason": "在岗不满半年", "by": "officer", "at": NOW}]
    assert cycle["participant_changes"][-1]["grade_dropped"] == "COMPETENT"
    with pytest.raises(Conflict) as caught:
        grade(cycle, a, "COMPETENT", rules.QuotaTerms(None), [a, b])
    assert (caught.value.code, caught.value.rule) == ("NOT_A_PARTICIPANT", "A-1")
    cycle = change(cycle, a, "ADD", reason="复核后参加考核")  # added back: graded again
    assert cycle["not_rated"] == [] and grade(cycle, a, "COMPETENT", rules.QuotaTerms(None), [a])


def test_a_removed_cadre_is_refused_until_added_back():
    a, b = cadre("a"), cadre("b")
    cycle = change(cycle_of([a, b]), a, "REMOVE", reason="调离本单位")
    with pytest.raises(Conflict) as caught:
        grade(cycle, a, "COMPETENT", rules.QuotaTerms(None), [a])
    assert caught.value.details == {"cadre_id": "a", "change": "REMOVE"}


def test_a_cadre_of_the_unit_graded_while_unlisted_joins_the_list():
    a, late = cadre("a"), cadre("late")
    cycle = cycle_of([a])
    cycle = decide.record_grades(cycle, [{"cadre_id": "late", "grade": "COMPETENT"}], {"late": late},
                                 terms=rules.QuotaTerms(None), unit_grade=None, bars={},
                                 unrestricted=False, policy=rules.Policy(), now=NOW,
                                 by="grader").applied_to(cycle)
    assert [p["cadre_id"] for p in cycle["participants"]] == ["a", "late"]
    assert [(c["change"], c["by"]) for c in cycle["participant_changes"]] == [("ADD", "grader")]


@pytest.mark.parametrize("what,who,code", [
    ("ADD", cadre("a"), "ALREADY_PARTICIPANT"),
    ("REMOVE", cadre("x"), "NOT_A_PARTICIPANT"),
    ("ADD", cadre("boss", principal=True), "PRINCIPAL_NOT_PARTICIPANT"),
    ("ADD", cadre("far", unit_id="U2"), "CADRE_NOT_IN_UNIT"),
])
def test_changes_that_make_no_sense_are_refused(what, who, code):
    with pytest.raises((Conflict, RuleViolation)) as caught:
        change(cycle_of([cadre("a")]), who, what)
    assert caught.value.code == code


def test_no_change_after_finalize_nor_on_another_kind():
    a = cadre("a")
    for cycle in ({**cycle_of([a]), "status": "FINALIZED"}, {**cycle_of([a]), "kind": "SPECIAL"}):
        with pytest.raises(Conflict) as caught:
            change(cycle, a, "REMOVE")
        assert caught.value.code in ("CYCLE_FINALIZED", "NOT_AN_ANNUAL_CYCLE")


def test_a_removal_that_leaves_a_pool_over_its_quota_is_refused_and_changes_nothing():
    roster = [cadre(f"c{i}") for i in range(7)]  # 7 × 0.15 → 1
    cycle = grade(cycle_of(roster), roster[0], "EXCELLENT", rules.QuotaTerms(None), roster)
    with pytest.raises(RuleViolation) as caught:
        change(cycle, roster[1], "REMOVE")  # 6 × 0.15 → 0, with one EXCELLENT
    assert (caught.value.code, caught.value.details["max"], caught.value.details["used"]) == (
        "EXCELLENT_QUOTA_EXCEEDED", 0, 1)
    change(cycle, roster[0], "REMOVE")  # the EXCELLENT one goes with their grade: within quota


def test_finalize_is_refused_while_a_participant_has_no_grade_naming_them():
    a, b = cadre("a"), cadre("b")
    cycle = grade(cycle_of([a, b]), a, "COMPETENT", rules.QuotaTerms(None), [a, b])
    with pytest.raises(RuleViolation) as caught:
        decide.finalize_cycle(cycle, terms=rules.QuotaTerms(None), group=None,
                              names={"b": "干部b"}, bars={}, now=NOW)
    assert (caught.value.code, caught.value.rule) == ("PARTICIPANTS_UNGRADED", "A-1")
    assert caught.value.details == {"ungraded": [{"cadre_id": "b", "name": "干部b"}]}
    assert "干部b" in str(caught.value)
    cycle = change(cycle, b, "NOT_RATED")
    assert decide.finalize_cycle(cycle, terms=rules.QuotaTerms(None), group=None, names={}, bars={},
                                 now=NOW).set["status"] == "FINALIZED"


def test_a_cycle_opened_before_lists_counts_the_roster_and_finalizes_as_before():
    roster = [cadre(f"c{i}") for i in range(14)]
    v1 = {"_id": "Y0", "unit_id": "U1", "year": 2024, "kind": "ANNUAL", "status": "OPEN",
          "opened_at": NOW, "results": [{"cadre_id": "c0", "grade": "EXCELLENT", "in_quota": True}]}
    terms = rules.QuotaTerms(None, roster=roster)
    assert {p: (q.participants, q.used) for p, q in terms.sheet(v1).items()} == {"DEFAULT": (14, 1)}
    assert decide.finalize_cycle(v1, terms=terms, group=None, names={}, bars={},
                                 now=NOW).set["status"] == "FINALIZED"
    # its first participant change lists the roster first
    changed = change(v1, roster[3], "NOT_RATED", terms)
    assert len(changed["participants"]) == 13 and changed[rules.LISTED_AT] == NOW


def test_a_group_counts_its_units_together_pool_by_pool():
    # two units of 4: alone each has floor(4 × 0.15) = 0; pooled, floor(8 × 0.15) = 1
    left = [cadre(f"l{i}") for i in range(4)]
    cycle = cycle_of(left)
    alone = rules.QuotaTerms(None)
    with pytest.raises(RuleViolation):
        grade(cycle, left[0], "EXCELLENT", alone, left)
    pooled = rules.QuotaTerms(None, other_participants=Counter({"DEFAULT": 4}))
    cycle = grade(cycle, left[0], "EXCELLENT", pooled, left)
    full = rules.QuotaTerms(None, other_participants=Counter({"DEFAULT": 4}),
                            other_used=Counter({"DEFAULT": 1}))
    with pytest.raises(RuleViolation) as caught:
        rules.check_within_quota("ANNUAL", full.sheet(cycle))
    assert caught.value.details["used"] == 2 and caught.value.details["max"] == 1


def test_a_finalize_waits_while_its_group_is_forming():
    cycle = {**cycle_of([]), "group_id": "G"}
    with pytest.raises(Conflict) as caught:
        decide.finalize_cycle(cycle, terms=rules.QuotaTerms(None), group="FORMING", names={},
                              bars={}, now=NOW)
    assert caught.value.code == "QUOTA_GROUP_FORMING"


@pytest.mark.parametrize("group,age,state", [
    (None, 0, None), ({"state": "ABANDONED"}, 0, None), ({"state": "FORMED"}, 9999, "FORMED"),
    ({"state": "FORMING"}, 10, "FORMING"), ({"state": "FORMING"}, 61, None),
])
def test_a_group_forming_too_long_died_midway(group, age, state):
    if group:
        group = {**group, "created_at": NOW - timedelta(seconds=age)}
    assert rules.group_in_force(group, NOW, 60) == state


def open_annual(cycle_id, unit_id, year=2025, status="OPEN", kind="ANNUAL"):
    return {"_id": cycle_id, "unit_id": unit_id, "year": year, "status": status, "kind": kind}


@pytest.mark.parametrize("cycles,code", [
    ([open_annual("A", "U1"), open_annual("B", "U2", year=2024)], "QUOTA_GROUP_YEARS"),
    ([open_annual("A", "U1"), open_annual("B", "U2", status="FINALIZED")], "CYCLE_FINALIZED"),
    ([open_annual("A", "U1"), open_annual("B", "U2", kind="SPECIAL")], "NOT_AN_ANNUAL_CYCLE"),
    ([open_annual("A", "U1"), open_annual("B", "U1")], "QUOTA_GROUP_UNITS"),
])
def test_a_group_across_years_or_with_a_finalized_cycle_is_refused(cycles, code):
    with pytest.raises(Conflict) as caught:
        rules.check_quota_group(cycles, [c["_id"] for c in cycles])
    assert caught.value.code == code


def test_a_cycle_already_in_a_group_in_force_is_not_claimed_again():
    cycle = {**cycle_of([cadre("a")]), "group_id": "G1"}
    with pytest.raises(Conflict) as caught:
        decide.join_group(cycle, group_id="G2", in_group="FORMED", terms=rules.QuotaTerms(None))
    assert caught.value.code == "CYCLE_IN_QUOTA_GROUP"
    assert decide.join_group(cycle, group_id="G2", in_group=None,
                             terms=rules.QuotaTerms(None)).set == {"group_id": "G2"}


def test_joining_a_group_lists_a_first_version_cycle_and_pools_its_results():
    roster = [cadre("a", "PUBLIC_INSTITUTION_STAFF"), cadre("b")]
    v1 = {"_id": "Y0", "unit_id": "U1", "year": 2025, "kind": "ANNUAL", "status": "OPEN",
          "opened_at": NOW, "results": [{"cadre_id": "a", "grade": "EXCELLENT", "in_quota": True}]}
    joined = decide.join_group(v1, group_id="G", in_group=None,
                               terms=rules.QuotaTerms(STREET, roster=roster)).set
    assert joined["participants"] == [{"cadre_id": "a", "pool": "DEFAULT"},
                                      {"cadre_id": "b", "pool": "STREET_CIVIL_SERVANT"}]
    assert joined["results"][0]["pool"] == "DEFAULT"


def test_cadres_graded_at_once_while_unlisted_all_count_before_any_row_is_checked():
    # the cycle opened before appraisal knew the roster; the unit's 7 are graded in one call, the
    # EXCELLENT first: 7 × 0.15 → 1, whatever the order of the rows
    roster = [cadre(f"c{i}") for i in range(7)]
    cycle = cycle_of([])
    grades = [{"cadre_id": c["_id"], "grade": "EXCELLENT" if i == 0 else "COMPETENT"}
              for i, c in enumerate(roster)]
    change_ = decide.record_grades(cycle, grades, {c["_id"]: c for c in roster},
                                   terms=rules.QuotaTerms(None), unit_grade=None, bars={},
                                   unrestricted=False, policy=rules.Policy(), now=NOW)
    assert len(change_.set["participants"]) == 7
    assert len(change_.append["participant_changes"]) == 7
