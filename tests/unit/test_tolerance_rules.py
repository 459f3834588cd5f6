"""Tolerance's pure rules (DOMAIN.md section T): the outcomes the seven conditions allow (T-2, T-3, T-4), the
ruling's checks (T-5), corrective measures (T-7), the application's life (T-1) and the four eyes."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.common.errors import Conflict, RuleViolation
from services.tolerance import rules

NOW = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
WUHAN = timezone(timedelta(hours=8))

# --- the vocabulary, written out by hand from DOMAIN.md section T (independent of rules.py's constants) ----

# T-1: the ten situations of 001, in its order
SITUATIONS = ("REFORM_EXPLORATION", "INVESTMENT_AND_TALENT", "INDUSTRY_SUPPORT", "URBAN_CONSTRUCTION",
              "STREAMLINED_SERVICE", "LEGACY_PROBLEMS", "EMERGENCY_RESPONSE", "BOLD_APPOINTMENT",
              "ADAPTIVE_IMPLEMENTATION", "OTHER_APPROVED")
CONDITIONS = ("NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED", "DILIGENT", "NO_PRIVATE_GAIN",
              "NO_MALICIOUS_COLLUSION", "NO_MAJOR_LOSS", "PROACTIVE_RECTIFICATION")
# T-2 坚决不容: a prohibition violated, private gain, malicious collusion
RED_LINES = ("NO_PROHIBITION_VIOLATED", "NO_PRIVATE_GAIN", "NO_MALICIOUS_COLLUSION")
# T-3 免除相关责任 (001)
EXEMPTION_CONDITIONS = ("NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED", "DILIGENT",
                        "NO_PRIVATE_GAIN", "NO_MAJOR_LOSS")
# T-5 分析研判 (000 item 10)
FACTORS = ("MOTIVE_ATTITUDE", "OBJECTIVE_CONDITIONS", "PROCEDURE_METHOD", "NATURE_DEGREE", "CONSEQUENCES",
           "LOSS_RECOVERY")


def test_the_ten_situations_in_001s_order():
    # rule T-1
    assert rules.SITUATIONS == SITUATIONS
    assert rules.OTHER_APPROVED == "OTHER_APPROVED"


def test_the_seven_conditions_and_six_factors():
    # rules T-2..T-5
    assert rules.CONDITIONS == CONDITIONS
    assert rules.FACTORS == FACTORS


def test_the_red_lines_are_t2s():
    # rule T-2
    assert rules.RED_LINES == RED_LINES


def test_the_exemption_conditions_are_t3s():
    # rule T-3: every condition but malicious collusion (a red line anyway) and proactive rectification (T-4)
    assert rules.EXEMPTION_CONDITIONS == EXEMPTION_CONDITIONS
    assert set(CONDITIONS) - set(rules.EXEMPTION_CONDITIONS) == {"NO_MALICIOUS_COLLUSION",
                                                                "PROACTIVE_RECTIFICATION"}


def test_the_outcomes_states_and_measure_states():
    # rules T-1, T-4, T-7
    assert rules.OUTCOMES == ("EXEMPTED", "MITIGATED", "REJECTED")
    assert rules.CORRECTED == ("EXEMPTED", "MITIGATED")
    assert (rules.FILED, rules.UNDER_REVIEW, rules.RULED) == ("FILED", "UNDER_REVIEW", "RULED")
    assert (rules.OPEN, rules.DONE) == ("OPEN", "DONE")


# --- the outcome table over all 2^7 combinations ---------------------------------------------------------


def expected_outcomes(c):
    """The oracle, from DOMAIN.md T-2..T-4 as the docstring of allowed_outcomes reads them."""
    # T-2: a red line crossed is REJECTED, whatever else holds
    if not (c["NO_PROHIBITION_VIOLATED"] and c["NO_PRIVATE_GAIN"] and c["NO_MALICIOUS_COLLUSION"]):
        return [("REJECTED", ("T-2",))]
    # the red lines are clear from here on, so T-3 needs only the rest of its five
    t3 = c["DECISION_PROCEDURE_FOLLOWED"] and c["DILIGENT"] and c["NO_MAJOR_LOSS"]
    # T-4: diligent and proactively rectified; loss or no loss (the loss is a concession, not a requirement)
    t4 = c["DILIGENT"] and c["PROACTIVE_RECTIFICATION"]
    if t3 and t4:
        return [("EXEMPTED", ("T-3", "T-4")), ("MITIGATED", ("T-4",))]
    if t3:
        return [("EXEMPTED", ("T-3",))]
    if t4:
        return [("EXEMPTED", ("T-4",)), ("MITIGATED", ("T-4",))]
    # T-4: anything else
    return [("REJECTED", ("T-4",))]


def expected_refusal_rule(c):
    """The rule a refused ruling names: T-2 for a red line, T-4 for nothing allowed, the single rule behind
    what is allowed, else T-5 (several rules)."""
    if not (c["NO_PROHIBITION_VIOLATED"] and c["NO_PRIVATE_GAIN"] and c["NO_MALICIOUS_COLLUSION"]):
        return "T-2"
    t3 = c["DECISION_PROCEDURE_FOLLOWED"] and c["DILIGENT"] and c["NO_MAJOR_LOSS"]
    t4 = c["DILIGENT"] and c["PROACTIVE_RECTIFICATION"]
    if t3 and t4:
        return "T-5"
    if t3:
        return "T-3"
    return "T-4"  # T-4 alone allows EXEMPTED and MITIGATED; neither leaves REJECTED by T-4


ALL_COMBINATIONS = [dict(zip(CONDITIONS, values, strict=True))
                    for values in itertools.product((False, True), repeat=len(CONDITIONS))]


def combination_id(c):
    return "".join("1" if c[code] else "0" for code in CONDITIONS)


def as_pairs(allowed):
    return [(option.outcome, option.rules) for option in allowed]


def test_there_are_128_combinations_and_the_oracle_splits_them_as_expected():
    # 3 red lines: 7 of their 8 values cross one (7 * 16 = 112); of the 16 with them clear, one has T-3 and
    # T-4, one T-3 alone (no proactive rectification), three T-4 alone (procedure or loss failing), 11 nothing
    assert len(ALL_COMBINATIONS) == 128
    assert len({combination_id(c) for c in ALL_COMBINATIONS}) == 128
    counts = {}
    for c in ALL_COMBINATIONS:
        key = tuple(expected_outcomes(c))
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        (("REJECTED", ("T-2",)),): 112,
        (("EXEMPTED", ("T-3", "T-4")), ("MITIGATED", ("T-4",))): 1,
        (("EXEMPTED", ("T-3",)),): 1,
        (("EXEMPTED", ("T-4",)), ("MITIGATED", ("T-4",))): 3,
        (("REJECTED", ("T-4",)),): 11,
    }


@pytest.mark.parametrize("conditions", ALL_COMBINATIONS, ids=combination_id)
def test_allowed_outcomes(conditions):
    # rules T-2, T-3, T-4: the exact outcomes, in order, each with the rules that allow it
    allowed = rules.allowed_outcomes(conditions)
    assert all(isinstance(option, rules.Outcome) for option in allowed)
    assert as_pairs(allowed) == expected_outcomes(conditions)


@pytest.mark.parametrize("conditions", ALL_COMBINATIONS, ids=combination_id)
def test_check_outcome_over_all_combinations(conditions):
    # rule T-5: an allowed outcome is accepted with its rules; any other is refused, naming the rule
    expected = expected_outcomes(conditions)
    allowed = rules.allowed_outcomes(conditions)
    for outcome, outcome_rules in expected:
        assert rules.check_outcome(outcome, allowed) == rules.Outcome(outcome, outcome_rules)
    for outcome in ("EXEMPTED", "MITIGATED", "REJECTED", "PARDONED"):
        if outcome in {o for o, _ in expected}:
            continue
        with pytest.raises(RuleViolation) as caught:
            rules.check_outcome(outcome, allowed)
        assert caught.value.code == "OUTCOME_NOT_ALLOWED"
        assert caught.value.rule == expected_refusal_rule(conditions)
        assert caught.value.details == {
            "outcome": outcome,
            "rules": sorted({rule for _, outcome_rules in expected for rule in outcome_rules}),
            "allowed": [{"outcome": o, "rules": list(r)} for o, r in expected],
        }


def test_unrecorded_conditions_do_not_hold():
    # rules T-2, T-4: a condition not recorded does not hold (a red line is clear only once established)
    assert as_pairs(rules.allowed_outcomes({})) == [("REJECTED", ("T-2",))]
    clear = dict.fromkeys(RED_LINES, True)
    assert as_pairs(rules.allowed_outcomes(clear)) == [("REJECTED", ("T-4",))]


# Monotonicity: every one of the seven conditions is a fact in the cadre's favour (no prohibition violated, no
# private gain, diligent, ...). The docstring decides that T-4's "but some loss" is a concession, so a better
# fact never takes an outcome away; REJECTED is only the fallback where nothing else is allowed, so it is the
# one outcome that may vanish when a condition turns true (REJECTED by T-4 becomes EXEMPTED/MITIGATED, and
# REJECTED by T-2 may become anything). The rules behind a kept outcome never shrink either.
FLIPS = [(c, code) for c in ALL_COMBINATIONS for code in CONDITIONS if not c[code]]


@pytest.mark.parametrize("conditions,code", FLIPS,
                         ids=[f"{combination_id(c)}+{code}" for c, code in FLIPS])
def test_a_better_fact_never_takes_an_outcome_away(conditions, code):
    # rules T-2, T-3, T-4
    before = dict(as_pairs(rules.allowed_outcomes(conditions)))
    after = dict(as_pairs(rules.allowed_outcomes({**conditions, code: True})))
    for outcome, outcome_rules in before.items():
        if outcome == "REJECTED":
            continue
        assert outcome in after, f"turning {code} true took {outcome} away"
        assert set(outcome_rules) <= set(after[outcome])


def test_the_monotonicity_flips_cover_every_false_condition():
    assert len(FLIPS) == 128 * 7 // 2


# --- check_outcome, by example ---------------------------------------------------------------------------

EVERYTHING = dict.fromkeys(CONDITIONS, True)


def refused(outcome, conditions):
    with pytest.raises(RuleViolation) as caught:
        rules.check_outcome(outcome, rules.allowed_outcomes(conditions))
    assert caught.value.code == "OUTCOME_NOT_ALLOWED"
    assert caught.value.details["outcome"] == outcome
    return caught.value


@pytest.mark.parametrize("red_line", RED_LINES)
@pytest.mark.parametrize("outcome", ["EXEMPTED", "MITIGATED"])
def test_a_red_line_refuses_leniency_naming_t2(red_line, outcome):
    # rule T-2
    error = refused(outcome, {**EVERYTHING, red_line: False})
    assert error.rule == "T-2"
    assert error.details["rules"] == ["T-2"]
    assert error.details["allowed"] == [{"outcome": "REJECTED", "rules": ["T-2"]}]


@pytest.mark.parametrize("outcome", ["EXEMPTED", "MITIGATED"])
def test_nothing_met_refuses_leniency_naming_t4(outcome):
    # rule T-4: red lines clear, but neither diligent nor rectified
    error = refused(outcome, {**EVERYTHING, "DILIGENT": False})
    assert error.rule == "T-4"
    assert error.details["allowed"] == [{"outcome": "REJECTED", "rules": ["T-4"]}]


def test_t3_alone_refuses_mitigated_and_rejected_naming_t3():
    # rule T-3: no proactive rectification, so T-4 does not apply; EXEMPTED is the only outcome
    conditions = {**EVERYTHING, "PROACTIVE_RECTIFICATION": False}
    for outcome in ("MITIGATED", "REJECTED"):
        error = refused(outcome, conditions)
        assert error.rule == "T-3"
        assert error.details["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-3"]}]


def test_t4_alone_refuses_rejected_naming_t4():
    # rule T-4: a major loss, diligent and rectified: EXEMPTED or MITIGATED, both by T-4
    error = refused("REJECTED", {**EVERYTHING, "NO_MAJOR_LOSS": False})
    assert error.rule == "T-4"
    assert error.details["rules"] == ["T-4"]
    assert error.details["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-4"]},
                                        {"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_several_rules_refuse_naming_t5():
    # rule T-5: T-3 and T-4 both allow something, so the refusal names T-5 and lists both
    error = refused("REJECTED", EVERYTHING)
    assert error.rule == "T-5"
    assert error.details["rules"] == ["T-3", "T-4"]
    assert error.details["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-3", "T-4"]},
                                        {"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_check_outcome_returns_the_allowed_option():
    # rule T-5
    allowed = rules.allowed_outcomes(EVERYTHING)
    assert rules.check_outcome("EXEMPTED", allowed) == rules.Outcome("EXEMPTED", ("T-3", "T-4"))
    assert rules.check_outcome("MITIGATED", allowed) == rules.Outcome("MITIGATED", ("T-4",))


# --- check_assessed (T-5) --------------------------------------------------------------------------------


def assessed(conditions=CONDITIONS, factors=FACTORS, holds=True):
    return {
        "_id": "A1",
        "conditions": {code: {"holds": holds, "evidence": "会议纪要", "by": "officer-1", "at": NOW}
                       for code in conditions},
        "factors": {code: {"rating": "FAVOURABLE", "note": "", "by": "officer-1", "at": NOW}
                    for code in factors},
    }


@pytest.mark.parametrize("holds", [True, False])
def test_a_complete_assessment_passes(holds):
    # rule T-5: recorded is what counts, whether the condition holds or not
    assert rules.check_assessed(assessed(holds=holds)) is None


def incomplete(application):
    with pytest.raises(RuleViolation) as caught:
        rules.check_assessed(application)
    assert caught.value.code == "ASSESSMENT_INCOMPLETE"
    assert caught.value.rule == "T-5"
    return caught.value.details


@pytest.mark.parametrize("absent", CONDITIONS)
def test_each_condition_is_needed(absent):
    # rule T-5
    details = incomplete(assessed(conditions=[c for c in CONDITIONS if c != absent]))
    assert details == {"missing_conditions": [absent], "missing_factors": []}


@pytest.mark.parametrize("absent", FACTORS)
def test_each_factor_is_needed(absent):
    # rule T-5
    details = incomplete(assessed(factors=[f for f in FACTORS if f != absent]))
    assert details == {"missing_conditions": [], "missing_factors": [absent]}


def test_the_missing_ones_are_named_in_the_domains_order():
    # rule T-5
    application = assessed(conditions=["DILIGENT", "NO_MAJOR_LOSS", "NO_PRIVATE_GAIN"],
                           factors=["CONSEQUENCES", "MOTIVE_ATTITUDE"])
    assert incomplete(application) == {
        "missing_conditions": ["NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED",
                               "NO_MALICIOUS_COLLUSION", "PROACTIVE_RECTIFICATION"],
        "missing_factors": ["OBJECTIVE_CONDITIONS", "PROCEDURE_METHOD", "NATURE_DEGREE", "LOSS_RECOVERY"],
    }


@pytest.mark.parametrize("application", [
    {"_id": "A1"},
    {"_id": "A1", "conditions": None, "factors": None},
    {"_id": "A1", "conditions": {}, "factors": {}},
])
def test_nothing_assessed_names_everything(application):
    # rule T-5
    assert incomplete(application) == {"missing_conditions": list(CONDITIONS),
                                       "missing_factors": list(FACTORS)}


# --- check_measures (T-7) --------------------------------------------------------------------------------


def measure(description, due):
    return {"description": description, "due": due}


AHEAD = [measure("追回项目资金", NOW + timedelta(days=30)), measure("完善审批制度", NOW + timedelta(days=90))]


@pytest.mark.parametrize("outcome", ["EXEMPTED", "MITIGATED"])
def test_leniency_carries_measures(outcome):
    # rule T-7 有错必纠
    with pytest.raises(RuleViolation) as caught:
        rules.check_measures(outcome, [], NOW)
    assert caught.value.code == "MEASURES_REQUIRED"
    assert caught.value.rule == "T-7"


@pytest.mark.parametrize("outcome", ["EXEMPTED", "MITIGATED"])
def test_leniency_with_deadlines_ahead_passes(outcome):
    # rule T-7
    assert rules.check_measures(outcome, AHEAD, NOW) is None
    assert rules.check_measures(outcome, [measure("整改", NOW + timedelta(microseconds=1))], NOW) is None


def test_a_rejection_carries_no_measures():
    # rule T-7: the case goes on in accountability
    with pytest.raises(RuleViolation) as caught:
        rules.check_measures("REJECTED", AHEAD, NOW)
    assert caught.value.code == "MEASURES_NOT_ALLOWED"
    assert caught.value.rule == "T-7"
    assert rules.check_measures("REJECTED", [], NOW) is None


@pytest.mark.parametrize("outcome", ["EXEMPTED", "MITIGATED"])
@pytest.mark.parametrize("due", [
    NOW - timedelta(days=1),
    NOW - timedelta(microseconds=1),
    NOW,
    NOW.astimezone(WUHAN),  # the same instant, written in Wuhan's time
], ids=["a-day-ago", "a-microsecond-ago", "now", "now-in-wuhan"])
def test_a_deadline_not_ahead_is_refused(outcome, due):
    # rule T-7: a deadline in the past or equal to now
    with pytest.raises(RuleViolation) as caught:
        rules.check_measures(outcome, [AHEAD[0], measure("公开说明情况", due)], NOW)
    assert caught.value.code == "DEADLINE_PASSED"
    assert caught.value.rule == "T-7"
    assert caught.value.details == {"measures": ["公开说明情况"]}


def test_every_passed_deadline_is_listed_in_order():
    # rule T-7
    measures = [measure("甲", NOW - timedelta(days=3)), measure("乙", NOW + timedelta(days=1)),
                measure("丙", NOW), measure("丁", NOW - timedelta(days=10))]
    with pytest.raises(RuleViolation) as caught:
        rules.check_measures("MITIGATED", measures, NOW)
    assert caught.value.code == "DEADLINE_PASSED"
    assert caught.value.details == {"measures": ["甲", "丙", "丁"]}


# --- check_status (T-1) ----------------------------------------------------------------------------------

STATUSES = ("FILED", "UNDER_REVIEW", "RULED")
STEPS = [(("FILED",), "start the review"), (("UNDER_REVIEW",), "assess"), (("RULED",), "complete a measure"),
         (("FILED", "UNDER_REVIEW"), "withdraw")]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("allowed,doing", STEPS)
def test_check_status(status, allowed, doing):
    # rule T-1: FILED -> UNDER_REVIEW -> RULED, each step only from the state before it
    application = {"_id": "A1", "status": status}
    if status in allowed:
        assert rules.check_status(application, *allowed, doing=doing) is None
        return
    with pytest.raises(Conflict) as caught:
        rules.check_status(application, *allowed, doing=doing)
    assert caught.value.code == "APPLICATION_STATE"
    assert caught.value.rule == "T-1"
    assert caught.value.details == {"status": status, "needs": list(allowed)}


# --- check_reference (T-1) -------------------------------------------------------------------------------


@pytest.mark.parametrize("reference", [None, ""])
def test_other_approved_needs_the_approving_reference(reference):
    # rule T-1
    with pytest.raises(RuleViolation) as caught:
        rules.check_reference("OTHER_APPROVED", reference)
    assert caught.value.code == "REFERENCE_REQUIRED"
    assert caught.value.rule == "T-1"


def test_other_approved_with_its_reference_passes():
    # rule T-1
    assert rules.check_reference("OTHER_APPROVED", "武汉市委〔2018〕12号") is None


@pytest.mark.parametrize("situation", SITUATIONS[:-1])
@pytest.mark.parametrize("reference", [None, "", "武汉市委〔2018〕12号"])
def test_the_other_situations_need_no_reference(situation, reference):
    # rule T-1
    assert rules.check_reference(situation, reference) is None


# --- check_four_eyes -------------------------------------------------------------------------------------

PROPOSAL = {"proposal_id": "P2", "by": "officer-1", "outcome": "EXEMPTED", "measures": AHEAD}


@pytest.mark.parametrize("proposal", [None, {}])
def test_approving_needs_a_proposal(proposal):
    with pytest.raises(Conflict) as caught:
        rules.check_four_eyes(proposal, "officer-2", "P2")
    assert caught.value.code == "NO_PROPOSAL"


def test_the_proposer_cannot_approve():
    with pytest.raises(RuleViolation) as caught:
        rules.check_four_eyes(PROPOSAL, "officer-1", "P2")
    assert caught.value.code == "FOUR_EYES"
    assert caught.value.details == {"proposed_by": "officer-1"}


def test_a_replaced_proposal_is_not_approved():
    with pytest.raises(Conflict) as caught:
        rules.check_four_eyes(PROPOSAL, "officer-2", "P1")
    assert caught.value.code == "PROPOSAL_CHANGED"
    assert caught.value.details == {"proposal_id": "P2"}


def test_another_officer_approves_the_proposal_as_read():
    assert rules.check_four_eyes(PROPOSAL, "officer-2", "P2") is None


# --- overdue (T-7) ---------------------------------------------------------------------------------------


def tracked(description, due, status="OPEN"):
    return {"description": description, "due": due, "status": status}


def test_overdue_lists_open_measures_past_their_deadline_most_overdue_first():
    # rule T-7
    a_week = tracked("一周前", NOW - timedelta(days=7))
    a_month = tracked("一月前", NOW - timedelta(days=30))
    a_second = tracked("一秒前", NOW - timedelta(seconds=1))
    due_now = tracked("此刻", NOW)
    ahead = tracked("下月", NOW + timedelta(days=30))
    done_late = tracked("已完成", NOW - timedelta(days=60), status="DONE")
    done_ahead = tracked("提前完成", NOW + timedelta(days=5), status="DONE")
    found = rules.overdue([a_week, due_now, done_late, ahead, a_month, done_ahead, a_second], NOW)
    assert found == [a_month, a_week, a_second]
    assert all(got is want for got, want in zip(found, [a_month, a_week, a_second], strict=True))


def test_overdue_compares_instants_not_clock_faces():
    # rule T-7: 17:29 in Wuhan is 09:29 UTC, a minute before NOW
    in_wuhan = tracked("武汉时间", datetime(2025, 3, 15, 17, 29, tzinfo=WUHAN))
    assert rules.overdue([in_wuhan], NOW) == [in_wuhan]
    assert rules.overdue([tracked("武汉时间", NOW.astimezone(WUHAN))], NOW) == []


def test_nothing_is_overdue_in_nothing():
    assert rules.overdue([], NOW) == []
