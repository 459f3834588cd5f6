"""Talent's newer pure rules: promotion bans in eligibility (C, T-6, C-5, L-3), the lion-type pool (L-1, L-2),
young cadres (L-4) and incentive training (L-5). The older A-3 / A-5 rules are in test_talent_rules.py."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.errors import Conflict, RuleViolation
from services.talent import rules

NOW = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)

# --- the vocabulary, written out by hand from DOMAIN.md L (independent of rules.py's constants) -----------

STANDARDS = ("LOYAL_AND_CLEAN", "OPEN_MINDED", "RESOURCEFUL_AND_CAPABLE", "TAKES_RESPONSIBILITY",
             "OUTSTANDING_RESULTS")
PRINCIPAL_PROFILE = ("COMMANDS_THE_WHOLE", "DECIDES_DECISIVELY", "BUILDS_AND_LEADS_TEAMS")
DEPUTY_PROFILE = ("HOLDS_OWN_GROUND", "STRONG_EXECUTION", "BACKBONE_ROLE", "CLEAR_THINKING",
                  "TACKLES_HARD_PROBLEMS", "DELIVERS")
PROFILED_LEVELS = ("BUREAU_PRINCIPAL", "BUREAU_DEPUTY")
UNPROFILED_LEVELS = ("DIVISION", "SECTION", "STAFF")
LEVELS = (*PROFILED_LEVELS, *UNPROFILED_LEVELS)


def test_the_standards_and_profiles_are_the_domains():
    # rule L-1 and 001's level profiles
    assert rules.STANDARDS == STANDARDS
    assert rules.PROFILES == {"BUREAU_PRINCIPAL": PRINCIPAL_PROFILE, "BUREAU_DEPUTY": DEPUTY_PROFILE}
    assert rules.LEVELS == LEVELS
    assert rules.IN_POOL == ("RESERVE", "IN_USE")


# --- facts, in the shapes the service keeps them -------------------------------------------------------


def at(year, month, day, hour=9):
    return datetime(year, month, day, hour, tzinfo=UTC)


def sanction(case="K1", event=None, sanctions=("TRANSFER",), decided_at=None, ban_until=None,
             organisational=True, disciplinary=False):
    return {"case_id": case, "event_id": event or f"ev-{case}", "sanctions": list(sanctions),
            "organisational_handling": organisational, "disciplinary": disciplinary,
            "decided_at": decided_at or NOW - timedelta(days=30), "ban_until": ban_until}


def admonishment(case="K1", **kwargs):
    # a light sanction: neither organisational handling nor disciplinary (C-2); bans 6 months (C)
    return sanction(case, sanctions=("ADMONISHMENT",), organisational=False, disciplinary=False, **kwargs)


def lifting(case="K1", rule="T-6", event=None, when=None):
    return {"case_id": case, "rule": rule, "event_id": event or f"lift-{case}", "at": when or NOW}


def result(grade="EXCELLENT", kind="ANNUAL", cycle="cy2024", year=2024, event="r1", finalized_at=None):
    return {"cycle_id": cycle, "year": year, "kind": kind, "grade": grade, "event_id": event,
            "finalized_at": finalized_at or NOW - timedelta(days=60)}


# --- promotion bans in eligibility (C, T-6, C-5, L-3) --------------------------------------------------

DECIDED = at(2025, 1, 10)
BAN_UNTIL = at(2025, 7, 10)


def test_a_sanction_with_a_ban_gives_a_promotion_ban_reason():
    # DOMAIN.md C promotion bans [national default]: the reason cites rule C and the decision's event
    facts = [admonishment("K1", event="ev-decided", decided_at=DECIDED, ban_until=BAN_UNTIL)]
    [reason] = rules.promotion_bans(facts)
    assert (reason.rule, reason.effect, reason.source_event_id) == ("C-7", "PROMOTION_BAN", "ev-decided")
    assert (reason.valid_from, reason.valid_until) == (DECIDED, BAN_UNTIL)
    assert "ADMONISHMENT" in reason.detail and "K1" in reason.detail and "2025-07-10" in reason.detail


def test_a_ban_names_every_sanction_of_the_decision():
    facts = [sanction("K1", sanctions=("DEMOTION", "DISCIPLINARY"), disciplinary=True, decided_at=DECIDED,
                      ban_until=at(2027, 1, 10))]
    [reason] = rules.promotion_bans(facts)
    assert "DEMOTION + DISCIPLINARY" in reason.detail


@pytest.mark.parametrize("now", [DECIDED, DECIDED + timedelta(days=1), BAN_UNTIL - timedelta(seconds=1)])
def test_not_promotable_while_the_ban_runs(now):
    # rule L-3 with C: the ban is in force from the decision until ban_until (exclusive)
    facts = [admonishment("K1", decided_at=DECIDED, ban_until=BAN_UNTIL)]
    answer = rules.eligibility([], now, sanctions=facts)
    assert answer.promotable is False
    assert [(r.rule, r.effect, r.source_event_id) for r in answer.reasons] == [
        ("C-7", "PROMOTION_BAN", "ev-K1")]


@pytest.mark.parametrize("now", [BAN_UNTIL, BAN_UNTIL + timedelta(seconds=1),
                                 BAN_UNTIL + timedelta(days=400)])
def test_promotable_again_once_the_ban_ends_by_date_alone(now):
    # rule L-3: a ban expiring changes the answer with nobody acting
    facts = [admonishment("K1", decided_at=DECIDED, ban_until=BAN_UNTIL)]
    answer = rules.eligibility([], now, sanctions=facts)
    assert answer.promotable is True
    assert answer.reasons == []


def test_a_sanction_decided_later_than_now_does_not_ban_yet():
    facts = [admonishment("K1", decided_at=NOW + timedelta(days=1), ban_until=NOW + timedelta(days=200))]
    assert rules.eligibility([], NOW, sanctions=facts).promotable is True


@pytest.mark.parametrize("fact", [
    sanction("K1", sanctions=("CRITICISM_EDUCATION",), organisational=False, ban_until=None),
    sanction("K1", sanctions=("CIRCULATED_CRITICISM",), organisational=False, ban_until=None),
    {k: v for k, v in sanction("K1", sanctions=("CRITICISM_EDUCATION",), organisational=False).items()
     if k != "ban_until"},  # the key missing altogether
])
def test_a_sanction_without_a_ban_bans_nothing(fact):
    # DOMAIN.md C: the two lightest sanctions carry no promotion ban
    assert rules.promotion_bans([fact]) == []
    answer = rules.eligibility([], NOW, sanctions=[fact])
    assert answer.promotable is True and answer.reasons == []


@pytest.mark.parametrize("rule", ["T-6", "C-5"])
@pytest.mark.parametrize("lifted_at", [DECIDED - timedelta(days=5), DECIDED + timedelta(days=5)])
@pytest.mark.parametrize("position", ["first", "last"])
def test_a_lifting_for_the_case_removes_its_ban_whichever_came_first(rule, lifted_at, position):
    # T-6 (exempted) and C-5 (cleared): the matter bars nothing, whether the lifting is listed before the
    # sanction arrived or after, and wherever it sits among the cadre's liftings
    facts = [admonishment("K1", decided_at=DECIDED, ban_until=BAN_UNTIL)]
    others = [lifting("K8", when=DECIDED), lifting("K9", rule="C-5", when=DECIDED)]
    mine = lifting("K1", rule=rule, when=lifted_at)
    liftings = [mine, *others] if position == "first" else [*others, mine]
    now = DECIDED + timedelta(days=10)
    # L-3: no ban; what was lifted is said, with its rule and the event that lifted it
    lifted = [(r.rule, r.effect, r.source_event_id) for r in rules.promotion_bans(facts, liftings)]
    assert lifted == [(rule, "RESTRICTION_LIFTED", "lift-K1")]
    answer = rules.eligibility([], now, sanctions=facts, liftings=liftings)
    assert answer.promotable is True
    assert [r.effect for r in answer.reasons] == ["RESTRICTION_LIFTED"]


@pytest.mark.parametrize("rule", ["T-6", "C-5"])
def test_a_lifting_of_another_case_lifts_nothing(rule):
    facts = [admonishment("K1", decided_at=DECIDED, ban_until=BAN_UNTIL)]
    answer = rules.eligibility([], DECIDED + timedelta(days=10), sanctions=facts,
                               liftings=[lifting("K2", rule=rule)])
    assert answer.promotable is False
    assert [r.source_event_id for r in answer.reasons] == ["ev-K1"]


def test_lifting_one_case_keeps_the_other_cases_ban():
    facts = [admonishment("K1", decided_at=DECIDED, ban_until=BAN_UNTIL),
             sanction("K2", decided_at=DECIDED + timedelta(days=1), ban_until=at(2026, 1, 11))]
    answer = rules.eligibility([], DECIDED + timedelta(days=10), sanctions=facts, liftings=[lifting("K1")])
    assert answer.promotable is False
    assert [(r.rule, r.source_event_id) for r in answer.reasons] == [("C-7", "ev-K2")]


def test_a_scripted_history_changes_the_answer_without_manual_edits():
    # rule L-3: the answer at each moment is computed from the facts received by then
    results, sanctions, liftings = [], [], []

    def ask(now):
        answer = rules.eligibility(results, now, sanctions=sanctions, liftings=liftings)
        return answer, {(r.rule, r.effect, r.source_event_id) for r in answer.reasons}

    # an EXCELLENT annual result gives priority
    results.append(result(event="r2024", finalized_at=at(2025, 1, 10)))
    answer, reasons = ask(at(2025, 1, 20))
    assert answer.promotable and answer.selection_priority and answer.training_priority
    assert reasons == {("A-5", "SELECTION_PRIORITY", "r2024"), ("A-5", "TRAINING_PRIORITY", "r2024")}

    # C: an admonishment bans promotion for six months
    sanctions.append(admonishment("K1", event="s1", decided_at=at(2025, 2, 1), ban_until=at(2025, 8, 1)))
    answer, reasons = ask(at(2025, 3, 1))
    assert answer.promotable is False
    assert ("C-7", "PROMOTION_BAN", "s1") in reasons

    # T-6: the matter is exempted, so the ban is lifted long before its date
    liftings.append(lifting("K1", rule="T-6", event="x1", when=at(2025, 4, 1)))
    answer, reasons = ask(at(2025, 4, 2))
    assert answer.promotable is True
    assert {(rule, effect) for rule, effect, _ in reasons} == {
        ("A-5", "SELECTION_PRIORITY"), ("A-5", "TRAINING_PRIORITY"), ("T-6", "RESTRICTION_LIFTED")}

    # C: a second sanction, a transfer with a twelve-month ban, bans again ...
    sanctions.append(sanction("K2", event="s2", decided_at=at(2025, 6, 1), ban_until=at(2026, 6, 1)))
    for now in (at(2025, 6, 1), at(2025, 12, 31), at(2026, 6, 1) - timedelta(seconds=1)):
        answer, reasons = ask(now)
        assert answer.promotable is False, now
        assert {r for r in reasons if r[0] == "C-7"} == {("C-7", "PROMOTION_BAN", "s2")}

    # A-5 (v2): the 2024 EXCELLENT's priority lapses at the end of 2025 in Wuhan (16:00 UTC on 31 Dec)
    _, reasons = ask(datetime(2025, 12, 31, 15, 59, tzinfo=UTC))
    assert ("A-5", "SELECTION_PRIORITY", "r2024") in reasons
    answer, reasons = ask(datetime(2025, 12, 31, 16, 0, tzinfo=UTC))
    assert not answer.selection_priority and not any(r[0] == "A-5" for r in reasons)

    # ... and the ban ends on its date, when the cadre is promotable again with nobody acting
    answer, reasons = ask(at(2026, 6, 1))
    assert answer.promotable is True
    assert reasons == {("T-6", "RESTRICTION_LIFTED", "x1")}  # K1's lifting is still said

    # A-5 (v2): a later EXCELLENT renews the priority, to the end of the year after its own
    results.append(result(cycle="cy2025", year=2025, event="r2025", finalized_at=at(2026, 1, 12)))
    answer, reasons = ask(at(2026, 6, 2))
    assert answer.selection_priority and ("A-5", "SELECTION_PRIORITY", "r2025") in reasons
    [until] = {r.valid_until for r in answer.reasons if r.rule == "A-5"}
    assert until == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


# --- L-1: nomination evidence, profile, admission, pool status -----------------------------------------

FULL_EVIDENCE = {code: f"evidence for {code}" for code in STANDARDS}


def test_a_nomination_with_evidence_for_every_standard_passes():
    assert rules.check_nomination_evidence(FULL_EVIDENCE) is None  # rule L-1


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", None, "absent"])
@pytest.mark.parametrize("missing", [
    ("OPEN_MINDED",),
    ("LOYAL_AND_CLEAN", "OUTSTANDING_RESULTS"),
    ("OUTSTANDING_RESULTS", "RESOURCEFUL_AND_CAPABLE", "LOYAL_AND_CLEAN"),
    STANDARDS,
])
def test_a_nomination_without_evidence_for_a_standard_is_refused(blank, missing):
    # rule L-1: evidence per standard; the refusal lists what is missing in the standards' order
    evidence = dict(FULL_EVIDENCE)
    for code in missing:
        if blank == "absent":
            del evidence[code]
        else:
            evidence[code] = blank
    with pytest.raises(RuleViolation) as caught:
        rules.check_nomination_evidence(evidence)
    assert caught.value.code == "EVIDENCE_MISSING"
    assert caught.value.rule == "L-1"
    assert caught.value.details == {"missing": [code for code in STANDARDS if code in missing]}


def test_a_nomination_with_no_evidence_at_all_lists_all_five():
    with pytest.raises(RuleViolation) as caught:
        rules.check_nomination_evidence({})
    assert caught.value.details["missing"] == list(STANDARDS)


@pytest.mark.parametrize("level", LEVELS)
def test_no_profile_passes_at_any_level(level):
    assert rules.check_profile(level, None) is None  # rule L-1


@pytest.mark.parametrize("level", PROFILED_LEVELS)
def test_the_cadres_own_level_profile_passes(level):
    assert rules.check_profile(level, level) is None  # rule L-1, 001's level profiles


@pytest.mark.parametrize("level,profile", [
    ("BUREAU_PRINCIPAL", "BUREAU_DEPUTY"),
    ("BUREAU_DEPUTY", "BUREAU_PRINCIPAL"),
    ("DIVISION", "BUREAU_PRINCIPAL"),
    ("STAFF", "BUREAU_DEPUTY"),
    # a level 001 gives no profile for cannot be assessed against one, not even its "own"
    ("DIVISION", "DIVISION"),
    ("SECTION", "SECTION"),
    ("STAFF", "STAFF"),
    ("BUREAU_PRINCIPAL", "NO_SUCH_PROFILE"),
])
def test_a_profile_other_than_the_cadres_own_level_is_refused(level, profile):
    # rule L-1
    with pytest.raises(RuleViolation) as caught:
        rules.check_profile(level, profile)
    assert caught.value.code == "PROFILE_MISMATCH"
    assert caught.value.rule == "L-1"
    assert caught.value.details == {"level": level, "profiles": ["BUREAU_DEPUTY", "BUREAU_PRINCIPAL"]}


ALL_HOLD = dict.fromkeys(STANDARDS, True)
OWN_ITEMS = {"BUREAU_PRINCIPAL": dict.fromkeys(PRINCIPAL_PROFILE, True),
             "BUREAU_DEPUTY": dict.fromkeys(DEPUTY_PROFILE, True)}


@pytest.mark.parametrize("level", PROFILED_LEVELS)
def test_admitted_with_all_standards_and_the_levels_profile(level):
    assert rules.admitted(ALL_HOLD, OWN_ITEMS[level], level) is True  # rule L-1


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("standard", STANDARDS)
@pytest.mark.parametrize("how", ["false", "absent"])
def test_not_admitted_unless_every_standard_holds(level, standard, how):
    # rule L-1: all five standards required
    standards = dict(ALL_HOLD)
    if how == "false":
        standards[standard] = False
    else:
        del standards[standard]
    assert rules.admitted(standards, OWN_ITEMS.get(level, {}), level) is False


@pytest.mark.parametrize("level,item", [(level, item) for level in PROFILED_LEVELS
                                        for item in OWN_ITEMS[level]])
@pytest.mark.parametrize("how", ["false", "absent"])
def test_a_bureau_cadre_needs_every_item_of_the_levels_profile(level, item, how):
    # rule L-1: the level profile (001) must hold too
    items = dict(OWN_ITEMS[level])
    if how == "false":
        items[item] = False
    else:
        del items[item]
    assert rules.admitted(ALL_HOLD, items, level) is False


def test_a_bureau_cadre_is_not_admitted_on_the_other_levels_profile():
    assert rules.admitted(ALL_HOLD, OWN_ITEMS["BUREAU_DEPUTY"], "BUREAU_PRINCIPAL") is False
    assert rules.admitted(ALL_HOLD, OWN_ITEMS["BUREAU_PRINCIPAL"], "BUREAU_DEPUTY") is False


@pytest.mark.parametrize("level", UNPROFILED_LEVELS)
def test_other_levels_need_no_profile_items(level):
    # rule L-1: 001 profiles the bureau levels only; the rest are assessed on the five standards alone
    assert rules.admitted(ALL_HOLD, {}, level) is True
    assert rules.admitted(ALL_HOLD, {"COMMANDS_THE_WHOLE": False}, level) is True


@pytest.mark.parametrize("status,allowed", [
    ("NOMINATED", ("NOMINATED",)),
    ("RESERVE", ("RESERVE", "IN_USE")),
    ("IN_USE", ("RESERVE", "IN_USE")),
    ("EXITED", ("EXITED", "NOT_ADMITTED")),
    ("NOT_ADMITTED", ("EXITED", "NOT_ADMITTED")),
])
def test_an_allowed_pool_status_passes(status, allowed):
    assert rules.check_pool_status({"status": status}, *allowed, doing="act") is None  # rule L-1


@pytest.mark.parametrize("pool,status", [
    (None, None),
    ({}, None),
    ({"status": "RESERVE"}, "RESERVE"),
    ({"status": "EXITED"}, "EXITED"),
    ({"status": "NOT_ADMITTED"}, "NOT_ADMITTED"),
])
def test_another_pool_status_is_a_conflict(pool, status):
    # rule L-1: the pool's states NOMINATED -> RESERVE -> IN_USE -> EXITED
    with pytest.raises(Conflict) as caught:
        rules.check_pool_status(pool, "NOMINATED", doing="assess a nomination")
    assert caught.value.code == "POOL_STATE"
    assert caught.value.rule == "L-1"
    assert caught.value.details == {"status": status, "needs": ["NOMINATED"]}
    assert "assess a nomination" in caught.value.message
    assert (status or "not nominated") in caught.value.message


def test_a_pool_status_conflict_names_every_status_allowed():
    with pytest.raises(Conflict) as caught:
        rules.check_pool_status({"status": "NOMINATED"}, "RESERVE", "IN_USE", doing="place in a post")
    assert caught.value.details == {"status": "NOMINATED", "needs": ["RESERVE", "IN_USE"]}
    assert "RESERVE or IN_USE" in caught.value.message


# --- L-2: exit from the pool on a sanction -------------------------------------------------------------


@pytest.mark.parametrize("fact,exits", [
    (admonishment(), False),
    (sanction(sanctions=("CRITICISM_EDUCATION",), organisational=False), False),
    (sanction(sanctions=("TRANSFER",), organisational=True), True),
    (sanction(sanctions=("DISCIPLINARY",), organisational=False, disciplinary=True), True),
    (sanction(sanctions=("REMOVAL", "DISCIPLINARY"), organisational=True, disciplinary=True), True),
    ({"case_id": "K1"}, False),  # neither flag recorded
])
def test_only_disciplinary_or_organisational_handling_exits_the_pool(fact, exits):
    assert rules.exits_pool(fact) is exits  # rule L-2(a)


ADMITTED_AT = at(2024, 6, 1)


def pool(status="RESERVE", admitted_at=ADMITTED_AT, **more):
    return {"status": status, "admitted_at": admitted_at, "profile": None, "evidence": dict(FULL_EVIDENCE),
            **more}


def test_no_pool_means_no_state():
    assert rules.pool_state(None, [sanction()]) is None
    assert rules.pool_state({}, [sanction()]) is None


def test_a_cadre_sanctioned_while_nominated_is_not_admitted():
    # rule L-2a: a sanction decided since the nomination -- the assessment cannot admit them
    entry = pool("NOMINATED", admitted_at=None, nominated_at=ADMITTED_AT)
    state = rules.pool_state(entry, [sanction("K1", decided_at=ADMITTED_AT + timedelta(days=30))])
    assert (state["status"], state["exit"]["case_id"]) == ("NOT_ADMITTED", "K1")
    before = rules.pool_state(entry, [sanction("K1", decided_at=ADMITTED_AT - timedelta(days=1))])
    assert before["status"] == "NOMINATED"  # decided before the nomination: not "new"


@pytest.mark.parametrize("entry", [
    pool("NOT_ADMITTED", admitted_at=None),
    pool("EXITED", exit={"cause": "HEALTH", "rule": "L-2", "evidence": "medical board", "at": ADMITTED_AT}),
])
def test_a_cadre_not_admitted_keeps_the_status_as_it_is(entry):
    # rule L-1, L-2: only an admitted cadre exits on a sanction
    facts = [sanction("K1", decided_at=ADMITTED_AT + timedelta(days=30))]
    assert rules.pool_state(entry, facts) == entry


@pytest.mark.parametrize("status", ["RESERVE", "IN_USE"])
@pytest.mark.parametrize("fact", [
    sanction("K1", event="ev9", decided_at=at(2024, 9, 1)),
    sanction("K1", event="ev9", sanctions=("DISCIPLINARY",), organisational=False, disciplinary=True,
             decided_at=at(2024, 9, 1)),
])
def test_an_admitted_cadre_with_a_later_qualifying_sanction_is_exited(status, fact):
    # rule L-2(a): automatic from accountability, citing the case and its event
    entry = pool(status, post="district flood-control office")
    state = rules.pool_state(entry, [fact])
    assert state["status"] == "EXITED"
    exit_ = state["exit"]
    assert {k: exit_[k] for k in ("cause", "rule", "case_id", "source_event_id", "at")} == {
        "cause": "SANCTION", "rule": "L-2", "case_id": "K1", "source_event_id": "ev9", "at": at(2024, 9, 1)}
    assert "K1" in exit_["evidence"] and fact["sanctions"][0] in exit_["evidence"]
    # the rest of the entry is kept, and the stored entry is not touched
    assert {k: v for k, v in state.items() if k not in ("status", "exit")} == {
        k: v for k, v in entry.items() if k != "status"}
    assert entry["status"] == status and "exit" not in entry


def test_a_sanction_decided_at_the_moment_of_admission_counts():
    state = rules.pool_state(pool(), [sanction("K1", decided_at=ADMITTED_AT)])
    assert state["status"] == "EXITED"  # rule L-2(a): at or after admission


@pytest.mark.parametrize("status", ["RESERVE", "IN_USE"])
@pytest.mark.parametrize("facts,liftings", [
    # decided before admission: the assessment already knew of it
    ([sanction("K1", decided_at=ADMITTED_AT - timedelta(seconds=1))], []),
    # ADMONISHMENT is neither organisational handling nor disciplinary (L-2a)
    ([admonishment("K1", decided_at=at(2024, 9, 1), ban_until=at(2025, 3, 1))], []),
    # exempted (T-6) or cleared (C-5): the exit is reversed
    ([sanction("K1", decided_at=at(2024, 9, 1))], [lifting("K1", rule="T-6")]),
    ([sanction("K1", decided_at=at(2024, 9, 1))], [lifting("K1", rule="C-5")]),
    ([sanction("K1", decided_at=at(2024, 9, 1))], [lifting("K1", when=at(2024, 8, 1))]),  # lifted first
    ([], []),
])
def test_the_status_stays_without_a_qualifying_unlifted_sanction_since_admission(status, facts, liftings):
    entry = pool(status)
    assert rules.pool_state(entry, facts, liftings) == entry


def test_a_lifting_of_another_case_does_not_reverse_the_exit():
    state = rules.pool_state(pool(), [sanction("K1", decided_at=at(2024, 9, 1))], [lifting("K2")])
    assert (state["status"], state["exit"]["case_id"]) == ("EXITED", "K1")


EARLY = sanction("K1", event="ev-early", decided_at=at(2024, 8, 1))
LATE = sanction("K2", event="ev-late", sanctions=("DISCIPLINARY",), organisational=False, disciplinary=True,
                decided_at=at(2024, 11, 1))


@pytest.mark.parametrize("facts", [[EARLY, LATE], [LATE, EARLY]])
def test_with_two_qualifying_sanctions_the_earliest_is_cited(facts):
    # rule L-2: the exit records its cause, the first one after admission, whatever order they arrive in
    state = rules.pool_state(pool(), facts)
    assert state["status"] == "EXITED"
    assert (state["exit"]["case_id"], state["exit"]["source_event_id"], state["exit"]["at"]) == (
        "K1", "ev-early", at(2024, 8, 1))


@pytest.mark.parametrize("facts", [[EARLY, LATE], [LATE, EARLY]])
def test_lifting_the_earliest_cites_the_other(facts):
    # T-6 / C-5 lift K1 only: the cadre is still out, now because of K2
    state = rules.pool_state(pool(), facts, [lifting("K1")])
    assert state["status"] == "EXITED"
    assert (state["exit"]["case_id"], state["exit"]["source_event_id"], state["exit"]["at"]) == (
        "K2", "ev-late", at(2024, 11, 1))
    assert rules.pool_state(pool(), facts, [lifting("K1"), lifting("K2", rule="C-5")]) == pool()


def test_an_earlier_sanction_before_admission_does_not_hide_a_later_one():
    before = sanction("K0", event="ev-before", decided_at=ADMITTED_AT - timedelta(days=10))
    state = rules.pool_state(pool(), [before, LATE])
    assert (state["status"], state["exit"]["case_id"]) == ("EXITED", "K2")


def test_a_non_qualifying_earlier_sanction_is_not_cited():
    light = admonishment("K0", event="ev-light", decided_at=at(2024, 7, 1), ban_until=at(2025, 1, 1))
    state = rules.pool_state(pool(), [light, LATE])
    assert (state["exit"]["case_id"], state["exit"]["source_event_id"]) == ("K2", "ev-late")


# --- L-4: young cadres ---------------------------------------------------------------------------------


@pytest.mark.parametrize("today,age", [
    (date(2025, 3, 15), 25),   # the birthday itself
    (date(2025, 3, 14), 24),   # the day before
    (date(2025, 3, 16), 25),
    (date(2025, 12, 31), 25),
    (date(2026, 1, 1), 25),
    (date(2000, 3, 15), 0),
])
def test_age_on(today, age):
    assert rules.age_on(date(2000, 3, 15), today) == age  # rule L-4


def test_age_on_across_the_month_boundary():
    assert rules.age_on(date(1990, 4, 1), date(2025, 3, 31)) == 34
    assert rules.age_on(date(1990, 4, 1), date(2025, 4, 1)) == 35


TODAY = date(2025, 3, 15)


def cadre(cadre_id, birth_date, **more):
    return {"cadre_id": cadre_id, "birth_date": birth_date, "unit_id": "U1", **more}


def test_young_is_strictly_under_the_age_youngest_first_ties_by_id():
    # rule L-4: under max_age; youngest first, then by cadre id
    cadres = [
        cadre("c5", date(1990, 3, 16)),   # 34: a day short of 35
        cadre("c1", date(1990, 3, 15)),   # 35 today: not under 35
        cadre("c4", date(2000, 1, 1)),    # 25
        cadre("c2", date(1999, 6, 1)),    # 25, same age as c4: the id decides
        cadre("c3", date(1980, 1, 1)),    # 45
        cadre("c6", date(1995, 7, 7), level="SECTION"),  # 29
    ]
    found = rules.young(cadres, TODAY, 35)
    assert [(c["cadre_id"], c["age"]) for c in found] == [("c2", 25), ("c4", 25), ("c6", 29), ("c5", 34)]
    # each cadre is returned whole, with its age added; the input is not touched
    assert found[2] == {**cadres[5], "age": 29}
    assert all("age" not in c for c in cadres)


def test_young_in_any_input_order_is_the_same():
    cadres = [cadre(f"c{i}", date(1990 + i % 4, 1 + i % 12, 1)) for i in range(8)]
    expected = rules.young(cadres, TODAY, 40)
    for permutation in itertools.permutations(cadres[:6]):
        assert rules.young([*permutation, *cadres[6:]], TODAY, 40) == expected


def test_young_with_nobody_under_the_age():
    assert rules.young([cadre("c1", date(1970, 1, 1))], TODAY, 35) == []
    assert rules.young([], TODAY, 35) == []


# --- L-5: incentive training ---------------------------------------------------------------------------

YEARS = 5  # the grassroots threshold passed in (config GRASSROOTS_PRIORITY_YEARS)


@pytest.mark.parametrize("excellent,commendation,grassroots_years,expected", [
    # A-5 / L-5: an EXCELLENT annual or special appraisal comes first, whatever else holds
    (True, False, 0, "EXCELLENT_APPRAISAL"),
    (True, True, 20, "EXCELLENT_APPRAISAL"),
    # L-5: long in grassroots posts AND outstanding results (a commendation on record)
    (False, True, YEARS, "GRASSROOTS_WITH_RESULTS"),
    (False, True, YEARS + 7, "GRASSROOTS_WITH_RESULTS"),
    # one without the other is no priority
    (False, True, YEARS - 1, "NONE"),
    (False, False, YEARS, "NONE"),
    (False, False, 30, "NONE"),
    (False, False, 0, "NONE"),
])
def test_training_priority(excellent, commendation, grassroots_years, expected):
    cadre_ = {"cadre_id": "c1", "grassroots_years": grassroots_years}
    assert rules.training_priority(cadre_, excellent, commendation, YEARS) == expected


def candidate(cadre_id, priority, grassroots_years):
    return {"cadre_id": cadre_id, "priority": priority, "grassroots_years": grassroots_years}


CANDIDATES = [
    candidate("c1", "NONE", 10),                     # most grassroots years, but no priority group
    candidate("c2", "GRASSROOTS_WITH_RESULTS", 5),
    candidate("c3", "EXCELLENT_APPRAISAL", 0),
    candidate("c4", "GRASSROOTS_WITH_RESULTS", 8),
    candidate("c5", "EXCELLENT_APPRAISAL", 2),
    candidate("c6", "EXCELLENT_APPRAISAL", 2),        # ties c5 on group and years: the id decides
    candidate("c7", "NONE", 1),
]
# L-5's stated order: priority group, then more grassroots years, then the cadre id
EXPECTED_ORDER = ["c5", "c6", "c3", "c4", "c2", "c1", "c7"]


def test_allocation_follows_the_stated_order_and_fills_seats_in_it():
    # rule L-5
    allocation = rules.allocate(CANDIDATES, 3)
    assert [line["cadre_id"] for line in allocation] == EXPECTED_ORDER
    assert [line["rank"] for line in allocation] == [1, 2, 3, 4, 5, 6, 7]
    assert [line["seated"] for line in allocation] == [True] * 3 + [False] * 4
    priorities = {c["cadre_id"]: c["priority"] for c in CANDIDATES}
    for line in allocation:
        assert set(line) == {"cadre_id", "rank", "seated", "priority", "reason"}
        assert line["priority"] == priorities[line["cadre_id"]]


def test_each_candidate_is_told_the_seat_or_the_miss_and_why():
    # rule L-5: says why each got or missed a seat
    allocation = {line["cadre_id"]: line for line in rules.allocate(CANDIDATES, 3)}
    for line in allocation.values():
        assert f"rank {line['rank']} of 7 for 3 seats" in line["reason"]
        if line["seated"]:
            assert line["reason"].endswith("seated") and "no seat" not in line["reason"]
        else:
            assert line["reason"].endswith("no seat left")
    assert "EXCELLENT" in allocation["c5"]["reason"] and "A-5" in allocation["c5"]["reason"]
    assert "L-5" in allocation["c5"]["reason"]
    assert "grassroots" in allocation["c4"]["reason"] and "L-5" in allocation["c4"]["reason"]
    assert "commendation" in allocation["c4"]["reason"]
    assert allocation["c1"]["reason"].startswith("no priority")


def test_every_allocation_reason_cites_rule_l5():
    # BUG (services/talent/rules.py, allocate): the reason of a candidate with no priority is
    # "no priority; rank 6 of 7 for 3 seats: no seat left" -- unlike the two priority groups' reasons
    # ("... (A-5, L-5)", "... (L-5)") it cites no rule, though L-5 is what put them behind and what every
    # candidate is told (DOMAIN.md: messages cite the rule id). Correct: every reason names L-5.
    for line in rules.allocate(CANDIDATES, 3):
        assert "L-5" in line["reason"], line


@pytest.mark.parametrize("seats", [0, 1, 3, 7, 10])
def test_the_same_candidates_in_any_order_get_the_same_allocation(seats):
    # rule L-5: a deterministic order -- every permutation of the input gives the identical answer
    expected = rules.allocate(CANDIDATES, seats)
    for permutation in itertools.permutations(CANDIDATES):
        assert rules.allocate(list(permutation), seats) == expected


def test_more_seats_than_candidates_seats_everyone():
    allocation = rules.allocate(CANDIDATES, 10)
    assert [line["cadre_id"] for line in allocation] == EXPECTED_ORDER
    assert all(line["seated"] for line in allocation)
    assert all(line["reason"].endswith("for 10 seats: seated") for line in allocation)


def test_as_many_seats_as_candidates_seats_everyone():
    assert all(line["seated"] for line in rules.allocate(CANDIDATES, len(CANDIDATES)))


def test_no_seats_seats_nobody_and_no_candidates_gives_nothing():
    assert not any(line["seated"] for line in rules.allocate(CANDIDATES, 0))
    assert rules.allocate([], 5) == []


def test_allocate_does_not_touch_the_candidates():
    candidates = [dict(c) for c in CANDIDATES]
    rules.allocate(candidates, 3)
    assert candidates == CANDIDATES


def test_the_priority_term_is_a_policy_value():
    # rule A-5 (v2): EXCELLENT_PRIORITY_YEARS
    two_years = rules.Policy(excellent_priority_years=2)
    [reason, _] = rules.excellent_priority([result(year=2024)], two_years)
    assert reason.valid_until == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert rules.Policy.from_config({"EXCELLENT_PRIORITY_YEARS": "0"}).excellent_priority_years == 0


def test_an_amendment_taking_the_excellent_away_takes_the_priority():
    # rule A-5 (v2): the cycle's latest result counts
    amended = [result(event="r1", finalized_at=at(2025, 1, 10)),
               result(grade="COMPETENT", event="r1-amended", finalized_at=at(2025, 2, 1))]
    assert rules.eligibility(amended, at(2025, 3, 1)).reasons == []


@pytest.mark.parametrize("months,leadership,higher", [
    (6, False, False),    # both restrictions run
    (18, True, False),    # the leadership-post year is over, the higher-post two years are not
    (25, True, True),     # both over
])
def test_the_answer_says_each_post_the_cadre_may_take(months, leadership, higher):
    """L-3 (v2) after a REMOVAL (C-7): a leadership post after 12 months, a higher post after 24."""
    fact = {**sanction("K1", sanctions=("REMOVAL",), decided_at=DECIDED), "restrictions": [
        {"kind": "NO_LEADERSHIP_POST", "until": DECIDED + timedelta(days=365)},
        {"kind": "NO_HIGHER_POST", "until": DECIDED + timedelta(days=730)}]}
    answer = rules.eligibility([], DECIDED + timedelta(days=months * 30.5), sanctions=[fact])
    assert (answer.leadership_post_allowed, answer.higher_post_allowed, answer.promotable) == (
        leadership, higher, higher)
    assert all(r.valid_until for r in answer.reasons)  # each reason says until when


def test_grassroots_priority_shows_in_eligibility_as_the_allocation_gives_it():
    """L-3 agrees with L-5: long at the grassroots with a commendation on record is a training
    priority, with its rule and the commendation's event."""
    cadre = {"grassroots_years": 6}
    commended = [{"event_id": "ev-c", "awarded_at": DECIDED, "kind": "COMMENDATION", "year": 2025}]
    [reason] = rules.grassroots_priority(cadre, commended, 5)
    assert (reason.rule, reason.effect, reason.source_event_id) == ("L-5", "TRAINING_PRIORITY", "ev-c")
    answer = rules.eligibility([], NOW, grassroots=[reason])
    assert answer.training_priority is True and answer.selection_priority is False
    assert rules.training_priority(cadre, False, True, 5) == rules.PRIORITY_GRASSROOTS
    assert rules.grassroots_priority({"grassroots_years": 4}, commended, 5) == []
    assert rules.grassroots_priority(cadre, [], 5) == []
