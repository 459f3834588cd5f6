"""Rules A-1 (EXCELLENT quota) and A-2 (a principal leader's EXCELLENT needs the unit's MERIT)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.appraisal import rules
from services.common.clock import business_year
from services.common.errors import Conflict, RuleViolation

STAFF = {"is_principal": False}
PRINCIPAL = {"is_principal": True}


@pytest.mark.parametrize("unit_type,ratio", [
    ("DISTRICT", Decimal("0.15")), ("CITY_DEPARTMENT", Decimal("0.15")),
    ("STREET_TOWNSHIP", Decimal("0.20")), (None, Decimal("0.15")),
])
def test_ratio_by_unit_type(unit_type, ratio):
    assert rules.excellent_ratio(unit_type) == ratio


def test_ratios_come_from_config():
    ratios = {"DEFAULT": Decimal("0.10"), "STREET_TOWNSHIP": Decimal("0.25")}
    assert rules.excellent_ratio("DISTRICT", ratios) == Decimal("0.10")
    assert rules.excellent_ratio("STREET_TOWNSHIP", ratios) == Decimal("0.25")


@pytest.mark.parametrize("participants,ratio,maximum", [
    (20, Decimal("0.15"), 3), (20, Decimal("0.20"), 4), (19, Decimal("0.15"), 2),
    (6, Decimal("0.15"), 0), (7, Decimal("0.15"), 1), (100, Decimal("0.29"), 29), (0, Decimal("0.2"), 0),
])
def test_quota_is_the_floor_of_participants_times_ratio(participants, ratio, maximum):
    # 100 × 0.29 is 28.999… in binary floating point; the quota must still be 29
    assert rules.quota(participants, ratio, 0).maximum == maximum


def test_the_fourth_excellent_is_refused_in_an_ordinary_unit_and_accepted_in_a_street_unit():
    ordinary = rules.quota(20, rules.excellent_ratio("DISTRICT"), used=3)
    street = rules.quota(20, rules.excellent_ratio("STREET_TOWNSHIP"), used=3)

    with pytest.raises(RuleViolation) as caught:
        rules.check_excellent_quota("ANNUAL", "EXCELLENT", STAFF, ordinary, already_excellent=False)
    assert caught.value.rule == "A-1"
    assert caught.value.code == "EXCELLENT_QUOTA_EXCEEDED"
    assert caught.value.details == {"quota": "EXCELLENT", "pool": "DEFAULT", "participants": 20,
                                    "ratio": "0.15", "max": 3, "used": 3}
    rules.check_excellent_quota("ANNUAL", "EXCELLENT", STAFF, street, already_excellent=False)


def test_the_third_excellent_of_twenty_is_accepted():
    rules.check_excellent_quota("ANNUAL", "EXCELLENT", STAFF, rules.quota(20, Decimal("0.15"), 2),
                                already_excellent=False)


@pytest.mark.parametrize("kind,grade,cadre,already", [
    ("SPECIAL", "EXCELLENT", STAFF, False),     # the quota is for the annual appraisal
    ("ANNUAL", "COMPETENT", STAFF, False),      # only EXCELLENT counts
    ("ANNUAL", "EXCELLENT", PRINCIPAL, False),  # principal leaders are outside the quota
    ("ANNUAL", "EXCELLENT", STAFF, True),       # re-recording an EXCELLENT takes no new place
])
def test_outside_the_quota(kind, grade, cadre, already):
    full = rules.quota(20, Decimal("0.15"), used=3)
    rules.check_excellent_quota(kind, grade, cadre, full, already_excellent=already)


def test_a_principal_leader_is_excellent_only_in_a_merit_year():
    rules.check_principal_excellent("ANNUAL", "EXCELLENT", PRINCIPAL, "MERIT")
    for unit_grade in ("PASS", "FAIL", None):
        with pytest.raises(RuleViolation) as caught:
            rules.check_principal_excellent("ANNUAL", "EXCELLENT", PRINCIPAL, unit_grade)
        assert (caught.value.rule, caught.value.details) == (
            "A-2", {"unit_grade": unit_grade, "unit_id": None})


def test_the_merit_gate_leaves_others_alone_and_can_be_switched_off():
    rules.check_principal_excellent("ANNUAL", "EXCELLENT", STAFF, None)
    rules.check_principal_excellent("ANNUAL", "COMPETENT", PRINCIPAL, None)
    rules.check_principal_excellent("SPECIAL", "EXCELLENT", PRINCIPAL, None)
    rules.check_principal_excellent("ANNUAL", "EXCELLENT", PRINCIPAL, "PASS", requires_merit=False)


def test_a_year_in_the_future_is_refused():
    rules.ensure_not_future(2026, 2026)
    with pytest.raises(Conflict) as caught:
        rules.ensure_not_future(2027, 2026)
    assert caught.value.code == "YEAR_IN_FUTURE"


def test_the_year_turns_at_midnight_in_wuhan_not_in_utc():
    new_year_in_wuhan = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January 2026 there
    assert business_year(new_year_in_wuhan) == 2026
    assert business_year(new_year_in_wuhan, {"BUSINESS_TIMEZONE": "UTC"}) == 2025
    assert business_year(datetime(2025, 12, 31, 15, 59, tzinfo=UTC)) == 2025
