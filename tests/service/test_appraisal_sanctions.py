"""Appraisal's A-6 as the service applies it: the bar comes from accountability's sanction_decided and
goes with tolerance's EXEMPTED ruling (T-6) or accountability's cadre_cleared (C-5), whatever order they
arrive in and however often. Events are published to the real broker as their producers publish them;
tests/integration/test_accountability_paths.py proves the same between running processes."""

from datetime import UTC, datetime

import pytest

from services.appraisal.events import CadreClearedIn, RulingMadeIn, SanctionDecidedIn
from services.appraisal.service import AppraisalService
from services.common.errors import RuleViolation
from tests.helpers import call

AT = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def appraisal(running):
    return running(AppraisalService)


@pytest.fixture
def principal(appraisal, seed_principal):
    """P1, principal leader of the MERIT unit U1 (A-2), with U1's 2025 annual cycle open."""
    seed_principal()
    call(appraisal, "grade_unit", "U1", 2025, "MERIT")
    return call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")["cycle_id"]


@pytest.fixture
def seed_principal(mongo_client, config):
    from services.common.storage.store import database_name

    db = mongo_client[database_name(config, "appraisal")]

    def seed():
        db.units.insert_one({"_id": "U1", "unit_id": "U1", "name": "U1", "unit_type": "DISTRICT",
                             "applied_events": []})
        db.cadres.insert_one({"_id": "P1", "cadre_id": "P1", "unit_id": "U1", "is_principal": True,
                              "is_leader": True, "applied_events": []})
    return seed


@pytest.fixture
def deliver(appraisal, deliver_event):
    def deliver_(schema, payload, handler, envelope=None):
        return deliver_event(appraisal, schema, payload, handler, envelope)
    return deliver_


def sanction(deliver, case_id="k1", year=2025, envelope=None):
    return deliver(SanctionDecidedIn, {"case_id": case_id, "cadre_id": "P1", "year": year,
                                       "sanctions": ["TRANSFER"], "decided_at": AT},
                   "on_sanction_decided", envelope)


def exemption(deliver, case_id="k1", outcome="EXEMPTED"):
    return deliver(RulingMadeIn, {"application_id": "T1", "cadre_id": "P1", "case_id": case_id,
                                  "outcome": outcome, "ruled_at": AT}, "on_ruling_made")


def excellent(appraisal, cycle_id):
    return call(appraisal, "record_grade", cycle_id, "P1", "EXCELLENT")


def test_a_sanction_that_year_bars_excellent_and_an_exemption_lifts_it(appraisal, principal, deliver):
    event = sanction(deliver)
    sanction(deliver, envelope=event)  # redelivered: one restriction
    with pytest.raises(RuleViolation) as caught:
        excellent(appraisal, principal)
    assert (caught.value.rule, caught.value.details["case_ids"]) == ("A-6", ["k1"])

    exemption(deliver, outcome="MITIGATED")  # mitigated is not exempted: the bar stays
    with pytest.raises(RuleViolation):
        excellent(appraisal, principal)
    exemption(deliver)
    assert excellent(appraisal, principal)["results"][0]["grade"] == "EXCELLENT"


def test_an_exemption_that_arrives_before_its_sanction_still_lifts_it(appraisal, principal, deliver):
    exemption(deliver)
    sanction(deliver)
    assert excellent(appraisal, principal)["results"][0]["grade"] == "EXCELLENT"


def test_clearing_lifts_only_the_cases_it_names(appraisal, principal, deliver):
    sanction(deliver, "k1")
    sanction(deliver, "k2")
    deliver(CadreClearedIn, {"cadre_id": "P1", "complaint_id": "q1", "case_ids": ["k1"],
                             "cleared_at": AT}, "on_cadre_cleared")
    with pytest.raises(RuleViolation) as caught:
        excellent(appraisal, principal)
    assert caught.value.details["case_ids"] == ["k2"]


def test_a_sanction_decided_after_the_grade_stops_the_finalize(appraisal, principal, deliver):
    excellent(appraisal, principal)
    sanction(deliver)
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "finalize_cycle", principal)
    assert (caught.value.rule, caught.value.details["cadre_id"]) == ("A-6", "P1")
    assert call(appraisal, "get_cycle", principal)["status"] == "OPEN"


def test_a_sanction_in_another_year_bars_nothing(appraisal, principal, deliver):
    sanction(deliver, year=2024)
    assert excellent(appraisal, principal)["results"][0]["grade"] == "EXCELLENT"


@pytest.fixture
def colleague(mongo_client, config, appraisal, principal):
    """C2, one of seven cadres of U1 beside its principal leader P1: a quota of one EXCELLENT (A-1).
    They joined U1 after its cycle opened, and an officer added them to its participants."""
    from services.common.storage.store import database_name

    mongo_client[database_name(config, "appraisal")].cadres.insert_many([
        {"_id": f"C{n}", "cadre_id": f"C{n}", "unit_id": "U1", "is_principal": False,
         "is_leader": False, "applied_events": []} for n in range(2, 9)])
    for n in range(2, 9):
        call(appraisal, "change_participant", principal, f"C{n}", "ADD", "年中调入")
    return "C2"


REST = [{"cadre_id": f"C{n}", "grade": "COMPETENT"} for n in range(4, 9)]


def sanction_of(deliver, cadre_id, case_id, year):
    return deliver(SanctionDecidedIn, {"case_id": case_id, "cadre_id": cadre_id, "year": year,
                                       "sanctions": ["TRANSFER"], "decided_at": AT},
                   "on_sanction_decided")


def test_a_unit_graded_at_once_is_barred_only_for_the_cadre_and_year_sanctioned(
        appraisal, principal, colleague, deliver):
    # the year's restrictions are read once for the unit: each must still bar only its own cadre
    sanction_of(deliver, "P1", "k-2024", 2024)
    sanction_of(deliver, colleague, "k-2025", 2025)
    grades = [{"cadre_id": "P1", "grade": "EXCELLENT"}, {"cadre_id": colleague, "grade": "EXCELLENT"}]
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "record_grades", principal, grades)
    assert (caught.value.rule, caught.value.details["row"], caught.value.details["case_ids"]) == \
        ("A-6", 1, ["k-2025"])
    assert call(appraisal, "get_cycle", principal)["results"] == []  # all or nothing

    cycle = call(appraisal, "record_grades", principal,
                 [grades[0], {"cadre_id": colleague, "grade": "COMPETENT"}])
    assert [r["grade"] for r in cycle["results"]] == ["EXCELLENT", "COMPETENT"]
    assert cycle == call(appraisal, "get_cycle", principal)  # the answer is what was stored


def test_the_finalize_is_stopped_only_by_a_bar_on_a_cadre_graded_excellent(
        appraisal, principal, colleague, deliver):
    # two EXCELLENT (P1 outside the quota, C2 in it): the finalize reads the year's restrictions once
    call(appraisal, "record_grades", principal, [{"cadre_id": "P1", "grade": "EXCELLENT"},
                                                 {"cadre_id": colleague, "grade": "EXCELLENT"},
                                                 {"cadre_id": "C3", "grade": "COMPETENT"},
                                                 *REST])
    sanction_of(deliver, "C3", "k-c3", 2025)  # C3 is not EXCELLENT: no bar
    sanction_of(deliver, "P1", "k-p1-old", 2024)  # of another year: no bar
    assert call(appraisal, "finalize_cycle", principal)["status"] == "FINALIZED"


def test_a_bar_decided_after_the_grades_stops_the_finalize_naming_its_own_cadre(
        appraisal, principal, colleague, deliver):
    call(appraisal, "record_grades", principal, [{"cadre_id": "P1", "grade": "EXCELLENT"},
                                                 {"cadre_id": colleague, "grade": "EXCELLENT"},
                                                 {"cadre_id": "C3", "grade": "COMPETENT"}, *REST])
    sanction_of(deliver, colleague, "k-c2", 2025)
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "finalize_cycle", principal)
    assert (caught.value.rule, caught.value.details["cadre_id"], caught.value.details["case_ids"]) == \
        ("A-6", colleague, ["k-c2"])
    assert call(appraisal, "get_cycle", principal)["status"] == "OPEN"
