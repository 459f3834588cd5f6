"""Talent's service logic without RabbitMQ or a store (nameko's worker_factory, tests/unit/workers.py):
what each command and event decides, refuses and publishes (DOMAIN.md L, C-5, C-7, A-5)."""

from datetime import UTC, datetime

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from services.talent.events import ResultFinalizedIn, RulingMadeIn, SanctionDecidedIn
from services.talent.rules import STANDARDS
from services.talent.service import TalentService
from tests.helpers import roster_file
from tests.unit.workers import Worker, received

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
ADMIN = {"role": "ORG_ADMIN", "user_id": "admin"}
EVIDENCE = {code: "考察属实" for code in STANDARDS}
HOLDS = {code: {"holds": True, "evidence": "考察属实"} for code in STANDARDS}


@pytest.fixture
def worker(frozen_clock):
    worker = Worker(TalentService, **ADMIN)
    for unit_id, name in (("JA", "江岸区"), ("HK", "汉口区")):
        worker.service.register_unit(unit_id=unit_id, name=name, unit_type="DISTRICT")
    for cadre_id, unit_id, born in (("C1", "JA", "1990-03-15"), ("C2", "JA", "1975-01-02"),
                                    ("C3", "HK", "1988-08-08")):
        worker.service.register_cadre(cadre_id=cadre_id, name="干部", unit_id=unit_id,
                                      level="SECTION", is_leader=False, is_principal=False,
                                      birth_date=born, grassroots_years=6, service_years=10)
    return worker


def sanction(cadre_id="C1", case_id="K1", handling=True):
    return received(SanctionDecidedIn, {
        "case_id": case_id, "cadre_id": cadre_id, "sanctions": ["TRANSFER"],
        "organisational_handling": handling, "disciplinary": False, "decided_at": NOW,
        "ban_until": datetime(2027, 6, 15, 2, 0, tzinfo=UTC)})


def test_registration_announces_the_whole_record_at_revision_one(worker):
    registered = [e for e in worker.published("cadres") if e["payload"]["cadre_id"] == "C1"]
    [event] = registered
    assert (event["event_type"], event["payload"]["revision"]) == ("talent.cadre_registered", 1)
    assert event["payload"]["birth_date"] == "1990-03-15"
    assert worker.service.get_cadre(cadre_id="C1")["birth_date"] == "1990-03-15"
    with pytest.raises(Conflict) as refused:
        worker.service.register_cadre(cadre_id="C1", name="又一个", unit_id="JA", level="SECTION",
                                      is_leader=False, is_principal=False, birth_date="1990-03-15",
                                      grassroots_years=0, service_years=0)
    assert refused.value.code == "CADRE_EXISTS"


def test_a_roster_change_is_published_whole_with_the_next_revision(worker):
    with pytest.raises(InvalidInput) as refused:
        worker.service.update_cadre(cadre_id="C1")
    assert refused.value.code == "NOTHING_TO_CHANGE"
    updated = worker.service.update_cadre(cadre_id="C1", name="张三", birth_date="1990-03-16")
    assert (updated["revision"], updated["birth_date"]) == (2, "1990-03-16")
    *_, event = [e for e in worker.published("cadres") if e["payload"]["cadre_id"] == "C1"]
    assert (event["event_type"], event["payload"]["revision"]) == ("talent.cadre_updated", 2)
    assert (event["payload"]["name"], event["payload"]["level"]) == ("张三", "SECTION")


def test_a_posting_moves_the_cadre_once_and_a_unit_admin_only_reads_their_own(worker):
    moved = worker.service.change_posting(cadre_id="C1", unit_id="HK", post="副区长", reason="交流",
                                          is_principal=False, is_leader=True, kind="DEVELOPMENTAL",
                                          direction="LATERAL")
    assert (moved["unit_id"], moved["is_leader"], moved["revision"]) == ("HK", True, 2)
    again = worker.service.change_posting(cadre_id="C1", unit_id="HK", post="副区长", reason="交流",
                                          is_principal=False, kind="DEVELOPMENTAL", direction="LATERAL")
    assert again["revision"] == 2
    types = [e["event_type"] for e in worker.published("cadres")
             if e["payload"]["cadre_id"] == "C1"]
    assert types == ["talent.cadre_registered", "talent.posting_changed", "talent.cadre_updated"]
    worker.as_(role="UNIT_ADMIN", user_id="ua", unit_id="JA")
    with pytest.raises(Forbidden):
        worker.service.get_cadre(cadre_id="C1")  # now in HK
    with pytest.raises(Forbidden):
        worker.service.get_cadre(cadre_id="nobody")  # 403, not 404: no probing for ids


def test_a_selection_is_announced_once(worker):
    assert worker.service.start_selection(cadre_id="C2")["selection_status"] == "IN_SELECTION"
    worker.service.start_selection(cadre_id="C2")
    worker.service.end_selection(cadre_id="C2")
    changes = [e["payload"]["status"] for e in worker.published("cadres")
               if e["event_type"] == "talent.selection_status_changed"]
    assert changes == ["IN_SELECTION", "NOT_IN_SELECTION"]


def test_a_sanction_takes_an_admitted_cadre_out_of_the_pool_until_it_is_exempted(worker):
    worker.service.nominate(cadre_id="C1", evidence=EVIDENCE)
    reserve = worker.service.assess_nomination(cadre_id="C1", standards=HOLDS)
    assert reserve["status"] == "RESERVE"
    worker.service.on_sanction_decided(sanction())
    worker.service.on_sanction_decided(sanction())  # redelivered: one fact, one exit
    [exited] = [e for e in worker.published("cadres") if e["event_type"] == "talent.pool_exited"]
    assert (exited["payload"]["cause"], exited["payload"]["case_id"]) == ("SANCTION", "K1")
    [entry] = worker.service.get_pool()
    assert (entry["status"], entry["exit"]["rule"]) == ("EXITED", "L-2")
    with pytest.raises(Conflict) as refused:
        worker.service.place_in_post(cadre_id="C1", post="攻坚岗位")
    assert (refused.value.code, refused.value.rule) == ("POOL_STATE", "L-1")

    worker.service.on_ruling_made(received(RulingMadeIn, {
        "application_id": "T1", "cadre_id": "C1", "case_id": "K1", "outcome": "EXEMPTED",
        "ruled_at": NOW}))
    [entry] = worker.service.get_pool()
    assert (entry["status"], entry["exit"]) == ("RESERVE", None)


def test_eligibility_is_computed_from_the_facts_received(worker):
    worker.service.on_result_finalized(received(ResultFinalizedIn, {
        "cycle_id": "cy1", "cadre_id": "C2", "year": 2025, "kind": "ANNUAL", "grade": "EXCELLENT",
        "finalized_at": NOW}))
    worker.service.on_sanction_decided(sanction(cadre_id="C2", case_id="K2"))
    answer = worker.service.get_eligibility(cadre_id="C2")
    effects = {(reason["rule"], reason["effect"]) for reason in answer["reasons"]}
    assert {("A-5", "SELECTION_PRIORITY"), ("C-7", "PROMOTION_BAN")} <= effects
    assert (answer["promotable"], answer["selection_priority"]) == (False, True)
    with pytest.raises(NotFound) as refused:
        worker.service.on_result_finalized(received(ResultFinalizedIn, {
            "cycle_id": "cy1", "cadre_id": "nobody", "year": 2025, "kind": "ANNUAL",
            "grade": "EXCELLENT", "finalized_at": NOW}))
    assert refused.value.code == "CADRE_NOT_FOUND"


def test_seats_go_to_priority_first_and_a_programme_is_allocated_once(worker):
    worker.service.on_result_finalized(received(ResultFinalizedIn, {
        "cycle_id": "cy1", "cadre_id": "C3", "year": 2025, "kind": "ANNUAL", "grade": "EXCELLENT",
        "finalized_at": NOW}))
    programme = worker.service.create_programme(name="激励性调训", year=2026, seats=1)
    lines = worker.service.allocate_programme(programme_id=programme["programme_id"],
                                              candidates=["C1", "C3"])
    assert [(line["cadre_id"], line["seated"]) for line in lines] == [("C3", True), ("C1", False)]
    with pytest.raises(Conflict) as refused:
        worker.service.allocate_programme(programme_id=programme["programme_id"], candidates=["C1"])
    assert refused.value.code == "PROGRAMME_ALLOCATED"


def test_a_roster_import_with_a_wrong_row_imports_nothing(worker):
    report = worker.service.import_roster(csv=roster_file([
        "N1,新人,JA,SECTION,false,false,1995-01-01,0,1",
        "N2,新人,NOWHERE,SECTION,false,false,1995-01-01,0,1"]))
    assert (report["imported"], [e["row"] for e in report["errors"]]) == (0, [3])
    assert worker.service.list_cadres(unit_id="JA")[-1]["cadre_id"] == "C2"
    report = worker.service.import_roster(csv=roster_file([
        "N1,新人,JA,SECTION,false,false,1995-01-01,0,1", "C1,干部,JA,SECTION,false,false,1990-03-15,6,10"]))
    assert (report["imported"], report["unchanged"]) == (1, 1)
    assert worker.service.young_cadres(unit_id="JA")[0]["cadre_id"] == "N1"


def test_the_second_reading_s_cadre_facts_are_registered_changed_and_announced(worker):
    """v2 shared vocabulary: staff_category, post_since (任现职时间), emergency_front_line (K-2)."""
    cadre = worker.service.register_cadre(
        cadre_id="V2", name="周九", unit_id="JA", level="SECTION", is_leader=False, is_principal=False,
        birth_date="1986-05-05", grassroots_years=1, service_years=12, staff_category="CIVIL_SERVANT",
        post_since="2021-03-01", emergency_front_line=True)
    assert (cadre["staff_category"], cadre["post_since"], cadre["emergency_front_line"]) == (
        "CIVIL_SERVANT", "2021-03-01", True)
    registered = worker.published("cadres")[-1]
    assert registered["payload"]["emergency_front_line"] is True
    assert registered["payload"]["post_since"] == "2021-03-01"
    changed = worker.service.update_cadre(cadre_id="V2", staff_category="OTHER",
                                          emergency_front_line=False)
    assert (changed["staff_category"], changed["emergency_front_line"], changed["revision"]) == (
        "OTHER", False, 2)
    with pytest.raises(InvalidInput) as refused:
        worker.service.update_cadre(cadre_id="V2", post_since="2999-01-01")
    assert list(refused.value.fields) == ["post_since"]


def test_a_cadre_of_the_first_version_keeps_working(worker):
    """A roster record written before v2 has none of the new facts: read as none, changed as any."""
    worker.put("cadres", {"_id": "OLD", "name": "老干部", "unit_id": "JA", "level": "DIVISION",
                          "is_leader": True, "is_principal": False,
                          "birth_date": datetime(1970, 1, 1), "grassroots_years": 2,
                          "service_years": 25, "registered_at": NOW, "revision": 3, "version": 3,
                          "selection_status": "NOT_IN_SELECTION"})
    changed = worker.service.update_cadre(cadre_id="OLD", service_years=26)
    assert changed["revision"] == 4
    payload = worker.published("cadres")[-1]["payload"]
    assert (payload["staff_category"], payload["post_since"], payload["emergency_front_line"]) == (
        None, None, False)


def test_a_roster_sheet_in_chinese_with_the_new_columns_is_imported(worker):
    sheet = "\n".join([
        "干部编号,姓名,单位编号,职级,是否领导干部,是否党政主要领导,出生日期,基层一线艰苦地区工作年限,工作年限,"
        "人员类别,任现职时间,是否急难险重工作一线",
        "Z1,吴十,JA,科级,否,否,1990-01-01,6,8,公务员,2022-07-01,是",
        "Z2,郑十一,JA,SECTION,false,false,1991-02-02,0,3,,,"])
    report = worker.service.import_roster(csv=sheet)
    assert (report["imported"], report["errors"]) == (2, [])
    z1 = worker.service.get_cadre(cadre_id="Z1")
    assert (z1["level"], z1["staff_category"], z1["post_since"], z1["emergency_front_line"]) == (
        "SECTION", "CIVIL_SERVANT", "2022-07-01", True)
    z2 = worker.service.get_cadre(cadre_id="Z2")
    assert (z2["staff_category"], z2["post_since"], z2["emergency_front_line"]) == (None, None, False)
    again = worker.service.import_roster(csv=sheet)  # the same sheet again: nothing twice
    assert (again["imported"], again["unchanged"]) == (0, 2)


def test_a_roster_sheet_with_a_bad_new_fact_names_it(worker):
    sheet = "\n".join([
        "cadre_id,name,unit_id,level,is_leader,is_principal,birth_date,grassroots_years,service_years,"
        "staff_category",
        "Z3,王十二,JA,SECTION,false,false,1990-01-01,0,3,SOLDIER"])
    report = worker.service.import_roster(csv=sheet)
    assert (report["imported"], report["errors"][0]["fields"].keys()) == (0, {"staff_category"})


def test_the_rotation_list_names_who_must_or_should_rotate_longest_first(worker):
    """L-7 (v2): leading cadres 10 years or more in their post must rotate, 5 or more should; long
    grassroots service with a commendation is listed for priority exchange."""
    for cadre_id, leader, since, grassroots in (("R10", True, "2015-01-01", 0),
                                                ("R7", True, "2019-03-01", 0),
                                                ("R3", True, "2023-03-01", 0),
                                                ("S9", False, "2010-01-01", 0),
                                                ("G6", False, "2024-01-01", 6)):
        worker.service.register_cadre(cadre_id=cadre_id, name="干部", unit_id="JA", level="DIVISION",
                                      is_leader=leader, is_principal=False, birth_date="1975-01-02",
                                      grassroots_years=grassroots, service_years=20,
                                      post_since=since)
    worker.storage.store.database["cadres"].update_one(
        {"_id": "G6"}, {"$push": {"commendations": {"kind": "MERIT_CITATION"}}})
    listed = worker.service.rotation_list(unit_id="JA")
    assert [(c["cadre_id"], c["rotation"], c["years_in_post"], c["priority_exchange"])
            for c in listed] == [("R10", "MUST", 11, False), ("R7", "SHOULD", 7, False),
                                 ("G6", None, 2, True)]
    worker.as_(role="UNIT_ADMIN", user_id="ua-hk", unit_id="HK")
    with pytest.raises(Forbidden):
        worker.service.rotation_list(unit_id="JA")


def test_a_leader_without_a_post_date_counts_from_registration_and_says_so(worker):
    worker.put("cadres", {"_id": "OLD", "name": "老干部", "unit_id": "HK", "level": "DIVISION",
                          "is_leader": True, "is_principal": False,
                          "birth_date": datetime(1970, 1, 1), "grassroots_years": 2,
                          "service_years": 25, "registered_at": datetime(2014, 6, 1, tzinfo=UTC),
                          "revision": 1, "version": 1, "selection_status": "NOT_IN_SELECTION"})
    [entry] = worker.service.rotation_list(unit_id="HK")
    assert (entry["rotation"], entry["post_since"], entry["post_since_assumed"]) == (
        "MUST", "2014-06-01", True)


def test_a_clearing_is_shown_on_the_cadre_s_profile_even_without_a_sanction(worker):
    """C-5 (v2) 澄清正名: recorded once, shown on the profile; sanctions it names are lifted."""
    from services.talent.events import CadreClearedIn

    clearing = received(CadreClearedIn, {"cadre_id": "C1", "complaint_id": "Q1",
                                         "outcome": "GROUNDLESS", "cleared_at": NOW, "case_ids": []})
    worker.service.on_cadre_cleared(clearing)
    worker.service.on_cadre_cleared(clearing)  # redelivered: recorded once
    assert [(c["complaint_id"], c["outcome"]) for c in worker.service.get_cadre(cadre_id="C1")[
        "clearings"]] == [("Q1", "GROUNDLESS")]


def restricted(worker, cadre_id, sanctions, kinds, case_id="K9"):
    from datetime import timedelta

    worker.service.on_sanction_decided(received(SanctionDecidedIn, {
        "case_id": case_id, "cadre_id": cadre_id, "sanctions": sanctions,
        "organisational_handling": True, "disciplinary": False, "decided_at": NOW,
        "ban_until": NOW + timedelta(days=365),
        "restrictions": [{"kind": kind, "until": NOW + timedelta(days=days)} for kind, days in kinds]}))


def test_a_restriction_in_force_blocks_a_selection_for_promotion(worker):
    """C-7 (v2): NO_PROMOTION (or NO_HIGHER_POST) refuses start_selection, naming its end."""
    restricted(worker, "C1", ["ADMONISHMENT"], [("NO_PROMOTION", 180)])
    with pytest.raises(RuleViolation) as refused:
        worker.service.start_selection(cadre_id="C1")
    assert (refused.value.code, refused.value.rule) == ("RESTRICTED", "C-7")
    assert refused.value.details["restrictions"][0]["until"].startswith("2026-12-12")
    worker.service.on_ruling_made(received(RulingMadeIn, {
        "application_id": "T9", "cadre_id": "C1", "case_id": "K9", "outcome": "EXEMPTED",
        "ruled_at": NOW, "measures": []}))
    assert worker.service.start_selection(cadre_id="C1")["selection_status"] == "IN_SELECTION"  # T-6


def test_after_a_removal_no_leadership_post_and_no_higher_level(worker):
    """C-7 (v2): 一年内不得安排领导职务，两年内不得担任高于原任职务层次的领导职务."""
    restricted(worker, "C2", ["REMOVAL"], [("NO_LEADERSHIP_POST", 365), ("NO_HIGHER_POST", 730)])
    answer = worker.service.get_eligibility(cadre_id="C2")
    assert (answer["promotable"], answer["leadership_post_allowed"]) == (False, False)
    with pytest.raises(RuleViolation) as refused:
        worker.service.change_posting(cadre_id="C2", unit_id="HK", post="副主任", reason="交流",
                                      is_principal=False, is_leader=True, kind="ALLOCATION",
                                      direction="LATERAL")
    assert (refused.value.code, refused.value.rule) == ("RESTRICTED", "C-7")
    with pytest.raises(RuleViolation):
        worker.service.change_posting(cadre_id="C2", unit_id="HK", post="科员", reason="交流",
                                      is_principal=False, is_leader=False, level="DIVISION",
                                      kind="ALLOCATION", direction="UP")
    moved = worker.service.change_posting(cadre_id="C2", unit_id="HK", post="科员", reason="交流",
                                          is_principal=False, is_leader=False, level="STAFF",
                                          kind="REGULATORY", direction="DOWN", down_cause="UNFIT_FOR_POST")
    assert (moved["unit_id"], moved["level"]) == ("HK", "STAFF")


def test_a_posting_says_its_kind_and_direction_and_a_move_down_its_cause(worker):
    """L-6 (v2), C-6: kind and direction on the posting and its event; DOWN names its cause."""
    with pytest.raises(InvalidInput) as refused:
        worker.service.change_posting(cadre_id="C2", unit_id="HK", post="科员", reason="不适宜担任现职",
                                      is_principal=False, kind="REGULATORY", direction="DOWN")
    assert list(refused.value.fields) == ["down_cause"]
    worker.service.change_posting(cadre_id="C2", unit_id="HK", post="科员", reason="不适宜担任现职",
                                  is_principal=False, kind="REGULATORY", direction="DOWN",
                                  down_cause="UNFIT_FOR_POST")
    [posted] = [e["payload"] for e in worker.published("cadres")
                if e["event_type"] == "talent.posting_changed"]
    assert (posted["kind"], posted["direction"], posted["down_cause"]) == (
        "REGULATORY", "DOWN", "UNFIT_FOR_POST")
