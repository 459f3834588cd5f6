"""Appraisal's A-1 and A-2 as the service applies them, on the real store: the street ratio from the
unit's type, amendments and finalize under the quota, racing graders, and who grades principals.

The roster copy is seeded straight into appraisal's database: the choreography that fills it is
tested in test_roster_and_appraisal.py and the integration tests."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.appraisal.service import AppraisalService
from services.common.errors import Forbidden, RuleViolation
from services.common.storage.store import database_name
from tests.helpers import ADMIN, actor, as_user, call


@pytest.fixture
def appraisal(running):
    return running(AppraisalService, max_workers=20)


@pytest.fixture
def seed(mongo_client, config):
    db = mongo_client[database_name(config, "appraisal")]

    def unit(unit_id, unit_type, cadres, principal=None):
        db.units.insert_one({"_id": unit_id, "unit_id": unit_id, "name": unit_id,
                             "unit_type": unit_type, "applied_events": []})
        ids = [f"{unit_id}-c{i}" for i in range(cadres)]
        for cadre_id in ids:
            db.cadres.insert_one({"_id": cadre_id, "cadre_id": cadre_id, "unit_id": unit_id,
                                  "is_principal": False, "applied_events": []})
        if principal:
            db.cadres.insert_one({"_id": principal, "cadre_id": principal, "unit_id": unit_id,
                                  "is_principal": True, "applied_events": []})
        return ids

    return unit


def test_the_street_ratio_comes_from_the_units_type(appraisal, seed):
    # five cadres: floor(5 × 0.15) = 0 in a district, floor(5 × 0.20) = 1 in a street unit
    district, street = seed("D1", "DISTRICT", 5), seed("S1", "STREET_TOWNSHIP", 5)
    assert call(appraisal, "get_unit_quota", unit_id="D1", year=2025)["max"] == 0
    assert call(appraisal, "get_unit_quota", unit_id="S1", year=2025) == {
        "unit_id": "S1", "year": 2025, "participants": 5, "ratio": "0.20", "max": 1, "used": 0,
        "remaining": 1, "group": None, "pools": [
            {"pool": "STREET_CIVIL_SERVANT", "participants": 5, "ratio": "0.20", "max": 1,
             "used": 0, "remaining": 1}]}
    d_cycle = call(appraisal, "open_cycle", unit_id="D1", year=2025, kind="ANNUAL")["cycle_id"]
    s_cycle = call(appraisal, "open_cycle", unit_id="S1", year=2025, kind="ANNUAL")["cycle_id"]

    call(appraisal, "record_grade", s_cycle, street[0], "EXCELLENT")
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "record_grade", d_cycle, district[0], "EXCELLENT")
    assert caught.value.rule == "A-1" and caught.value.details["max"] == 0
    assert call(appraisal, "get_unit_quota", unit_id="S1", year=2025)["used"] == 1


def test_an_amendment_to_excellent_respects_the_quota(appraisal, seed):
    cadres = seed("D2", "DISTRICT", 7)  # quota 1
    cycle_id = call(appraisal, "open_cycle", unit_id="D2", year=2025, kind="ANNUAL")["cycle_id"]
    call(appraisal, "record_grade", cycle_id, cadres[0], "EXCELLENT")
    call(appraisal, "record_grades", cycle_id, [{"cadre_id": c, "grade": "COMPETENT"}
                                                 for c in cadres[1:]])
    call(appraisal, "finalize_cycle", cycle_id)

    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "amend_result", cycle_id, cadres[1], "EXCELLENT", "复核")
    assert (caught.value.rule, caught.value.details["used"]) == ("A-1", 1)

    # taking the place back from the first frees it for the second
    call(appraisal, "amend_result", cycle_id, cadres[0], "COMPETENT", "复核：材料不实")
    cycle = call(appraisal, "amend_result", cycle_id, cadres[1], "EXCELLENT", "复核")
    assert {r["cadre_id"]: r["grade"] for r in cycle["results"]} == {
        cadres[0]: "COMPETENT", cadres[1]: "EXCELLENT",
        **{cadre_id: "COMPETENT" for cadre_id in cadres[2:]}}


def test_racing_graders_cannot_exceed_the_quota(appraisal, seed, config):
    cadres = seed("D3", "DISTRICT", 7)  # quota 1
    cycle_id = call(appraisal, "open_cycle", unit_id="D3", year=2025, kind="ANNUAL")["cycle_id"]

    with ClusterRpcProxy(config, context_data=as_user(ADMIN)) as cluster:
        replies = [cluster.appraisal.record_grade.call_async(cycle_id, cadre_id, "EXCELLENT")
                   for cadre_id in cadres]
        outcomes = []
        for reply in replies:
            try:
                reply.result()
                outcomes.append("ok")
            except RuleViolation as exc:
                outcomes.append(exc.rule)

    assert sorted(outcomes) == ["A-1"] * 6 + ["ok"]
    grades = [r["grade"] for r in call(appraisal, "get_cycle", cycle_id)["results"]]
    assert grades == ["EXCELLENT"]


def test_a_unit_admin_does_not_grade_the_units_principal_leader(appraisal, seed):
    seed("D4", "DISTRICT", 3, principal="D4-boss")
    unit_admin = actor("UNIT_ADMIN", unit_id="D4")
    cycle_id = call(appraisal, "open_cycle", unit_id="D4", year=2025, kind="ANNUAL",
                    as_=unit_admin)["cycle_id"]
    call(appraisal, "record_grade", cycle_id, "D4-c0", "COMPETENT", as_=unit_admin)
    with pytest.raises(Forbidden) as caught:
        call(appraisal, "record_grade", cycle_id, "D4-boss", "COMPETENT", as_=unit_admin)
    assert caught.value.rule == "A-1"
    call(appraisal, "record_grade", cycle_id, "D4-boss", "COMPETENT")  # the department may


def test_a_unit_graded_at_once_counts_its_participants_as_the_quota_query_does(appraisal, seed,
                                                                            mongo_client, config):
    # six cadres, one more whose copy says nothing about leading, and a principal leader: seven
    # participants, floor(7 × 0.15) = 1. Leaving out the silent one would give 0, counting the
    # principal 8 -- either shows in the refusal's participants
    cadres = seed("D9", "DISTRICT", 6, principal="D9-p")
    mongo_client[database_name(config, "appraisal")].cadres.insert_one(
        {"_id": "D9-silent", "cadre_id": "D9-silent", "unit_id": "D9", "applied_events": []})
    cycle_id = call(appraisal, "open_cycle", unit_id="D9", year=2025, kind="ANNUAL")["cycle_id"]
    grades = [{"cadre_id": cadres[0], "grade": "EXCELLENT"}, {"cadre_id": "D9-silent", "grade": "EXCELLENT"}]
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "record_grades", cycle_id, grades)
    assert caught.value.rule == "A-1"
    assert {k: caught.value.details[k] for k in ("participants", "max", "row")} == \
        {"participants": 7, "max": 1, "row": 1}
    assert call(appraisal, "get_unit_quota", unit_id="D9", year=2025)["participants"] == 7
