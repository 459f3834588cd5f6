"""Care's pure rules (DOMAIN.md section K): the four must-talks (K-1), health checks (K-2), paid leave (K-3),
the hardship fund's money (K-5) and condolence visits to the families of cadres who died on duty (K-6)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.care import rules
from services.common.errors import Conflict, RuleViolation

NOW = datetime(2025, 3, 15, 9, 30, tzinfo=UTC)

# --- the vocabulary, written out by hand from DOMAIN.md section K (independent of rules.py's constants) ----

# K-1 四必谈: 岗位调整, 重大挫折, 发现苗头问题, 干部主动约谈
TALK_REASONS = ("JOB_ADJUSTMENT", "MAJOR_SETBACK", "EARLY_WARNING", "SELF_REQUESTED")
# K-5 关心关爱干部专项资金
HARDSHIP_REASONS = ("NATURAL_DISASTER", "MAJOR_ILLNESS", "MAJOR_INCIDENT")
# K-6 registered dependants: spouse, children, elders
RELATIONS = ("SPOUSE", "CHILD", "ELDER")


def test_the_care_vocabulary_is_the_domains():
    assert rules.TALK_REASONS == TALK_REASONS
    assert len(set(rules.TALK_REASONS)) == 4
    assert rules.HARDSHIP_REASONS == HARDSHIP_REASONS
    assert len(set(rules.HARDSHIP_REASONS)) == 3
    assert rules.RELATIONS == RELATIONS
    assert (rules.OPEN, rules.DONE) == ("OPEN", "DONE")
    assert (rules.STANDARD, rules.ENHANCED) == ("STANDARD", "ENHANCED")
    assert (rules.PENDING, rules.APPROVED, rules.REJECTED) == ("PENDING", "APPROVED", "REJECTED")


def test_the_configurable_defaults_are_the_domains():
    assert rules.DEFAULT_TALK_DAYS == 15  # K-1: default 15 days
    assert rules.DEFAULT_LEAVE_DAYS == ((10, 5), (20, 10), (None, 15))  # K-3 [national default]
    assert rules.DUE_SOON_DAYS == 30


# --- K-1 the four must-talks -----------------------------------------------------------------------------


def test_a_talk_is_due_fifteen_days_after_it_opens_by_default():
    # rule K-1
    assert rules.talk_due(NOW, rules.DEFAULT_TALK_DAYS) == datetime(2025, 3, 30, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("days,expected", [
    (0, datetime(2025, 3, 15, 9, 30, tzinfo=UTC)),
    (1, datetime(2025, 3, 16, 9, 30, tzinfo=UTC)),
    (7, datetime(2025, 3, 22, 9, 30, tzinfo=UTC)),
    (30, datetime(2025, 4, 14, 9, 30, tzinfo=UTC)),
    (365, datetime(2026, 3, 15, 9, 30, tzinfo=UTC)),
])
def test_the_talk_deadline_is_configurable(days, expected):
    # rule K-1: configurable days, the time of day kept
    due = rules.talk_due(NOW, days)
    assert due == expected
    assert due.tzinfo is not None


def test_an_open_talk_may_be_completed():
    # rule K-1
    assert rules.check_talk_open({"_id": "talk-1", "status": "OPEN"}) is None


def test_a_completed_talk_is_not_completed_twice():
    # rule K-1: completion records the talk, once
    completed_at = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)
    with pytest.raises(Conflict) as caught:
        rules.check_talk_open({"_id": "talk-1", "status": "DONE", "completed_at": completed_at})
    assert caught.value.code == "TALK_COMPLETED"
    assert caught.value.rule == "K-1"
    assert caught.value.details == {"completed_at": str(completed_at)}
    assert "talk-1" in caught.value.message


# --- K-2 health checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("years,expected", [
    (0, "STANDARD"), (4, "STANDARD"), (5, "ENHANCED"), (6, "ENHANCED"), (30, "ENHANCED"),
])
def test_the_enhanced_standard_from_five_grassroots_years_by_default(years, expected):
    # rule K-2
    assert rules.DEFAULT_HARDSHIP_YEARS == 5
    assert rules.health_standard(years) == expected


@pytest.mark.parametrize("years,threshold,expected", [
    (2, 3, "STANDARD"), (3, 3, "ENHANCED"), (4, 3, "ENHANCED"),
    (7, 8, "STANDARD"), (8, 8, "ENHANCED"), (5, 8, "STANDARD"),
    (0, 0, "ENHANCED"),
])
def test_the_enhanced_threshold_is_configurable(years, threshold, expected):
    # rule K-2
    assert rules.health_standard(years, threshold) == expected
    assert rules.health_standard(years, hardship_years=threshold) == expected


def test_a_units_yearly_completion():
    # rule K-2: who was checked, to which standard, who is missing
    cadres = [
        {"_id": "C5", "grassroots_years": 6},  # enhanced due, checked enhanced
        {"_id": "C3", "grassroots_years": 5},  # enhanced due, checked only to the standard
        {"_id": "C1", "grassroots_years": 9},  # enhanced due, missing
        {"_id": "C4", "grassroots_years": 1},  # standard, checked
        {"_id": "C2"},                         # no roster years: standard, missing
        {"_id": "C6", "grassroots_years": 0},  # standard, checked
    ]
    checked = {
        "C5": {"standard": "ENHANCED"},
        "C3": {"standard": "STANDARD"},
        "C4": {"standard": "STANDARD"},
        "C6": {"standard": "STANDARD"},
        "OUTSIDER": {"standard": "ENHANCED"},  # not in this unit: counts for nothing
    }
    result = rules.completion(cadres, checked)
    assert result == {
        "cadres": 6, "checked": 4, "missing": ["C1", "C2"],
        "enhanced_due": 3, "enhanced_done": 1, "rate": Decimal("0.6667"),
    }
    assert isinstance(result["rate"], Decimal)
    assert result["rate"].as_tuple().exponent == -4


def test_completion_with_a_custom_threshold():
    # rule K-2
    cadres = (c for c in [{"_id": "A", "grassroots_years": 3}, {"_id": "B", "grassroots_years": 2}])
    checked = {"A": {"standard": "ENHANCED"}, "B": {"standard": "ENHANCED"}}
    result = rules.completion(cadres, checked, hardship_years=3)
    assert result["enhanced_due"] == 1
    assert result["enhanced_done"] == 1
    assert result["missing"] == []
    assert result["rate"] == Decimal("1.0000")
    assert str(result["rate"]) == "1.0000"


@pytest.mark.parametrize("done,total,rate", [
    (0, 3, "0.0000"), (1, 3, "0.3333"), (2, 3, "0.6667"), (1, 7, "0.1429"), (7, 7, "1.0000"),
])
def test_the_completion_rate_is_a_decimal_with_four_places(done, total, rate):
    # rule K-2
    cadres = [{"_id": f"C{i}", "grassroots_years": 0} for i in range(total)]
    checked = {f"C{i}": {"standard": "STANDARD"} for i in range(done)}
    result = rules.completion(cadres, checked)
    assert str(result["rate"]) == rate
    assert result["checked"] == done
    assert len(result["missing"]) == total - done


def test_an_empty_unit_has_rate_zero():
    # rule K-2
    result = rules.completion([], {"C1": {"standard": "ENHANCED"}})
    assert result == {"cadres": 0, "checked": 0, "missing": [], "enhanced_due": 0, "enhanced_done": 0,
                      "rate": Decimal(0)}
    assert isinstance(result["rate"], Decimal)


# --- K-3 paid leave --------------------------------------------------------------------------------------


@pytest.mark.parametrize("years,days", [
    (0, 0), (1, 5), (9, 5), (10, 10), (19, 10), (20, 15), (40, 15),
])
def test_the_national_default_leave_entitlement(years, days):
    # rule K-3 (v2) [national default]: none under one year, <10 years 5 days, <20 years 10, otherwise 15
    assert rules.leave_entitlement(years) == days


@pytest.mark.parametrize("years,days", [
    (0, 0), (1, 3), (4, 3), (5, 7), (14, 7), (15, 12), (29, 12), (30, 20), (50, 20),
])
def test_a_custom_leave_table(years, days):
    # rule K-3: the table is configurable, rows read top down; under one year, none whatever the table
    table = ((5, 3), (15, 7), (30, 12), (None, 20))
    assert rules.leave_entitlement(years, table) == days


def test_a_leave_table_of_one_open_row():
    assert rules.leave_entitlement(1, ((None, 8),)) == 8
    assert rules.leave_entitlement(60, ((None, 8),)) == 8
    assert rules.leave_entitlement(0, ((None, 8),)) == 0


@pytest.mark.parametrize("table", [((10, 5), (20, 10)), ()])
def test_a_leave_table_without_an_open_ended_last_row_is_refused(table):
    # rule K-3: a service length past the last bound has no entitlement -- a configuration error
    with pytest.raises(ValueError, match="open-ended last row"):
        rules.leave_entitlement(25, table)


@pytest.mark.parametrize("days,entitlement,taken", [
    (5, 5, 0), (1, 5, 4), (3, 10, 7), (0, 10, 10), (15, 15, 0), (1, 15, 14),
])
def test_leave_up_to_the_entitlement_passes(days, entitlement, taken):
    # rule K-3
    assert rules.check_leave(days, entitlement, taken) is None


@pytest.mark.parametrize("days,entitlement,taken", [
    (6, 5, 0), (2, 5, 4), (4, 10, 7), (1, 10, 10), (16, 15, 0), (1, 5, 6),
])
def test_leave_beyond_the_entitlement_is_refused(days, entitlement, taken):
    # rule K-3: one day more than remains is refused
    with pytest.raises(RuleViolation) as caught:
        rules.check_leave(days, entitlement, taken)
    assert caught.value.code == "LEAVE_EXCEEDED"
    assert caught.value.rule == "K-3"
    assert caught.value.details == {"entitlement": entitlement, "taken": taken, "asked": days}


def test_the_untaken_leave_report_lists_leaders_first():
    # rule K-3 领导干部带头: leaders first, then most days left, then the cadre id
    rows = [
        {"cadre_id": "C9", "is_leader": False, "remaining": 10},
        {"cadre_id": "C1", "is_leader": False, "remaining": 0},   # all taken: not listed
        {"cadre_id": "L3", "is_leader": True, "remaining": 2},
        {"cadre_id": "C2", "is_leader": False, "remaining": 10},
        {"cadre_id": "L1", "is_leader": True, "remaining": 0},    # all taken: not listed
        {"cadre_id": "C5", "is_leader": False, "remaining": 12},
        {"cadre_id": "L2", "is_leader": True, "remaining": 5},
        {"cadre_id": "L0", "is_leader": True, "remaining": 2},
        {"cadre_id": "C7", "is_leader": False, "remaining": 1},
    ]
    report = rules.untaken_report(rows)
    assert [r["cadre_id"] for r in report] == ["L2", "L0", "L3", "C5", "C2", "C9", "C7"]
    assert all(isinstance(r, dict) for r in report)
    assert report[0] == {"cadre_id": "L2", "is_leader": True, "remaining": 5}


def test_the_untaken_leave_report_copies_its_rows():
    row = {"cadre_id": "C1", "is_leader": False, "remaining": 3}
    report = rules.untaken_report(iter([row]))
    report[0]["remaining"] = 0
    assert row["remaining"] == 3
    assert rules.untaken_report([]) == []


# --- K-5 the hardship fund's money -----------------------------------------------------------------------


@pytest.mark.parametrize("amount,cents", [
    (Decimal("12.34"), 1234),
    (Decimal("0.01"), 1),
    (Decimal("0.29"), 29),       # int(0.29 * 100) is 28 in binary floating point
    (Decimal("1.10"), 110),
    (Decimal("4.35"), 435),      # float: 434.99999999999994
    (Decimal("100000000"), 10_000_000_000),
    (Decimal("12345678901234.56"), 1_234_567_890_123_456),
    (Decimal("0"), 0),
    (Decimal("7"), 700),
    (Decimal("-3.05"), -305),
])
def test_money_is_integer_cents(amount, cents):
    # rule K-5: exact arithmetic, no float involved
    result = rules.to_cents(amount)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize("cents,text", [
    (10000, "100.00"), (1234, "12.34"), (1, "0.01"), (0, "0.00"), (5, "0.05"), (10, "0.10"),
    (10_000_000_000, "100000000.00"),
    (-1, "-0.01"), (-150, "-1.50"), (-10000, "-100.00"),
])
def test_cents_back_as_yuan_with_two_places(cents, text):
    # rule K-5
    amount = rules.yuan(cents)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(text)
    assert str(amount) == text
    assert rules.to_cents(amount) == cents


def test_yuan_example():
    assert rules.yuan(10000) == Decimal("100.00")
    assert str(rules.yuan(10000)) == "100.00"


@pytest.mark.parametrize("balance,amount", [(10000, 10000), (10000, 9999), (10000, 0), (1, 1)])
def test_a_grant_up_to_the_balance_passes(balance, amount):
    # rule K-5: the balance may reach zero, never below
    assert rules.check_grant(balance, amount) is None


@pytest.mark.parametrize("balance,amount", [(10000, 10001), (0, 1), (500, 100000)])
def test_a_grant_beyond_the_balance_is_refused(balance, amount):
    # rule K-5: the balance never goes negative
    with pytest.raises(RuleViolation) as caught:
        rules.check_grant(balance, amount)
    assert caught.value.code == "FUND_EXCEEDED"
    assert caught.value.rule == "K-5"
    assert caught.value.details == {"remaining_cents": balance, "amount_cents": amount}


def test_the_grant_refusal_states_yuan():
    with pytest.raises(RuleViolation) as caught:
        rules.check_grant(10000, 10001)
    assert "100.01" in caught.value.message
    assert "100.00" in caught.value.message


@pytest.mark.parametrize("budget,granted", [(10000, 10000), (10001, 10000), (0, 0), (500, 0)])
def test_a_budget_at_or_above_what_was_granted_passes(budget, granted):
    # rule K-5
    assert rules.check_budget(budget, granted) is None


@pytest.mark.parametrize("budget,granted", [(9999, 10000), (0, 1)])
def test_a_budget_below_what_was_granted_is_refused(budget, granted):
    # rule K-5
    with pytest.raises(RuleViolation) as caught:
        rules.check_budget(budget, granted)
    assert caught.value.code == "BUDGET_BELOW_GRANTED"
    assert caught.value.rule == "K-5"
    assert caught.value.details == {"granted_cents": granted, "budget_cents": budget}


def test_a_pending_application_may_be_decided():
    # rule K-5
    assert rules.check_application_pending({"_id": "app-1", "status": "PENDING"}) is None


@pytest.mark.parametrize("status", ["APPROVED", "REJECTED"])
def test_a_decided_application_is_not_decided_again(status):
    # rule K-5: a grant is paid exactly once
    with pytest.raises(Conflict) as caught:
        rules.check_application_pending({"_id": "app-1", "status": status})
    assert caught.value.code == "APPLICATION_DECIDED"
    assert caught.value.rule == "K-5"
    assert caught.value.details == {"status": status}
    assert "app-1" in caught.value.message


def test_the_ledger_keeps_a_running_balance_in_the_order_given():
    # rule K-5: the fund's book as written, each line with a balance checkable by hand
    entries = [
        {"kind": "BUDGET", "delta_cents": 100000},
        {"kind": "GRANT", "delta_cents": -30000, "application_id": "app-2"},
        {"kind": "GRANT", "delta_cents": -25050, "application_id": "app-1"},
        {"kind": "BUDGET", "delta_cents": 50000},
        {"kind": "GRANT", "delta_cents": -94950, "application_id": "app-3"},
    ]
    lines = rules.ledger(entries)
    assert [line["balance_cents"] for line in lines] == [100000, 70000, 44950, 94950, 0]
    assert [line["kind"] for line in lines] == ["BUDGET", "GRANT", "GRANT", "BUDGET", "GRANT"]
    assert [line.get("application_id") for line in lines] == [None, "app-2", "app-1", None, "app-3"]
    assert lines[1] == {"kind": "GRANT", "delta_cents": -30000, "application_id": "app-2",
                        "balance_cents": 70000}
    assert all("balance_cents" not in entry for entry in entries)  # the input is not written to


def test_the_ledger_is_not_reordered():
    # the same lines in another order give other running balances: the book is kept as written
    entries = [{"delta_cents": -100}, {"delta_cents": 300}]
    assert [line["balance_cents"] for line in rules.ledger(iter(entries))] == [-100, 200]
    assert rules.ledger([]) == []


# --- K-6 families of cadres who died on duty -------------------------------------------------------------


@pytest.mark.parametrize("day,months,expected", [
    (date(2025, 1, 15), 1, date(2025, 2, 15)),
    (date(2025, 1, 15), 0, date(2025, 1, 15)),
    # month-end clipping
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2025, 3, 31), 1, date(2025, 4, 30)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2025, 5, 31), 6, date(2025, 11, 30)),
    (date(2025, 1, 30), 1, date(2025, 2, 28)),
    # leap years
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2100, 1, 31), 1, date(2100, 2, 28)),  # not a leap year
    (date(2000, 1, 31), 1, date(2000, 2, 29)),  # a leap year
    # December rollover
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 12, 31), 2, date(2026, 2, 28)),
    (date(2025, 7, 10), 6, date(2026, 1, 10)),
    (date(2025, 6, 30), 6, date(2025, 12, 30)),
    (date(2025, 11, 30), 13, date(2026, 12, 30)),
    (date(2025, 12, 1), 24, date(2027, 12, 1)),
    # backwards
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
    (date(2025, 1, 15), -1, date(2024, 12, 15)),
])
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_the_first_visit_is_due_from_registration():
    # rule K-6 定期慰问
    assert rules.DEFAULT_VISIT_MONTHS == 6
    family = {"registered_on": date(2024, 8, 31), "visit_every_months": 6, "visits": []}
    assert rules.next_visit(family) == date(2025, 2, 28)
    no_visits_key = {"registered_on": date(2024, 8, 31), "visit_every_months": 6}
    assert rules.next_visit(no_visits_key) == date(2025, 2, 28)
    assert rules.next_visit({"registered_on": date(2024, 8, 31), "visit_every_months": 3,
                             "visits": None}) == date(2024, 11, 30)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_the_next_visit_is_due_from_the_latest_visit_whichever_order(order):
    # rule K-6
    visits = [{"on": date(2024, 3, 1)}, {"on": date(2025, 1, 31)}, {"on": date(2024, 9, 10)}]
    family = {"registered_on": date(2023, 12, 1), "visit_every_months": 1,
              "visits": [visits[i] for i in order]}
    assert rules.next_visit(family) == date(2025, 2, 28)


def test_the_next_visit_with_a_custom_interval():
    family = {"registered_on": date(2023, 12, 1), "visit_every_months": 12,
              "visits": [{"on": date(2024, 6, 1)}]}
    assert rules.next_visit(family) == date(2025, 6, 1)


TODAY = date(2025, 3, 15)


@pytest.mark.parametrize("due,status", [
    (TODAY - timedelta(days=100), "OVERDUE"),
    (TODAY - timedelta(days=1), "OVERDUE"),
    (TODAY, "DUE"),                          # due today is not yet overdue
    (TODAY + timedelta(days=1), "DUE"),
    (TODAY + timedelta(days=29), "DUE"),
    (TODAY + timedelta(days=30), "DUE"),     # within 30 days, inclusive
    (TODAY + timedelta(days=31), None),
    (TODAY + timedelta(days=365), None),
])
def test_visit_status(due, status):
    # rule K-6
    assert rules.visit_status(due, TODAY) == status


@pytest.mark.parametrize("grassroots,front_line,expected", [
    (0, False, "STANDARD"), (0, True, "ENHANCED"), (5, False, "ENHANCED"), (5, True, "ENHANCED"),
])
def test_the_emergency_front_line_calls_for_the_enhanced_check(grassroots, front_line, expected):
    # rule K-2 (v2): long in hardship posts, or on the front line of 急难险重 work
    assert rules.health_standard(grassroots, 5, front_line) == expected
    assert rules.cadre_standard({"grassroots_years": grassroots, "emergency_front_line": front_line},
                                5) == expected


def test_a_first_version_copy_has_no_front_line_and_keeps_its_standard():
    assert rules.cadre_standard({"grassroots_years": 2}, 5) == "STANDARD"
