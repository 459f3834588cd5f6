"""Accountability's pure rules (DOMAIN.md section C): the sanction ladder (C-2, C-3, C-4), promotion bans,
the case's life (C-1), fault tolerance first (C-4), complaints (C-5) and the yearly demotion report (C-6)."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.accountability import rules
from services.common.decision import transition
from services.common.errors import Conflict, InvalidInput, RuleViolation

NOW = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)

# --- the ladder, written out by hand (independent of rules.py's constants) -------------------------------

LIGHT = ("CRITICISM_EDUCATION", "CIRCULATED_CRITICISM", "ADMONISHMENT")
ORGANISATIONAL = ("TRANSFER", "NON_LEADERSHIP_POST", "RESIGNATION_FOR_FAULT", "ORDERED_RESIGNATION",
                  "REMOVAL", "DEMOTION")
ALL_SANCTIONS = (*LIGHT, *ORGANISATIONAL, "DISCIPLINARY")


def sets(*groups):
    return {frozenset(group) for group in groups}


def non_empty_subsets(items):
    return [combo for size in range(1, len(items) + 1) for combo in itertools.combinations(items, size)]


# C-2 (v2) MINOR: light sanctions, one or more of them
LIGHT_ONLY = sets(*non_empty_subsets(LIGHT))
ORGANISATIONAL_ONE = sets(*((o,) for o in ORGANISATIONAL))
# C-2 for a case verified under the first version (discipline_due unknown), SERIOUS / outcry / bad impact:
# one organisational handling, alone or with DISCIPLINARY, or DISCIPLINARY alone
ORGANISATIONAL_OR_DISCIPLINARY = sets(
    ("TRANSFER",), ("NON_LEADERSHIP_POST",), ("RESIGNATION_FOR_FAULT",), ("ORDERED_RESIGNATION",),
    ("REMOVAL",), ("DEMOTION",),
    ("TRANSFER", "DISCIPLINARY"), ("NON_LEADERSHIP_POST", "DISCIPLINARY"),
    ("RESIGNATION_FOR_FAULT", "DISCIPLINARY"), ("ORDERED_RESIGNATION", "DISCIPLINARY"),
    ("REMOVAL", "DISCIPLINARY"), ("DEMOTION", "DISCIPLINARY"),
    ("DISCIPLINARY",),
)
# C-2 (v2) discipline due: DISCIPLINARY required, alone or joined to what the severity calls for
DUE_HEAVY = sets(("DISCIPLINARY",), *((o, "DISCIPLINARY") for o in ORGANISATIONAL))
DUE_LIGHT = sets(("DISCIPLINARY",), *((*g, "DISCIPLINARY") for g in non_empty_subsets(LIGHT)))
# C-3 APPRAISAL_FAIL: ADMONISHMENT or one organisational handling, whatever the severity
APPRAISAL_FAIL_SETS = sets(
    ("ADMONISHMENT",), ("TRANSFER",), ("NON_LEADERSHIP_POST",), ("RESIGNATION_FOR_FAULT",),
    ("ORDERED_RESIGNATION",), ("REMOVAL",), ("DEMOTION",),
)
# C-4 (v2) MITIGATED: one step lighter -- light sanctions instead of organisational handling, the ones
# lighter than ADMONISHMENT instead of light ones, DISCIPLINARY alone where discipline is due
MITIGATED_FROM_ORGANISATIONAL = LIGHT_ONLY
MITIGATED_FROM_LIGHT = sets(("CRITICISM_EDUCATION",), ("CIRCULATED_CRITICISM",),
                            ("CRITICISM_EDUCATION", "CIRCULATED_CRITICISM"))
MITIGATED_DUE = sets(("DISCIPLINARY",))
MITIGATED_APPRAISAL_FAIL = sets(("ADMONISHMENT",))

SOURCES = ("INSPECTION", "SPECIAL_ASSESSMENT", "COMPLAINT", "APPRAISAL_FAIL", "OTHER")


def expected_ladder(source, severity, public_outcry, bad_impact, mitigated, discipline_due=None):
    """The table above, by category: (allowed sets, rule id)."""
    if source == "APPRAISAL_FAIL":
        return (MITIGATED_APPRAISAL_FAIL, "C-4") if mitigated else (APPRAISAL_FAIL_SETS, "C-3")
    heavy = severity == "SERIOUS" or public_outcry or bad_impact
    if mitigated:
        if discipline_due:
            return MITIGATED_DUE, "C-4"
        return (MITIGATED_FROM_ORGANISATIONAL if heavy else MITIGATED_FROM_LIGHT), "C-4"
    if discipline_due:
        return (DUE_HEAVY if heavy else DUE_LIGHT), "C-2"
    if discipline_due is None and heavy:
        return ORGANISATIONAL_OR_DISCIPLINARY, "C-2"
    return (ORGANISATIONAL_ONE if heavy else LIGHT_ONLY), "C-2"


# every proposal of up to two sanctions, every light combination with and without DISCIPLINARY, and a few
# more: whatever the table does not allow is refused
CANDIDATES = list({
    *(frozenset(combo) for size in (0, 1, 2) for combo in itertools.combinations(ALL_SANCTIONS, size)),
    *(frozenset(g) for g in non_empty_subsets(LIGHT)),
    *(frozenset((*g, "DISCIPLINARY")) for g in non_empty_subsets(LIGHT)),
    frozenset(("TRANSFER", "DISCIPLINARY", "ADMONISHMENT")),
    frozenset(("TRANSFER", "REMOVAL", "DISCIPLINARY")),
})


def test_the_sanction_vocabulary_is_the_domains():
    assert rules.LIGHT == LIGHT
    assert rules.ORGANISATIONAL == ORGANISATIONAL
    assert rules.SANCTIONS == ALL_SANCTIONS
    assert rules.SOURCES == SOURCES
    assert rules.SEVERITIES == ("MINOR", "SERIOUS")


@pytest.mark.parametrize("source,severity,public_outcry,bad_impact,mitigated,discipline_due",
                         list(itertools.product(SOURCES, ("MINOR", "SERIOUS"), (False, True), (False, True),
                                                (False, True), (None, False, True))))
def test_the_ladder(source, severity, public_outcry, bad_impact, mitigated, discipline_due):
    # rules C-2, C-3, C-4 (v2)
    expected, rule = expected_ladder(source, severity, public_outcry, bad_impact, mitigated,
                                     discipline_due)
    allowed = rules.allowed_sanction_sets(source, severity, public_outcry, bad_impact, mitigated,
                                          discipline_due)

    assert {frozenset(option.sanctions) for option in allowed} == expected
    assert len(allowed) == len(expected)  # no set offered twice
    assert {option.rule for option in allowed} == {rule}
    for option in allowed:
        assert len(set(option.sanctions)) == len(option.sanctions)

    for option in allowed:
        assert rules.check_sanctions(list(option.sanctions), allowed) == option
        assert rules.check_sanctions(list(reversed(option.sanctions)), allowed) == option

    for candidate in CANDIDATES:
        if candidate in expected:
            continue
        with pytest.raises(RuleViolation) as caught:
            rules.check_sanctions(sorted(candidate), allowed)
        assert caught.value.code == "SANCTION_NOT_ALLOWED"
        assert caught.value.rule == rule
        assert caught.value.details["proposed"] == sorted(candidate)
        assert {frozenset(s) for s in caught.value.details["allowed"]} == expected
        assert len(caught.value.details["allowed"]) == len(expected)


def refusal(proposed, source, severity, public_outcry=False, bad_impact=False, mitigated=False,
            discipline_due=None):
    allowed = rules.allowed_sanction_sets(source, severity, public_outcry, bad_impact, mitigated,
                                          discipline_due)
    with pytest.raises(RuleViolation) as caught:
        rules.check_sanctions(proposed, allowed)
    assert caught.value.code == "SANCTION_NOT_ALLOWED"
    assert caught.value.details["allowed"] == [list(option.sanctions) for option in allowed]
    return caught.value


@pytest.mark.parametrize("proposed,case,rule,expected", [
    # nothing at all is never a decision (C-2 / C-3 / C-4)
    ([], ("INSPECTION", "MINOR"), "C-2", LIGHT_ONLY),
    ([], ("INSPECTION", "SERIOUS"), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    ([], ("APPRAISAL_FAIL", "MINOR"), "C-3", APPRAISAL_FAIL_SETS),
    ([], ("COMPLAINT", "SERIOUS", False, False, True), "C-4", MITIGATED_FROM_ORGANISATIONAL),
    # light + organisational (C-2, C-3)
    (["ADMONISHMENT", "TRANSFER"], ("INSPECTION", "SERIOUS"), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    (["CIRCULATED_CRITICISM", "REMOVAL"], ("OTHER", "MINOR"), "C-2", LIGHT_ONLY),
    (["ADMONISHMENT", "DEMOTION"], ("APPRAISAL_FAIL", "SERIOUS"), "C-3", APPRAISAL_FAIL_SETS),
    # two organisational handlings: a cadre is transferred *or* removed (C-2, C-3)
    (["TRANSFER", "REMOVAL"], ("SPECIAL_ASSESSMENT", "SERIOUS"), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    (["TRANSFER", "DEMOTION", "DISCIPLINARY"], ("INSPECTION", "MINOR", True), "C-2",
     ORGANISATIONAL_OR_DISCIPLINARY),
    (["NON_LEADERSHIP_POST", "DEMOTION"], ("APPRAISAL_FAIL", "MINOR"), "C-3", APPRAISAL_FAIL_SETS),
    # DISCIPLINARY joins organisational handling, not a light sanction (C-2)
    (["ADMONISHMENT", "DISCIPLINARY"], ("INSPECTION", "SERIOUS"), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    (["CRITICISM_EDUCATION", "DISCIPLINARY"], ("INSPECTION", "MINOR"), "C-2", LIGHT_ONLY),
    # DISCIPLINARY alone on a MINOR case: light sanctions only (C-2)
    (["DISCIPLINARY"], ("COMPLAINT", "MINOR"), "C-2", LIGHT_ONLY),
    # ... nor on a mitigated one (C-4)
    (["DISCIPLINARY"], ("COMPLAINT", "SERIOUS", False, False, True), "C-4", MITIGATED_FROM_ORGANISATIONAL),
    (["TRANSFER", "DISCIPLINARY"], ("INSPECTION", "SERIOUS", True, True, True), "C-4",
     MITIGATED_FROM_ORGANISATIONAL),
    # DISCIPLINARY on APPRAISAL_FAIL, alone or joined (C-3), and mitigated (C-4)
    (["DISCIPLINARY"], ("APPRAISAL_FAIL", "SERIOUS"), "C-3", APPRAISAL_FAIL_SETS),
    (["REMOVAL", "DISCIPLINARY"], ("APPRAISAL_FAIL", "SERIOUS", True, True), "C-3", APPRAISAL_FAIL_SETS),
    (["DISCIPLINARY"], ("APPRAISAL_FAIL", "SERIOUS", False, False, True), "C-4", MITIGATED_APPRAISAL_FAIL),
    # ADMONISHMENT on a SERIOUS case (C-2), or where outcry / bad impact calls for organisational handling
    (["ADMONISHMENT"], ("INSPECTION", "SERIOUS"), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    (["ADMONISHMENT"], ("COMPLAINT", "MINOR", True, False), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    (["ADMONISHMENT"], ("OTHER", "MINOR", False, True), "C-2", ORGANISATIONAL_OR_DISCIPLINARY),
    # C-4 one step down: a mitigated MINOR case no longer allows ADMONISHMENT; a mitigated SERIOUS one no
    # longer allows organisational handling; a mitigated APPRAISAL_FAIL no longer allows it either
    (["ADMONISHMENT"], ("INSPECTION", "MINOR", False, False, True), "C-4", MITIGATED_FROM_LIGHT),
    (["TRANSFER"], ("INSPECTION", "SERIOUS", False, False, True), "C-4", MITIGATED_FROM_ORGANISATIONAL),
    (["TRANSFER"], ("APPRAISAL_FAIL", "MINOR", False, False, True), "C-4", MITIGATED_APPRAISAL_FAIL),
    (["CRITICISM_EDUCATION"], ("APPRAISAL_FAIL", "MINOR", False, False, True), "C-4",
     MITIGATED_APPRAISAL_FAIL),
])
def test_forbidden_combinations_are_refused_with_the_rule_and_what_is_allowed(proposed, case, rule, expected):
    # a case verified under the first version: discipline_due unknown
    error = refusal(proposed, *case)
    assert error.rule == rule
    assert {frozenset(s) for s in error.details["allowed"]} == expected
    assert error.details["proposed"] == sorted(set(proposed))


@pytest.mark.parametrize("proposed,case,rule,expected", [
    # discipline due: DISCIPLINARY is required, however heavy (C-2)
    (["TRANSFER"], ("INSPECTION", "SERIOUS"), "C-2", DUE_HEAVY),
    (["ADMONISHMENT"], ("INSPECTION", "MINOR"), "C-2", DUE_LIGHT),
    # ... and where it is mitigated, DISCIPLINARY alone (C-4)
    (["ADMONISHMENT", "DISCIPLINARY"], ("INSPECTION", "SERIOUS", False, False, True), "C-4", MITIGATED_DUE),
])
def test_discipline_due_requires_disciplinary(proposed, case, rule, expected):
    error = refusal(proposed, *case, discipline_due=True)
    assert (error.rule, {frozenset(s) for s in error.details["allowed"]}) == (rule, expected)


@pytest.mark.parametrize("proposed,case", [
    (["TRANSFER", "DISCIPLINARY"], ("INSPECTION", "SERIOUS")),
    (["DISCIPLINARY"], ("INSPECTION", "SERIOUS", True)),
    (["ADMONISHMENT", "DISCIPLINARY"], ("INSPECTION", "MINOR")),
])
def test_discipline_not_due_refuses_disciplinary(proposed, case):
    # rule C-2 (v2): when the finding is that discipline is not due, DISCIPLINARY is refused
    error = refusal(proposed, *case, discipline_due=False)
    assert error.rule == "C-2"
    assert all("DISCIPLINARY" not in s for s in error.details["allowed"])


def test_light_sanctions_may_be_combined():
    # rule C-2 (v2): 情节较轻 -- light sanctions, one or more of them
    allowed = rules.allowed_sanction_sets("INSPECTION", "MINOR", discipline_due=False)
    assert rules.check_sanctions(list(LIGHT), allowed).sanctions == tuple(sorted(LIGHT))


def test_check_sanctions_ignores_order_and_duplicates():
    allowed = rules.allowed_sanction_sets("INSPECTION", "SERIOUS")
    chosen = rules.check_sanctions(["TRANSFER", "DISCIPLINARY"], allowed)
    assert rules.check_sanctions(["DISCIPLINARY", "TRANSFER"], allowed) == chosen
    assert rules.check_sanctions(["DISCIPLINARY", "TRANSFER", "DISCIPLINARY", "TRANSFER"], allowed) == chosen
    assert set(chosen.sanctions) == {"TRANSFER", "DISCIPLINARY"} and chosen.rule == "C-2"
    light = rules.allowed_sanction_sets("OTHER", "MINOR")
    assert rules.check_sanctions(["ADMONISHMENT", "ADMONISHMENT"], light).sanctions == ("ADMONISHMENT",)


def test_a_refusal_reports_the_proposal_sorted_and_deduplicated():
    error = refusal(["TRANSFER", "ADMONISHMENT", "TRANSFER"], "INSPECTION", "SERIOUS")
    assert error.details["proposed"] == ["ADMONISHMENT", "TRANSFER"]


def test_requires_organisational_handling():
    # C-2: SERIOUS, public outcry or bad impact
    assert not rules.requires_organisational_handling("MINOR", False, False)
    assert rules.requires_organisational_handling("SERIOUS", False, False)
    assert rules.requires_organisational_handling("MINOR", True, False)
    assert rules.requires_organisational_handling("MINOR", False, True)


# --- DISCIPLINARY terms ----------------------------------------------------------------------------------

TERMS = {"text": "党内严重警告", "months": 18}


@pytest.mark.parametrize("terms", [None, {}])
def test_disciplinary_terms_are_required_with_disciplinary(terms):
    with pytest.raises(InvalidInput) as caught:
        rules.check_disciplinary_terms(("DISCIPLINARY", "TRANSFER"), terms)
    assert caught.value.code == "INVALID_INPUT"
    assert list(caught.value.fields) == ["disciplinary"]


@pytest.mark.parametrize("sanctions", [("TRANSFER",), ("ADMONISHMENT",), ()])
def test_disciplinary_terms_are_refused_without_disciplinary(sanctions):
    with pytest.raises(InvalidInput) as caught:
        rules.check_disciplinary_terms(sanctions, TERMS)
    assert caught.value.code == "INVALID_INPUT"
    assert list(caught.value.fields) == ["disciplinary"]


def test_disciplinary_terms_go_with_disciplinary_only():
    rules.check_disciplinary_terms(("DISCIPLINARY",), TERMS)
    rules.check_disciplinary_terms(("DISCIPLINARY", "REMOVAL"), TERMS)
    rules.check_disciplinary_terms(("REMOVAL",), None)
    rules.check_disciplinary_terms(("ADMONISHMENT",), {})


# --- calendar months and promotion bans ------------------------------------------------------------------

@pytest.mark.parametrize("moment,months,expected", [
    (datetime(2025, 1, 31, tzinfo=UTC), 1, datetime(2025, 2, 28, tzinfo=UTC)),
    (datetime(2024, 1, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),  # leap year
    (datetime(2024, 2, 29, tzinfo=UTC), 12, datetime(2025, 2, 28, tzinfo=UTC)),
    (datetime(2024, 2, 29, tzinfo=UTC), 48, datetime(2028, 2, 29, tzinfo=UTC)),
    (datetime(2025, 3, 31, tzinfo=UTC), 1, datetime(2025, 4, 30, tzinfo=UTC)),
    (datetime(2025, 12, 15, tzinfo=UTC), 1, datetime(2026, 1, 15, tzinfo=UTC)),  # December rollover
    (datetime(2025, 12, 31, tzinfo=UTC), 2, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2025, 12, 1, tzinfo=UTC), 12, datetime(2026, 12, 1, tzinfo=UTC)),
    (datetime(2025, 11, 30, tzinfo=UTC), 24, datetime(2027, 11, 30, tzinfo=UTC)),
    (datetime(2025, 7, 15, tzinfo=UTC), 0, datetime(2025, 7, 15, tzinfo=UTC)),
])
def test_add_months_clips_to_the_months_end(moment, months, expected):
    assert rules.add_months(moment, months) == expected


def test_add_months_keeps_the_time_and_the_timezone():
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2025, 1, 31, 23, 45, 10, 123, tzinfo=beijing)
    later = rules.add_months(moment, 1)
    assert later == datetime(2025, 2, 28, 23, 45, 10, 123, tzinfo=beijing)
    assert later.tzinfo is beijing
    assert later.utcoffset() == timedelta(hours=8)


def test_the_default_ban_months_are_the_domains():
    # [national default] promotion bans after a sanction
    assert rules.DEFAULT_BAN_MONTHS == {
        "ADMONISHMENT": 6, "TRANSFER": 12, "NON_LEADERSHIP_POST": 12, "RESIGNATION_FOR_FAULT": 12,
        "ORDERED_RESIGNATION": 12, "REMOVAL": 12, "DEMOTION": 24}


@pytest.mark.parametrize("sanctions,disciplinary_months,expected", [
    (["ADMONISHMENT"], None, datetime(2025, 9, 15, 9, 30, tzinfo=UTC)),
    (["TRANSFER"], None, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["NON_LEADERSHIP_POST"], None, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["RESIGNATION_FOR_FAULT"], None, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["ORDERED_RESIGNATION"], None, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["REMOVAL"], None, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["DEMOTION"], None, datetime(2027, 3, 15, 9, 30, tzinfo=UTC)),
    # the longest of the set wins
    (["ADMONISHMENT", "DEMOTION"], None, datetime(2027, 3, 15, 9, 30, tzinfo=UTC)),
    (["DEMOTION", "TRANSFER"], None, datetime(2027, 3, 15, 9, 30, tzinfo=UTC)),
    (["TRANSFER", "DISCIPLINARY"], 18, datetime(2026, 9, 15, 9, 30, tzinfo=UTC)),
    (["TRANSFER", "DISCIPLINARY"], 6, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
    (["DEMOTION", "DISCIPLINARY"], 36, datetime(2028, 3, 15, 9, 30, tzinfo=UTC)),
    # DISCIPLINARY carries its own term
    (["DISCIPLINARY"], 30, datetime(2027, 9, 15, 9, 30, tzinfo=UTC)),
    (["DISCIPLINARY"], None, None),
    # the two lightest carry no ban
    (["CRITICISM_EDUCATION"], None, None),
    (["CIRCULATED_CRITICISM"], None, None),
    ([], None, None),
])
def test_ban_until(sanctions, disciplinary_months, expected):
    assert rules.ban_until(sanctions, NOW, rules.DEFAULT_BAN_MONTHS, disciplinary_months) == expected


def test_ban_months_come_from_config():
    months = {**rules.DEFAULT_BAN_MONTHS, "ADMONISHMENT": 12, "DEMOTION": 36, "CIRCULATED_CRITICISM": 3}
    assert rules.ban_until(["ADMONISHMENT"], NOW, months) == datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
    assert rules.ban_until(["DEMOTION"], NOW, months) == datetime(2028, 3, 15, 9, 30, tzinfo=UTC)
    assert rules.ban_until(["CIRCULATED_CRITICISM"], NOW, months) == datetime(2025, 6, 15, 9, 30, tzinfo=UTC)
    assert rules.ban_until(["TRANSFER"], NOW, months) == datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
    # a sanction the mapping does not name carries no ban
    assert rules.ban_until(["TRANSFER"], NOW, {"ADMONISHMENT": 6}) is None


def test_a_ban_ends_on_the_clipped_day():
    end_of_january = datetime(2024, 1, 31, tzinfo=UTC)
    assert rules.ban_until(["DEMOTION"], end_of_january, rules.DEFAULT_BAN_MONTHS) == \
        datetime(2026, 1, 31, tzinfo=UTC)
    assert rules.ban_until(["DISCIPLINARY"], end_of_january, rules.DEFAULT_BAN_MONTHS, 1) == \
        datetime(2024, 2, 29, tzinfo=UTC)


def test_is_organisational():
    assert [s for s in ALL_SANCTIONS if rules.is_organisational(s)] == list(ORGANISATIONAL)


# --- C-1: a case's life ----------------------------------------------------------------------------------

STATES = ("OPEN", "INVESTIGATING", "VERIFIED", "DECIDED", "CLOSED", "DISMISSED")
# move -> (states it starts from, state it leads to), written from C-1
ALLOWED_MOVES = {
    "start_investigation": (("OPEN",), "INVESTIGATING"),
    "verify": (("INVESTIGATING",), "VERIFIED"),
    "dismiss": (("OPEN", "INVESTIGATING"), "DISMISSED"),  # not verified
    "propose": (("VERIFIED",), "VERIFIED"),  # only a verified case is decided
    "approve": (("VERIFIED",), "DECIDED"),
    "close": (("DECIDED",), "CLOSED"),
}


def test_the_states_and_moves_are_c1s():
    assert rules.STATES == STATES
    assert rules.TERMINAL == ("CLOSED", "DISMISSED")
    assert set(rules.MOVES) == set(ALLOWED_MOVES)


@pytest.mark.parametrize("status,move", list(itertools.product(STATES, ALLOWED_MOVES)))
def test_check_move(status, move):
    # rule C-1
    sources, target = ALLOWED_MOVES[move]
    case = {"_id": "case-1", "status": status}
    if status in sources:
        assert rules.check_move(case, move) == target
        return
    with pytest.raises(Conflict) as caught:
        rules.check_move(case, move)
    assert caught.value.code == "CASE_STATE"
    assert caught.value.rule == "C-1"
    assert caught.value.details == {"case_id": "case-1", "status": status, "needs": list(sources)}


@pytest.mark.parametrize("cadre", [
    {"_id": "C1", "is_leader": True, "is_principal": False},
    {"_id": "C1", "is_leader": False, "is_principal": True},
    {"_id": "C1", "is_leader": True, "is_principal": True},
])
def test_a_leading_cadre_may_be_held_to_account(cadre):
    rules.check_leading_cadre(cadre)  # rule C-1


@pytest.mark.parametrize("cadre", [
    {"_id": "C1", "is_leader": False, "is_principal": False},
    {"_id": "C1"},
    {"_id": "C1", "is_leader": None, "is_principal": None},
])
def test_a_cadre_who_does_not_lead_is_refused(cadre):
    # rule C-1: accountability for inaction targets leading cadres
    with pytest.raises(RuleViolation) as caught:
        rules.check_leading_cadre(cadre)
    assert caught.value.code == "NOT_A_LEADING_CADRE"
    assert caught.value.rule == "C-1"
    assert caught.value.details == {"cadre_id": "C1"}


@pytest.mark.parametrize("source", [s for s in SOURCES if s != "APPRAISAL_FAIL"])
def test_a_case_names_its_situations(source):
    # rule C-1
    rules.check_grounds(source, ["REFORM_2"])
    rules.check_grounds(source, ["PROSPERITY_1", "PARTY_GOVERNANCE_5"])
    with pytest.raises(RuleViolation) as caught:
        rules.check_grounds(source, [])
    assert caught.value.code == "SITUATION_REQUIRED"
    assert caught.value.rule == "C-1"
    assert caught.value.details == {"situations": list(rules.SITUATIONS)}


@pytest.mark.parametrize("situations", [[], ["REFORM_1"]])
def test_an_appraisal_fail_case_is_not_opened_by_hand(situations):
    # rule A-4: the unit's FAIL grade opens it (C-3)
    with pytest.raises(RuleViolation) as caught:
        rules.check_grounds("APPRAISAL_FAIL", situations)
    assert caught.value.code == "APPRAISAL_FAIL_BY_EVENT"
    assert caught.value.rule == "A-4"


@pytest.mark.parametrize("case", [
    {"_id": "case-1"}, {"_id": "case-1", "pending_applications": []},
    {"_id": "case-1", "pending_applications": None}])
def test_a_case_without_pending_tolerance_may_be_decided(case):
    rules.check_not_on_hold(case)  # rule C-4


def test_a_pending_tolerance_application_holds_the_decision():
    # rule C-4: fault tolerance first
    with pytest.raises(RuleViolation) as caught:
        rules.check_not_on_hold({"_id": "case-1", "pending_applications": ["app-1", "app-2"]})
    assert caught.value.code == "CASE_ON_HOLD"
    assert caught.value.rule == "C-4"
    assert caught.value.details == {"applications": ["app-1", "app-2"]}


@pytest.mark.parametrize("proposal", [None, {}])
def test_approving_needs_a_proposal(proposal):
    with pytest.raises(Conflict) as caught:
        rules.check_four_eyes(proposal, "officer-2")
    assert caught.value.code == "NO_PROPOSAL"


def test_the_proposer_cannot_approve():
    with pytest.raises(RuleViolation) as caught:
        rules.check_four_eyes({"by": "officer-1", "sanctions": ["TRANSFER"]}, "officer-1")
    assert caught.value.code == "FOUR_EYES"
    assert caught.value.details == {"proposed_by": "officer-1"}


def test_another_officer_approves():
    rules.check_four_eyes({"by": "officer-1", "sanctions": ["TRANSFER"]}, "officer-2")


def test_a_transition_keeps_who_when_from_to_and_why():
    # rule C-1
    entry = transition("OPEN", "INVESTIGATING", "officer-1", NOW, "线索属实",
                             action="start_investigation")
    assert entry == {"from": "OPEN", "to": "INVESTIGATING", "by": "officer-1", "at": NOW,
                     "reason": "线索属实", "action": "start_investigation"}


# --- C-5: complaints -------------------------------------------------------------------------------------

FILED_AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_complaint_deadlines():
    # rule C-5: 快查快结 for a cadre under selection
    assert rules.DEFAULT_COMPLAINT_DAYS == 60 and rules.DEFAULT_EXPEDITED_COMPLAINT_DAYS == 15
    assert rules.complaint_due(FILED_AT, False, 60, 15) == datetime(2025, 4, 30, 10, 0, tzinfo=UTC)
    assert rules.complaint_due(FILED_AT, True, 60, 15) == datetime(2025, 3, 16, 10, 0, tzinfo=UTC)
    assert rules.complaint_due(FILED_AT, False, 30, 7) == FILED_AT + timedelta(days=30)
    assert rules.complaint_due(FILED_AT, True, 30, 7) == FILED_AT + timedelta(days=7)


def complaint(cadre_id="C1", reporter="张三", status="FILED", outcome=None):
    return {"_id": "cp-1", "cadre_id": cadre_id, "reporter": reporter, "status": status, "outcome": outcome}


def prior(cadre_id="C1", status="CLOSED", path=("OPEN", "INVESTIGATING", "VERIFIED", "DECIDED", "CLOSED")):
    steps = zip((None, *path), path, strict=False)
    history = [transition(a, b, "officer-1", NOW, None) for a, b in steps]
    return {"_id": "case-0", "cadre_id": cadre_id, "status": status, "history": history}


@pytest.mark.parametrize("earlier", [
    prior(),  # verified, decided and closed
    # v2: verified and decided, not yet closed; dismissed (looked into and concluded)
    prior(status="DECIDED", path=("OPEN", "INVESTIGATING", "VERIFIED", "DECIDED")),
    prior(status="DISMISSED", path=("OPEN", "INVESTIGATING", "DISMISSED")),
])
def test_a_repeat_of_a_concluded_case_about_the_same_cadre_is_accepted(earlier):
    rules.check_resolution(complaint(), "REPEAT", earlier, [])  # rule C-5 (v2)


@pytest.mark.parametrize("outcome", ["GROUNDLESS", "FALSE_ACCUSATION", "REPEAT"])
def test_a_repeat_of_a_concluded_complaint_is_accepted(outcome):
    # rule C-5 (v2): a complaint found groundless is a matter concluded too
    earlier = {**complaint(status="RESOLVED", outcome=outcome), "_id": "cp-0"}
    rules.check_resolution(complaint(), "REPEAT", earlier, [], prior_kind="complaint")


@pytest.mark.parametrize("earlier,kind,details", [
    (None, "case", {"repeat_of": None, "kind": None, "status": None}),
    # a case about another cadre
    (prior(cadre_id="C2"), "case", {"repeat_of": "case-0", "kind": "case", "status": "CLOSED"}),
    # closed, but its history never went through VERIFIED (e.g. EXEMPTED while investigating)
    (prior(path=("OPEN", "INVESTIGATING", "CLOSED")), "case",
     {"repeat_of": "case-0", "kind": "case", "status": "CLOSED"}),
    ({**prior(), "history": []}, "case", {"repeat_of": "case-0", "kind": "case", "status": "CLOSED"}),
    # still being looked into
    (prior(status="VERIFIED", path=("OPEN", "INVESTIGATING", "VERIFIED")), "case",
     {"repeat_of": "case-0", "kind": "case", "status": "VERIFIED"}),
    # a complaint still open, or one that was substantiated (its case is the matter)
    ({**complaint(), "_id": "cp-0"}, "complaint",
     {"repeat_of": "cp-0", "kind": "complaint", "status": "FILED"}),
    ({**complaint(status="RESOLVED", outcome="SUBSTANTIATED"), "_id": "cp-0"}, "complaint",
     {"repeat_of": "cp-0", "kind": "complaint", "status": "RESOLVED"}),
    # the complaint itself
    (complaint(status="RESOLVED", outcome="GROUNDLESS"), "complaint",
     {"repeat_of": "cp-1", "kind": "complaint", "status": "RESOLVED"}),
])
def test_a_repeat_needs_a_concluded_matter_about_the_same_cadre(earlier, kind, details):
    # rule C-5: 已查核清楚的重复性举报不再调查
    with pytest.raises(RuleViolation) as caught:
        rules.check_resolution(complaint(), "REPEAT", earlier, [], prior_kind=kind)
    assert caught.value.code == "NOT_A_REPEAT"
    assert caught.value.rule == "C-5"
    assert caught.value.details == details


@pytest.mark.parametrize("reporter", [None, ""])
def test_an_anonymous_report_cannot_be_a_false_accusation(reporter):
    # rule C-5: 实名举报者诬告陷害
    with pytest.raises(RuleViolation) as caught:
        rules.check_resolution(complaint(reporter=reporter), "FALSE_ACCUSATION", None, [])
    assert caught.value.code == "ANONYMOUS_REPORTER"
    assert caught.value.rule == "C-5"


def test_a_named_reporter_can_be_found_to_have_made_a_false_accusation():
    rules.check_resolution(complaint(reporter="张三"), "FALSE_ACCUSATION", None, [])


def test_a_substantiated_complaint_names_its_situations():
    # rules C-5 and C-1: it opens a case, which names at least one situation
    rules.check_resolution(complaint(), "SUBSTANTIATED", None, ["RULE_OF_LAW_3"])
    with pytest.raises(RuleViolation) as caught:
        rules.check_resolution(complaint(), "SUBSTANTIATED", None, [])
    assert caught.value.code == "SITUATION_REQUIRED"
    assert caught.value.rule == "C-1"
    assert caught.value.details == {"situations": list(rules.SITUATIONS)}


@pytest.mark.parametrize("reporter", [None, "张三"])
def test_a_groundless_complaint_needs_nothing_more(reporter):
    rules.check_resolution(complaint(reporter=reporter), "GROUNDLESS", None, [])  # rule C-5


def test_the_complaint_outcomes():
    assert rules.COMPLAINT_OUTCOMES == ("SUBSTANTIATED", "REPEAT", "FALSE_ACCUSATION", "GROUNDLESS")
    assert set(rules.CLEARING_OUTCOMES) == {"FALSE_ACCUSATION", "GROUNDLESS"}  # 澄清正名


def test_only_a_filed_complaint_is_resolved():
    # rule C-5
    rules.check_complaint_open(complaint())
    with pytest.raises(Conflict) as caught:
        rules.check_complaint_open(complaint(status="RESOLVED", outcome="GROUNDLESS"))
    assert caught.value.code == "COMPLAINT_RESOLVED"
    assert caught.value.rule == "C-5"
    assert caught.value.details == {"status": "RESOLVED", "outcome": "GROUNDLESS"}
    with pytest.raises(Conflict) as caught:  # claimed by another resolution, not finished yet
        rules.check_complaint_open(complaint(status="RESOLVING", outcome="GROUNDLESS"))
    assert caught.value.details == {"status": "RESOLVING", "outcome": "GROUNDLESS"}
    assert "being resolved" in caught.value.message


# --- C-6: the yearly report of cadres moved down ---------------------------------------------------------

def decision(year, unit_id, *sanctions, exempted=False):
    return {"year": year, "unit_id": unit_id, "sanctions": list(sanctions), "exempted": exempted}


def test_demotion_report_counts_organisational_handlings_per_year_unit_and_type():
    decisions = [
        decision(2025, "U2", "DEMOTION"),
        decision(2025, "U1", "TRANSFER", "DISCIPLINARY"),
        decision(2024, "U1", "REMOVAL"),
        decision(2025, "U1", "DEMOTION"),
        decision(2025, "U1", "TRANSFER"),
        decision(2025, "U1", "ADMONISHMENT"),            # light: not a move down
        decision(2025, "U1", "CIRCULATED_CRITICISM"),
        decision(2025, "U3", "DISCIPLINARY"),            # DISCIPLINARY alone: not organisational handling
        decision(2025, "U1", "REMOVAL", exempted=True),  # T-6: an exempted matter never counts
        decision(2025, "U4", "TRANSFER", exempted=True),
        decision(2025, "U1", "NON_LEADERSHIP_POST"),
        {"year": 2025, "unit_id": "U1", "sanctions": ["ORDERED_RESIGNATION"]},  # no exempted key
    ]
    assert [{k: v for k, v in line.items() if k != "cadres"}
            for line in rules.demotion_report(decisions)] == [
        {"year": 2024, "unit_id": "U1", "handling": "REMOVAL", "count": 1},
        {"year": 2025, "unit_id": "U1", "handling": "TRANSFER", "count": 2},
        {"year": 2025, "unit_id": "U1", "handling": "NON_LEADERSHIP_POST", "count": 1},
        {"year": 2025, "unit_id": "U1", "handling": "ORDERED_RESIGNATION", "count": 1},
        {"year": 2025, "unit_id": "U1", "handling": "DEMOTION", "count": 1},
        {"year": 2025, "unit_id": "U2", "handling": "DEMOTION", "count": 1},
    ]
    # stable: the order of the decisions does not change the report
    assert rules.demotion_report(reversed(decisions)) == rules.demotion_report(decisions)


def test_demotion_report_of_nothing_is_empty():
    assert rules.demotion_report([]) == []
    assert rules.demotion_report([decision(2025, "U1", "ADMONISHMENT"), decision(2025, "U1", "DISCIPLINARY"),
                                  decision(2025, "U1", "DEMOTION", exempted=True)]) == []


# --- C-1: the 17 situations ------------------------------------------------------------------------------

def test_the_17_situations_in_001s_order():
    assert rules.SITUATIONS == (
        "PROSPERITY_1", "PROSPERITY_2", "PROSPERITY_3", "PROSPERITY_4",
        "REFORM_1", "REFORM_2", "REFORM_3", "REFORM_4",
        "RULE_OF_LAW_1", "RULE_OF_LAW_2", "RULE_OF_LAW_3", "RULE_OF_LAW_4",
        "PARTY_GOVERNANCE_1", "PARTY_GOVERNANCE_2", "PARTY_GOVERNANCE_3", "PARTY_GOVERNANCE_4",
        "PARTY_GOVERNANCE_5",
    )
    assert len(rules.SITUATIONS) == 17


# --- C-7 (v2): the restrictions each sanction carries ----------------------------------------------------

BANS = {"ADMONISHMENT": 6, "TRANSFER": 12, "NON_LEADERSHIP_POST": 12, "RESIGNATION_FOR_FAULT": 12,
        "ORDERED_RESIGNATION": 12, "REMOVAL": 12, "DEMOTION": 24}


@pytest.mark.parametrize("sanctions,expected", [
    (["ADMONISHMENT"], [("NO_PROMOTION", 6)]),
    (["TRANSFER"], [("NO_PROMOTION", 12)]),
    (["NON_LEADERSHIP_POST"], [("NO_PROMOTION", 12)]),
    (["RESIGNATION_FOR_FAULT"], [("NO_LEADERSHIP_POST", 12), ("NO_HIGHER_POST", 24)]),
    (["ORDERED_RESIGNATION"], [("NO_LEADERSHIP_POST", 12), ("NO_HIGHER_POST", 24)]),
    (["REMOVAL"], [("NO_LEADERSHIP_POST", 12), ("NO_HIGHER_POST", 24)]),
    (["DEMOTION"], [("NO_PROMOTION", 24)]),
    (["DISCIPLINARY"], [("NO_PROMOTION", 18)]),
    (["REMOVAL", "DISCIPLINARY"], [("NO_PROMOTION", 18), ("NO_LEADERSHIP_POST", 12), ("NO_HIGHER_POST", 24)]),
    (["CRITICISM_EDUCATION"], []),
])
def test_each_sanction_restricts_what_the_table_says_for_its_term(sanctions, expected):
    # rule C-7 (v2) [national default]
    decided = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
    found = rules.restrictions(sanctions, decided, BANS, disciplinary_months=18)
    assert [(r["kind"], r["until"]) for r in found] == [
        (kind, rules.add_months(decided, months)) for kind, months in expected]


def test_the_no_higher_post_term_is_a_policy_value():
    decided = datetime(2025, 3, 15, tzinfo=UTC)
    [_, higher] = rules.restrictions(["REMOVAL"], decided, BANS, no_higher_post_months=36)
    assert higher == {"kind": "NO_HIGHER_POST", "until": datetime(2028, 3, 15, tzinfo=UTC)}
    assert rules.Policy.from_config({"NO_HIGHER_POST_MONTHS": "36"}).no_higher_post_months == 36


def test_downward_postings_from_talent_count_beside_the_handlings_with_names():
    # rule C-6 (v2): moves down from any source, per type and unit, with names for the officers
    decisions = [{"year": 2025, "unit_id": "U1", "sanctions": ["TRANSFER"], "cadre_id": "L1",
                  "name": "王五"}]
    moves = [{"year": 2025, "unit_id": "U1", "cause": "UNFIT_FOR_POST", "cadre_id": "L2", "name": "赵六"},
             {"year": 2025, "unit_id": "U1", "cause": "UNFIT_FOR_POST", "cadre_id": "L3", "name": "钱七"},
             {"year": 2025, "unit_id": "U0", "cause": "DEMOTION", "cadre_id": "L4", "name": "孙八"}]
    assert rules.demotion_report(decisions, moves) == [
        {"year": 2025, "unit_id": "U0", "handling": "POSTING_DEMOTION", "count": 1,
         "cadres": [{"cadre_id": "L4", "name": "孙八"}]},
        {"year": 2025, "unit_id": "U1", "handling": "TRANSFER", "count": 1,
         "cadres": [{"cadre_id": "L1", "name": "王五"}]},
        {"year": 2025, "unit_id": "U1", "handling": "POSTING_UNFIT_FOR_POST", "count": 2,
         "cadres": [{"cadre_id": "L2", "name": "赵六"}, {"cadre_id": "L3", "name": "钱七"}]},
    ]
