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
              "NO_MALICIOUS_COLLUSION", "PROACTIVE_RECTIFICATION", "SITUATION_CONDITION")
# T-2 坚决不容: a prohibition violated, private gain, malicious collusion
RED_LINES = ("NO_PROHIBITION_VIOLATED", "NO_PRIVATE_GAIN", "NO_MALICIOUS_COLLUSION")
# T-3 (v2): the situation's condition, the decision procedure, diligence (and no loss, red lines clear)
EXEMPTION_CONDITIONS = ("SITUATION_CONDITION", "DECISION_PROCEDURE_FOLLOWED", "DILIGENT")
# (v2) loss as a level, from the best to the worst
LOSSES = ("NONE", "SOME", "MAJOR")
# T-5 分析研判 (000 item 10)
FACTORS = ("MOTIVE_ATTITUDE", "OBJECTIVE_CONDITIONS", "PROCEDURE_METHOD", "NATURE_DEGREE", "CONSEQUENCES",
           "LOSS_RECOVERY")


def test_the_ten_situations_in_001s_order_each_with_its_own_condition():
    # rule T-1 (v2): SITUATION_CONDITION asks each situation's own condition, in 001's words
    assert rules.SITUATIONS == SITUATIONS
    assert rules.OTHER_APPROVED == "OTHER_APPROVED"
    assert list(rules.SITUATION_CONDITIONS) == list(SITUATIONS)
    assert rules.SITUATION_CONDITIONS["REFORM_EXPLORATION"] == "因政策不明确或缺乏经验出现探索性失误的"
    assert "事后积极主动消除影响和挽回损失" in rules.SITUATION_CONDITIONS["EMERGENCY_RESPONSE"]


def test_the_seven_conditions_the_loss_levels_and_six_factors():
    # rules T-2..T-5 (v2): SITUATION_CONDITION in, NO_MAJOR_LOSS out (loss is a level)
    assert rules.CONDITIONS == CONDITIONS
    assert rules.LOSS_LEVELS == LOSSES
    assert rules.FACTORS == FACTORS


def test_the_red_lines_are_t2s():
    # rule T-2
    assert rules.RED_LINES == RED_LINES


def test_the_exemption_conditions_are_t3s():
    # rule T-3 (v2)
    assert rules.EXEMPTION_CONDITIONS == EXEMPTION_CONDITIONS


def test_the_outcomes_states_and_measure_states():
    # rules T-1, T-4, T-7
    assert rules.OUTCOMES == ("EXEMPTED", "MITIGATED", "REJECTED")
    assert rules.CORRECTED == ("EXEMPTED", "MITIGATED")
    assert (rules.FILED, rules.UNDER_REVIEW, rules.RULED) == ("FILED", "UNDER_REVIEW", "RULED")
    assert (rules.OPEN, rules.DONE) == ("OPEN", "DONE")


# --- the outcome table over all 2^7 x 3 combinations -----------------------------------------------------


def expected_outcomes(c, loss):
    """The oracle, from DOMAIN.md T-2..T-4 (v2) as the docstring of allowed_outcomes reads them."""
    # T-2: a red line crossed is REJECTED, whatever else holds
    if not (c["NO_PROHIBITION_VIOLATED"] and c["NO_PRIVATE_GAIN"] and c["NO_MALICIOUS_COLLUSION"]):
        return [("REJECTED", ("T-2",))]
    qualified = c["SITUATION_CONDITION"] and c["DECISION_PROCEDURE_FOLLOWED"] and c["DILIGENT"]
    # T-3: qualified and no loss at all
    t3 = qualified and loss == "NONE"
    # T-4: diligent and proactively rectified: exempted only with no major loss and qualified as T-3
    # asks, mitigated whatever the loss -- a major loss is never exempted
    t4 = c["DILIGENT"] and c["PROACTIVE_RECTIFICATION"]
    t4_exempts = t4 and qualified and loss in ("NONE", "SOME")
    exempted_by = tuple(rule for rule, holds in (("T-3", t3), ("T-4", t4_exempts)) if holds)
    found = [("EXEMPTED", exempted_by)] if exempted_by else []
    if t4:
        found.append(("MITIGATED", ("T-4",)))
    return found or [("REJECTED", ("T-4",))]


def expected_refusal_rule(c, loss):
    """The rule a refused ruling names: T-2 for a red line, the single rule behind what is allowed,
    else T-5 (several rules)."""
    allowed_rules = {rule for _, rules_ in expected_outcomes(c, loss) for rule in rules_}
    return allowed_rules.pop() if len(allowed_rules) == 1 else "T-5"


ALL_COMBINATIONS = [(dict(zip(CONDITIONS, values, strict=True)), loss)
                    for values in itertools.product((False, True), repeat=len(CONDITIONS))
                    for loss in LOSSES]


def combination_id(combination):
    c, loss = combination
    return "".join("1" if c[code] else "0" for code in CONDITIONS) + f"-{loss}"


def as_pairs(allowed):
    return [(option.outcome, option.rules) for option in allowed]


def test_there_are_384_combinations_and_the_oracle_splits_them_as_expected():
    # red lines: 7 of their 8 values cross one (7 * 16 * 3 = 336); of the 48 with them clear (the other
    # four conditions x three losses), counted by hand from the rules:
    # - T-3 and T-4 (exempted by both, or mitigated): all four hold, no loss                      -> 1
    # - T-3 alone: qualified, no rectification, no loss                                              -> 1
    # - T-4 exempts, T-3 not: all four hold, some loss                                               -> 1
    # - mitigated only: diligent and rectified, and a major loss (4 of the other two) or not
    #   qualified (3 of the other two, none or some loss: 3 * 2)                                      -> 4 + 6
    # - nothing: 48 - 13                                                                             -> 35
    assert len(ALL_COMBINATIONS) == 384
    assert len({combination_id(c) for c in ALL_COMBINATIONS}) == 384
    counts = {}
    for c, loss in ALL_COMBINATIONS:
        key = tuple(expected_outcomes(c, loss))
        counts[key] = counts.get(key, 0) + 1
    assert counts == {
        (("REJECTED", ("T-2",)),): 336,
        (("EXEMPTED", ("T-3", "T-4")), ("MITIGATED", ("T-4",))): 1,
        (("EXEMPTED", ("T-3",)),): 1,
        (("EXEMPTED", ("T-4",)), ("MITIGATED", ("T-4",))): 1,
        (("MITIGATED", ("T-4",)),): 10,
        (("REJECTED", ("T-4",)),): 35,
    }


@pytest.mark.parametrize("combination", ALL_COMBINATIONS, ids=combination_id)
def test_allowed_outcomes(combination):
    # rules T-2, T-3, T-4: the exact outcomes, in order, each with the rules that allow it
    conditions, loss = combination
    allowed = rules.allowed_outcomes(conditions, loss)
    assert all(isinstance(option, rules.Outcome) for option in allowed)
    assert as_pairs(allowed) == expected_outcomes(conditions, loss)


@pytest.mark.parametrize("combination", ALL_COMBINATIONS, ids=combination_id)
def test_a_major_loss_is_never_exempted(combination):
    # rule T-4 (v2)
    conditions, _ = combination
    assert "EXEMPTED" not in dict(as_pairs(rules.allowed_outcomes(conditions, "MAJOR")))


@pytest.mark.parametrize("combination", ALL_COMBINATIONS, ids=combination_id)
def test_check_outcome_over_all_combinations(combination):
    # rule T-5: an allowed outcome is accepted with its rules; any other is refused, naming the rule
    conditions, loss = combination
    expected = expected_outcomes(conditions, loss)
    allowed = rules.allowed_outcomes(conditions, loss)
    for outcome, outcome_rules in expected:
        assert rules.check_outcome(outcome, allowed) == rules.Outcome(outcome, outcome_rules)
    for outcome in ("EXEMPTED", "MITIGATED", "REJECTED", "PARDONED"):
        if outcome in {o for o, _ in expected}:
            continue
        with pytest.raises(RuleViolation) as caught:
            rules.check_outcome(outcome, allowed)
        assert caught.value.code == "OUTCOME_NOT_ALLOWED"
        assert caught.value.rule == expected_refusal_rule(conditions, loss)
        assert caught.value.details == {
            "outcome": outcome,
            "rules": sorted({rule for _, outcome_rules in expected for rule in outcome_rules}),
            "allowed": [{"outcome": o, "rules": list(r)} for o, r in expected],
        }


def test_unrecorded_conditions_do_not_hold_and_an_unrecorded_loss_is_major():
    # rules T-2, T-4: a condition not recorded does not hold (a red line is clear only once established)
    assert as_pairs(rules.allowed_outcomes({}, "NONE")) == [("REJECTED", ("T-2",))]
    clear = dict.fromkeys(RED_LINES, True)
    assert as_pairs(rules.allowed_outcomes(clear, "NONE")) == [("REJECTED", ("T-4",))]
    everything = dict.fromkeys(CONDITIONS, True)
    assert as_pairs(rules.allowed_outcomes(everything, None)) == [("MITIGATED", ("T-4",))]


# Monotonicity: every one of the seven conditions is a fact in the cadre's favour, and so is a smaller loss.
# The docstring decides that T-4's "but some loss" is a concession, so a better fact never takes an outcome
# away; REJECTED is only the fallback where nothing else is allowed, so it is the one outcome that may
# vanish when a fact improves. The rules behind a kept outcome never shrink either.
BETTER_LOSS = {"MAJOR": "SOME", "SOME": "NONE"}
FLIPS = ([((c, loss), {**c, code: True}, loss, code) for c, loss in ALL_COMBINATIONS
          for code in CONDITIONS if not c[code]]
         + [((c, loss), c, BETTER_LOSS[loss], f"loss {loss}->{BETTER_LOSS[loss]}")
            for c, loss in ALL_COMBINATIONS if loss in BETTER_LOSS])


@pytest.mark.parametrize("before,conditions,loss,what", FLIPS,
                         ids=[f"{combination_id(b)}+{what}" for b, _, _, what in FLIPS])
def test_a_better_fact_never_takes_an_outcome_away(before, conditions, loss, what):
    # rules T-2, T-3, T-4
    was = dict(as_pairs(rules.allowed_outcomes(*before)))
    now = dict(as_pairs(rules.allowed_outcomes(conditions, loss)))
    for outcome, outcome_rules in was.items():
        if outcome == "REJECTED":
            continue
        assert outcome in now, f"{what} took {outcome} away"
        assert set(outcome_rules) <= set(now[outcome])


def test_the_monotonicity_flips_cover_every_false_condition_and_every_loss_step():
    assert len(FLIPS) == 384 * 7 // 2 + 128 * 2


# --- check_outcome, by example ---------------------------------------------------------------------------

EVERYTHING = dict.fromkeys(CONDITIONS, True)


def refused(outcome, conditions, loss="NONE"):
    with pytest.raises(RuleViolation) as caught:
        rules.check_outcome(outcome, rules.allowed_outcomes(conditions, loss))
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
    # rule T-4: red lines clear, but not diligent
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


def test_some_loss_exempts_by_t4_only():
    # rule T-4 (v2): some loss, everything else holding: EXEMPTED or MITIGATED, both by T-4
    error = refused("REJECTED", EVERYTHING, "SOME")
    assert error.rule == "T-4"
    assert error.details["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-4"]},
                                        {"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_a_major_loss_refuses_exemption_naming_t4():
    # rule T-4 (v2): 重大损失 -- mitigated at most
    error = refused("EXEMPTED", EVERYTHING, "MAJOR")
    assert error.rule == "T-4"
    assert error.details["allowed"] == [{"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_without_the_situations_condition_nothing_is_exempted():
    # rules T-3, T-4 (v2): the situation's own condition is what makes it an exemptable situation
    error = refused("EXEMPTED", {**EVERYTHING, "SITUATION_CONDITION": False})
    assert error.details["allowed"] == [{"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_several_rules_refuse_naming_t5():
    # rule T-5: T-3 and T-4 both allow something, so the refusal names T-5 and lists both
    error = refused("REJECTED", EVERYTHING)
    assert error.rule == "T-5"
    assert error.details["rules"] == ["T-3", "T-4"]
    assert error.details["allowed"] == [{"outcome": "EXEMPTED", "rules": ["T-3", "T-4"]},
                                        {"outcome": "MITIGATED", "rules": ["T-4"]}]


def test_check_outcome_returns_the_allowed_option():
    # rule T-5
    allowed = rules.allowed_outcomes(EVERYTHING, "NONE")
    assert rules.check_outcome("EXEMPTED", allowed) == rules.Outcome("EXEMPTED", ("T-3", "T-4"))
    assert rules.check_outcome("MITIGATED", allowed) == rules.Outcome("MITIGATED", ("T-4",))


# --- a first-version assessment (NO_MAJOR_LOSS) ----------------------------------------------------------


def test_a_first_version_no_major_loss_false_reads_as_a_major_loss():
    application = {"conditions": {"NO_MAJOR_LOSS": {"holds": False, "evidence": "重大损失"}}}
    assert rules.recorded_loss(application) == "MAJOR"


def test_a_first_version_no_major_loss_true_leaves_the_level_to_be_recorded():
    # "not major" is none or some: T-3 and T-4 answer differently, so an officer records which
    application = {"conditions": {"NO_MAJOR_LOSS": {"holds": True, "evidence": "无重大损失"}}}
    assert rules.recorded_loss(application) is None
    assert rules.recorded_loss({**application, "loss": {"level": "SOME"}}) == "SOME"


# --- check_assessed (T-5) --------------------------------------------------------------------------------


def assessed(conditions=CONDITIONS, factors=FACTORS, holds=True, loss="NONE"):
    return {
        "_id": "A1",
        "conditions": {code: {"holds": holds, "evidence": "会议纪要", "by": "officer-1", "at": NOW}
                       for code in conditions},
        "loss": {"level": loss, "evidence": "审计", "by": "officer-1", "at": NOW} if loss else {},
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
    assert details == {"missing_conditions": [absent], "loss_missing": False, "missing_factors": []}


@pytest.mark.parametrize("absent", FACTORS)
def test_each_factor_is_needed(absent):
    # rule T-5
    details = incomplete(assessed(factors=[f for f in FACTORS if f != absent]))
    assert details == {"missing_conditions": [], "loss_missing": False, "missing_factors": [absent]}


def test_the_loss_is_needed():
    # rule T-5 (v2)
    assert incomplete(assessed(loss=None)) == {"missing_conditions": [], "loss_missing": True,
                                               "missing_factors": []}


def test_the_missing_ones_are_named_in_the_domains_order():
    # rule T-5
    application = assessed(conditions=["DILIGENT", "SITUATION_CONDITION", "NO_PRIVATE_GAIN"],
                           factors=["CONSEQUENCES", "MOTIVE_ATTITUDE"])
    assert incomplete(application) == {
        "missing_conditions": ["NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED",
                               "NO_MALICIOUS_COLLUSION", "PROACTIVE_RECTIFICATION"],
        "loss_missing": False,
        "missing_factors": ["OBJECTIVE_CONDITIONS", "PROCEDURE_METHOD", "NATURE_DEGREE", "LOSS_RECOVERY"],
    }


@pytest.mark.parametrize("application", [
    {"_id": "A1"},
    {"_id": "A1", "conditions": None, "factors": None},
    {"_id": "A1", "conditions": {}, "factors": {}},
])
def test_nothing_assessed_names_everything(application):
    # rule T-5
    assert incomplete(application) == {"missing_conditions": list(CONDITIONS), "loss_missing": True,
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
