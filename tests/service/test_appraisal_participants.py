"""A-1 (v2) on the real store: the two pools of a street unit, the participant list, finalize only when
every participant is graded, and quota groups -- formed in steps, with a finalize forced in between.

The roster copy is seeded straight into appraisal's database, as in test_appraisal_quota.py."""

from datetime import UTC, datetime

import pytest

from services.appraisal.service import AppraisalService
from services.appraisal.storage import Cycles, QuotaGroups
from services.common.errors import Conflict, RuleViolation
from services.common.storage.store import database_name
from tests.helpers import actor, before_next_write, call


@pytest.fixture
def appraisal(running):
    return running(AppraisalService, max_workers=10)


@pytest.fixture
def seed(mongo_client, config):
    db = mongo_client[database_name(config, "appraisal")]

    def unit(unit_id, unit_type, **categories):
        db.units.insert_one({"_id": unit_id, "unit_id": unit_id, "name": unit_id,
                             "unit_type": unit_type, "applied_events": []})
        ids = []
        for category, count in categories.items():
            for i in range(count):
                cadre_id = f"{unit_id}-{category[:2]}{i}"
                db.cadres.insert_one({"_id": cadre_id, "cadre_id": cadre_id, "unit_id": unit_id,
                                      "name": f"干部{cadre_id}", "is_principal": False,
                                      "staff_category": category, "applied_events": []})
                ids.append(cadre_id)
        return ids

    return unit


def annual(appraisal, unit_id, year=2025):
    return call(appraisal, "open_cycle", unit_id=unit_id, year=year, kind="ANNUAL")["cycle_id"]


def grade_all(appraisal, cycle_id, cadres, grade="COMPETENT"):
    return call(appraisal, "record_grades", cycle_id,
                [{"cadre_id": cadre_id, "grade": grade} for cadre_id in cadres])


def test_a_street_unit_counts_its_civil_servants_and_the_others_in_two_pools(appraisal, seed):
    # 5 civil servants at 0.20 → 1; 7 institution staff at 0.15 → 1
    cadres = seed("S1", "STREET_TOWNSHIP", CIVIL_SERVANT=5, PUBLIC_INSTITUTION_STAFF=7)
    civil, staff = cadres[:5], cadres[5:]
    cycle_id = annual(appraisal, "S1")
    call(appraisal, "record_grade", cycle_id, civil[0], "EXCELLENT")
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "record_grade", cycle_id, civil[1], "EXCELLENT")
    assert (caught.value.rule, caught.value.details["pool"]) == ("A-1", "STREET_CIVIL_SERVANT")
    call(appraisal, "record_grade", cycle_id, staff[0], "EXCELLENT")
    sheet = call(appraisal, "get_unit_quota", unit_id="S1", year=2025)
    assert (sheet["participants"], sheet["ratio"], sheet["max"], sheet["used"]) == (12, None, 2, 2)
    assert [(p["pool"], p["participants"], p["ratio"], p["max"], p["used"]) for p in sheet["pools"]] \
        == [("DEFAULT", 7, "0.15", 1, 1), ("STREET_CIVIL_SERVANT", 5, "0.20", 1, 1)]


def test_participants_change_with_reasons_and_finalize_waits_for_every_grade(appraisal, seed):
    cadres = seed("D1", "DISTRICT", CIVIL_SERVANT=4)
    unit_admin = actor("UNIT_ADMIN", user_id="unit-admin", unit_id="D1")
    cycle_id = annual(appraisal, "D1")
    assert [p["cadre_id"] for p in call(appraisal, "get_cycle", cycle_id)["participants"]] == cadres
    call(appraisal, "change_participant", cycle_id, cadres[3], "NOT_RATED", "任职不满半年",
         as_=unit_admin)
    call(appraisal, "change_participant", cycle_id, cadres[2], "REMOVE", "借调市直单位",
         as_=unit_admin)
    grade_all(appraisal, cycle_id, cadres[:1])
    with pytest.raises(RuleViolation) as caught:
        call(appraisal, "finalize_cycle", cycle_id)
    assert (caught.value.code, caught.value.rule) == ("PARTICIPANTS_UNGRADED", "A-1")
    assert caught.value.details["ungraded"] == [{"cadre_id": cadres[1], "name": f"干部{cadres[1]}"}]
    with pytest.raises(Conflict) as caught:  # not rated: no grade unless added back
        call(appraisal, "record_grade", cycle_id, cadres[3], "COMPETENT")
    assert caught.value.code == "NOT_A_PARTICIPANT"

    grade_all(appraisal, cycle_id, cadres[1:2])
    cycle = call(appraisal, "finalize_cycle", cycle_id)
    assert cycle["status"] == "FINALIZED"
    assert [(n["cadre_id"], n["reason"]) for n in cycle["not_rated"]] == [(cadres[3], "任职不满半年")]
    assert [(c["cadre_id"], c["change"], c["by"]) for c in cycle["participant_changes"]] == [
        (cadres[3], "NOT_RATED", "unit-admin"), (cadres[2], "REMOVE", "unit-admin")]
    with pytest.raises(Conflict) as caught:  # the list is closed with the cycle
        call(appraisal, "change_participant", cycle_id, cadres[2], "ADD", "回原单位")
    assert caught.value.code == "CYCLE_FINALIZED"


def test_a_cycle_written_before_lists_still_grades_and_finalizes(appraisal, seed, mongo_client,
                                                                 config):
    cadres = seed("D2", "DISTRICT", CIVIL_SERVANT=7)
    db = mongo_client[database_name(config, "appraisal")]
    # as the first version wrote it: no list, results without pools
    db.cycles.insert_one({"_id": "v1-cycle", "unit_id": "D2", "year": 2024, "kind": "ANNUAL",
                          "status": "OPEN", "results": [],
                          "opened_at": datetime(2024, 12, 1, tzinfo=UTC), "version": 1})
    assert call(appraisal, "get_cycle", "v1-cycle")["participants"] is None
    call(appraisal, "record_grade", "v1-cycle", cadres[0], "EXCELLENT")
    assert call(appraisal, "get_unit_quota", unit_id="D2", year=2024)["used"] == 1
    assert call(appraisal, "finalize_cycle", "v1-cycle")["status"] == "FINALIZED"


def test_a_quota_group_pools_small_units_and_refuses_what_it_cannot_pool(appraisal, seed):
    # alone, 4 × 0.15 → 0 each; pooled, 8 × 0.15 → 1
    left, right = seed("G1", "DISTRICT", OTHER=4), seed("G2", "DISTRICT", OTHER=4)
    cycles = [annual(appraisal, "G1"), annual(appraisal, "G2")]
    with pytest.raises(RuleViolation):
        call(appraisal, "record_grade", cycles[0], left[0], "EXCELLENT")
    group = call(appraisal, "create_quota_group", "街道小单位合并计算", cycles)
    assert (group["state"], group["year"], group["unit_ids"]) == ("FORMED", 2025, ["G1", "G2"])
    call(appraisal, "record_grade", cycles[0], left[0], "EXCELLENT")
    with pytest.raises(RuleViolation) as caught:  # counted across the group
        call(appraisal, "record_grade", cycles[1], right[0], "EXCELLENT")
    assert (caught.value.details["participants"], caught.value.details["used"]) == (8, 1)
    sheet = call(appraisal, "get_quota_group", group["group_id"])
    assert [(p["participants"], p["max"], p["used"]) for p in sheet["pools"]] == [(8, 1, 1)]
    assert [u["unit_id"] for u in sheet["units"]] == ["G1", "G2"]
    unit_sheet = call(appraisal, "get_unit_quota", unit_id="G2", year=2025)
    assert (unit_sheet["max"], unit_sheet["group"]["group_id"]) == (0, group["group_id"])
    assert [(p["max"], p["used"]) for p in unit_sheet["group"]["pools"]] == [(1, 1)]

    with pytest.raises(Conflict) as caught:  # one group per cycle
        call(appraisal, "create_quota_group", "再次合并", cycles)
    assert caught.value.code == "CYCLE_IN_QUOTA_GROUP"
    seed("G4", "DISTRICT", OTHER=2), seed("G5", "DISTRICT", OTHER=2)
    with pytest.raises(Conflict) as caught:  # one year
        call(appraisal, "create_quota_group", "跨年", [annual(appraisal, "G4", 2024),
                                                     annual(appraisal, "G5", 2025)])
    assert caught.value.code == "QUOTA_GROUP_YEARS"


def test_a_finalize_that_lands_before_a_claim_refuses_the_group_and_nothing_stays_claimed(
        appraisal, seed, monkeypatch, mongo_client, config):
    cadres = {"R1": seed("R1", "DISTRICT", OTHER=2), "R2": seed("R2", "DISTRICT", OTHER=2)}
    first, second = sorted([annual(appraisal, "R1"), annual(appraisal, "R2")])
    grade_all(appraisal, second, cadres[call(appraisal, "get_cycle", second)["unit_id"]])
    # the group claims the first cycle, then the second; the second is finalized just before its
    # claim reads it
    finalized, real = [], Cycles.change

    def claim(self, key, *args, **kwargs):
        if key == second and not finalized:
            finalized.append("forced")
            finalized[0] = call(appraisal, "finalize_cycle", second)["status"]
        return real(self, key, *args, **kwargs)
    monkeypatch.setattr(Cycles, "change", claim)

    with pytest.raises(Conflict) as caught:
        call(appraisal, "create_quota_group", "合并", [first, second])
    assert (caught.value.code, finalized) == ("CYCLE_FINALIZED", ["FINALIZED"])
    monkeypatch.undo()
    # nothing half-written: the first cycle let go, the group abandoned
    assert call(appraisal, "get_cycle", first).get("group_id") is None
    groups = list(mongo_client[database_name(config, "appraisal")].quota_groups.find())
    assert [call(appraisal, "get_quota_group", g["_id"])["state"] for g in groups] == ["ABANDONED"]


def test_a_finalize_forced_in_while_the_group_is_forming_waits(appraisal, seed, monkeypatch):
    a, _ = seed("F1", "DISTRICT", OTHER=2), seed("F2", "DISTRICT", OTHER=2)
    cycles = [annual(appraisal, "F1"), annual(appraisal, "F2")]
    grade_all(appraisal, cycles[0], a)
    refused = []

    def finalize():
        try:
            call(appraisal, "finalize_cycle", cycles[0])
        except Conflict as exc:
            refused.append(exc.code)
    # every cycle is claimed; the group is not FORMED yet: its next write is that
    before_next_write(monkeypatch, QuotaGroups, finalize)
    group = call(appraisal, "create_quota_group", "合并", cycles)
    assert (refused, group["state"]) == (["QUOTA_GROUP_FORMING"], "FORMED")
    assert call(appraisal, "finalize_cycle", cycles[0])["status"] == "FINALIZED"  # now it may


def test_a_cadre_s_results_are_found_by_the_graded_index_kept_with_every_change(
        appraisal, seed, mongo_client, config):
    """A-7: ``graded`` follows the results through grading, removal and amendment; a cycle finalized
    before it was kept gets it from the storage's upkeep, under its version."""
    cadres = seed("D3", "DISTRICT", CIVIL_SERVANT=8)
    db = mongo_client[database_name(config, "appraisal")]
    cycle_id = annual(appraisal, "D3")
    grade_all(appraisal, cycle_id, cadres[:7])
    assert db.cycles.find_one({"_id": cycle_id})["graded"] == sorted(cadres[:7])
    call(appraisal, "change_participant", cycle_id, cadre_id=cadres[6], change="NOT_RATED",
         reason="病假超过半年")
    call(appraisal, "record_grade", cycle_id, cadres[7], "EXCELLENT")  # 7 participants: one
    assert db.cycles.find_one({"_id": cycle_id})["graded"] == sorted([*cadres[:6], cadres[7]])
    call(appraisal, "finalize_cycle", cycle_id)
    assert [r["grade"] for r in call(appraisal, "get_cadre_results", cadres[7])] == ["EXCELLENT"]
    assert call(appraisal, "get_cadre_results", cadres[6]) == []

    # as an earlier version left it: finalized, results, no graded
    db.cycles.insert_one({"_id": "old-cycle", "unit_id": "D3", "year": 2023, "kind": "ANNUAL",
                          "status": "FINALIZED", "version": 4,
                          "results": [{"cadre_id": cadres[0], "grade": "COMPETENT"}],
                          "opened_at": datetime(2023, 12, 1, tzinfo=UTC),
                          "finalized_at": datetime(2024, 1, 5, tzinfo=UTC)})
    assert [r["year"] for r in call(appraisal, "get_cadre_results", cadres[0])] == [2025]
    # the upkeep a process runs once its indexes are in place
    [mongo] = [d for d in appraisal.dependencies if d.attr_name == "store"]
    assert mongo.storage(mongo.store).cycles.index_graded() == 1
    assert mongo.storage(mongo.store).cycles.index_graded() == 0
    assert [r["year"] for r in call(appraisal, "get_cadre_results", cadres[0])] == [2025, 2023]
