"""talent as a nameko container on the real broker and store: roster updates and import, selection,
postings, the lion-type pool (L-1, L-2), eligibility over a scripted history of events (L-3), young
cadres (L-4), training allocation (L-5). Events from other services are published to the real broker as
their producers publish them; tests/integration proves the paths between running processes."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.clock import utcnow
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from services.common.storage.store import database_name
from services.talent.events import (
    CadreClearedIn,
    CommendationAwardedIn,
    ResultFinalizedIn,
    RulingMadeIn,
    SanctionDecidedIn,
    UnitGradedIn,
)
from services.talent.rules import STANDARDS
from services.talent.service import TalentService
from tests.helpers import TEST_NOW, actor, call, roster_file

UNIT = {"unit_id": "U1", "name": "江汉区", "unit_type": "DISTRICT"}
UNIT2 = {"unit_id": "U2", "name": "武昌区", "unit_type": "DISTRICT"}
DEPUTY = {"cadre_id": "D1", "name": "周一", "unit_id": "U1", "level": "BUREAU_DEPUTY", "is_leader": True,
          "is_principal": False, "birth_date": "1990-05-01", "grassroots_years": 6,
          "service_years": 12}
SECTION = {**DEPUTY, "cadre_id": "S1", "name": "吴二", "level": "SECTION", "birth_date": "1975-01-01",
           "grassroots_years": 2}
UNIT_ADMIN_U2 = actor("UNIT_ADMIN", user_id="ua-u2", unit_id="U2")
EVIDENCE = {code: f"{code} 的事实依据" for code in STANDARDS}
ALL_HOLD = {code: {"holds": True, "evidence": "考察属实"} for code in STANDARDS}
DEPUTY_PROFILE = {item: True for item in ("HOLDS_OWN_GROUND", "STRONG_EXECUTION", "BACKBONE_ROLE",
                                          "CLEAR_THINKING", "TACKLES_HARD_PROBLEMS", "DELIVERS")}
NOW = TEST_NOW  # the services' clock starts there (tests/conftest.py)


@pytest.fixture
def talent(running):
    return running(TalentService)


@pytest.fixture
def roster(talent):
    call(talent, "register_unit", **UNIT)
    call(talent, "register_unit", **UNIT2)
    call(talent, "register_cadre", **DEPUTY)
    call(talent, "register_cadre", **SECTION)


@pytest.fixture
def deliver(talent, deliver_event):
    def deliver_(schema, payload, handler, envelope=None):
        return deliver_event(talent, schema, payload, handler, envelope)
    return deliver_


def sanction(deliver, case_id="K1", sanctions=("TRANSFER",), ban_days=365, decided=None, envelope=None):
    decided = decided or utcnow()
    return deliver(SanctionDecidedIn, {
        "case_id": case_id, "cadre_id": "D1", "unit_id": "U1", "year": decided.year,
        "sanctions": list(sanctions), "organisational_handling": "TRANSFER" in sanctions,
        "disciplinary": "DISCIPLINARY" in sanctions, "severity": "SERIOUS", "mitigated": False,
        "decided_at": decided, "ban_until": decided + timedelta(days=ban_days) if ban_days else None},
        "on_sanction_decided", envelope)


def exemption(deliver, case_id="K1", envelope=None):
    return deliver(RulingMadeIn, {"application_id": "T1", "cadre_id": "D1", "case_id": case_id,
                                  "outcome": "EXEMPTED", "rules": ["T-3"], "ruled_at": NOW,
                                  "measures": []}, "on_ruling_made", envelope)


def in_reserve(talent):
    call(talent, "nominate", "D1", evidence=EVIDENCE, profile="BUREAU_DEPUTY")
    return call(talent, "assess_nomination", "D1", standards=ALL_HOLD, profile_items=DEPUTY_PROFILE)


class TestRoster:
    def test_an_update_bumps_the_revision_and_publishes_the_whole_record(self, talent, roster, spy):
        updated = spy("talent", "cadre_updated")
        answer = call(talent, "update_cadre", "D1", level="BUREAU_PRINCIPAL", is_principal=True)
        assert (answer["level"], answer["revision"]) == ("BUREAU_PRINCIPAL", 2)
        payload = updated()["payload"]
        assert payload == {**DEPUTY, "level": "BUREAU_PRINCIPAL", "is_principal": True, "revision": 2,
                           "staff_category": None, "post_since": None, "emergency_front_line": False}

    def test_an_update_needs_a_change_and_a_unit_admin_keeps_to_their_unit(self, talent, roster):
        with pytest.raises(InvalidInput):
            call(talent, "update_cadre", "D1")
        with pytest.raises(Forbidden):
            call(talent, "update_cadre", "D1", name="x", as_=UNIT_ADMIN_U2)
        assert call(talent, "get_cadre", "D1")["name"] == DEPUTY["name"]

    def test_the_roster_is_listed_by_unit(self, talent, roster):
        assert [c["cadre_id"] for c in call(talent, "list_cadres", unit_id="U1")] == ["D1", "S1"]
        assert call(talent, "list_cadres", unit_id="U2") == []
        with pytest.raises(Forbidden):
            call(talent, "list_cadres", unit_id="U1", as_=UNIT_ADMIN_U2)

    def test_a_posting_moves_the_cadre_and_is_announced(self, talent, roster, spy):
        posted = spy("talent", "posting_changed")
        moved = call(talent, "change_posting", "D1", unit_id="U2", post="区长助理", reason="交流轮岗",
                     is_principal=False, kind="INSTITUTIONAL", direction="LATERAL")
        assert moved["unit_id"] == "U2"
        payload = posted()["payload"]
        assert (payload["from_unit_id"], payload["to_unit_id"], payload["post"]) == ("U1", "U2", "区长助理")
        assert (payload["kind"], payload["direction"], payload["down_cause"]) == (
            "INSTITUTIONAL", "LATERAL", None)
        # the profile reads the move back (任职经历)
        [posting] = call(talent, "get_cadre", "D1")["postings"]
        assert (posting["from_unit_id"], posting["to_unit_id"], posting["post"], posting["kind"]) == (
            "U1", "U2", "区长助理", "INSTITUTIONAL")
        with pytest.raises(NotFound):
            call(talent, "change_posting", "D1", unit_id="NOWHERE", post="x", reason="x",
                 is_principal=False, kind="INSTITUTIONAL", direction="LATERAL")


class TestImport:
    def csv(self, *rows):
        return roster_file(rows)

    def test_a_clean_file_is_imported_and_a_rerun_imports_nothing_twice(self, talent, roster, config,
                                                                      mongo_client):
        rows = [f"I{i},干部{i},U1,SECTION,false,false,1985-01-0{1 + i % 9},{i % 7},{10 + i % 5}"
                for i in range(300)]
        report = call(talent, "import_roster", self.csv(*rows))
        assert report == {"rows": 300, "imported": 300, "unchanged": 0, "errors": []}
        again = call(talent, "import_roster", self.csv(*rows, "J1,新人,U2,STAFF,0,0,1999-09-09,0,1"))
        assert again == {"rows": 301, "imported": 1, "unchanged": 300, "errors": []}
        cadres = mongo_client[database_name(config, "talent")].cadres
        assert cadres.count_documents({"_id": {"$regex": "^[IJ]"}}) == 301

    def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(self, talent, roster, config,
                                                                         mongo_client):
        report = call(talent, "import_roster", self.csv(
            "G1,甲,U1,SECTION,false,false,1985-01-01,1,10",
            "G2,乙,U1,KING,false,false,1985-01-01,1,10",
            "G3,丙,NOWHERE,SECTION,false,false,1985-01-01,1,10",
            "G1,丁,U1,SECTION,false,false,1985-01-01,1,10",
            "G4,戊,U1,SECTION,maybe,false,1985-13-01,one,10",
            "D1,周一,U1,SECTION,true,false,1990-05-01,6,12",
            "G5,short,U1"))
        assert report["imported"] == 0 and report["rows"] == 7
        by_row = {e["row"]: set(e["fields"]) for e in report["errors"]}
        assert by_row == {3: {"level"}, 4: {"unit_id"}, 5: {"cadre_id"},
                          6: {"is_leader", "birth_date", "grassroots_years"}, 7: {"cadre_id"},
                          8: {"_row"}}
        assert mongo_client[database_name(config, "talent")].cadres.count_documents(
            {"_id": {"$regex": "^G"}}) == 0

    def test_a_wrong_header_is_refused(self, talent, roster):
        with pytest.raises(InvalidInput) as caught:
            call(talent, "import_roster", "cadre_id,name\nX,Y\n")
        assert caught.value.code == "CSV_HEADER"


class TestSelection:
    def test_selection_is_published_once_per_change(self, talent, roster, spy):
        changed = spy("talent", "selection_status_changed")
        assert call(talent, "start_selection", "D1")["selection_status"] == "IN_SELECTION"
        call(talent, "start_selection", "D1")  # already: nothing to announce
        call(talent, "end_selection", "D1")
        statuses = [changed()["payload"]["status"], changed()["payload"]["status"]]
        assert statuses == ["IN_SELECTION", "NOT_IN_SELECTION"]


class TestPool:
    def test_nomination_assessment_and_placement(self, talent, roster):
        nominated = call(talent, "nominate", "D1", evidence=EVIDENCE, profile="BUREAU_DEPUTY")
        assert nominated["status"] == "NOMINATED"
        reserve = call(talent, "assess_nomination", "D1", standards=ALL_HOLD, profile_items=DEPUTY_PROFILE)
        assert reserve["status"] == "RESERVE" and reserve["admitted_at"]
        placed = call(talent, "place_in_post", "D1", "重大项目指挥部")
        assert (placed["status"], placed["post"]) == ("IN_USE", "重大项目指挥部")
        assert [h["to"] for h in placed["history"]] == ["NOMINATED", "RESERVE", "IN_USE"]
        assert [e["cadre_id"] for e in call(talent, "get_pool", status="IN_USE")] == ["D1"]

    def test_a_profile_reads_one_cadres_place_in_the_pool(self, talent, roster):
        assert call(talent, "get_pool_entry", "D1")["status"] is None  # never nominated
        call(talent, "nominate", "D1", evidence=EVIDENCE, profile="BUREAU_DEPUTY")
        entry = call(talent, "get_pool_entry", "D1")
        assert (entry["status"], entry["cadre_id"], entry["evidence"]) == ("NOMINATED", "D1", EVIDENCE)
        with pytest.raises(NotFound):
            call(talent, "get_pool_entry", "NOBODY")

    def test_one_standard_not_holding_is_not_admitted(self, talent, roster):
        call(talent, "nominate", "S1", evidence=EVIDENCE)
        answer = call(talent, "assess_nomination", "S1", standards={
            **ALL_HOLD, "OPEN_MINDED": {"holds": False, "evidence": "思想保守"}})
        assert answer["status"] == "NOT_ADMITTED"

    @pytest.mark.parametrize("evidence, profile, code", [
        ({**EVIDENCE, "OPEN_MINDED": " "}, "BUREAU_DEPUTY", "EVIDENCE_MISSING"),
        ({k: v for k, v in EVIDENCE.items() if k != "LOYAL_AND_CLEAN"}, None, "EVIDENCE_MISSING"),
        (EVIDENCE, "BUREAU_PRINCIPAL", "PROFILE_MISMATCH"),
    ])
    def test_bad_nominations_are_refused_and_not_written(self, talent, roster, evidence, profile, code):
        with pytest.raises(RuleViolation) as caught:
            call(talent, "nominate", "D1", evidence=evidence, profile=profile)
        assert (caught.value.code, caught.value.rule) == (code, "L-1")
        assert call(talent, "get_pool") == []

    def test_an_officer_exit_records_its_cause_and_is_published(self, talent, roster, spy):
        exited_event = spy("talent", "pool_exited")
        in_reserve(talent)
        exited = call(talent, "exit_pool", "D1", cause="HEALTH", evidence="长期病休")
        assert (exited["status"], exited["exit"]["cause"], exited["exit"]["rule"]) == (
            "EXITED", "HEALTH", "L-2")
        assert exited_event()["payload"]["cause"] == "HEALTH"
        with pytest.raises(Conflict):
            call(talent, "exit_pool", "D1", cause="DECLINE", evidence="x")

    def test_a_sanction_exits_the_pool_and_an_exemption_reverses_it(self, talent, roster, deliver, spy):
        exited_event = spy("talent", "pool_exited")
        in_reserve(talent)
        event = sanction(deliver)
        sanction(deliver, envelope=event)  # redelivered: one fact, one exit
        [entry] = call(talent, "get_pool")
        assert (entry["status"], entry["exit"]["cause"], entry["exit"]["case_id"]) == (
            "EXITED", "SANCTION", "K1")
        assert exited_event()["payload"]["case_id"] == "K1"

        exemption(deliver)
        [entry] = call(talent, "get_pool")
        assert (entry["status"], entry["exit"]) == ("RESERVE", None)

    def test_an_admonishment_does_not_exit_the_pool(self, talent, roster, deliver):
        in_reserve(talent)
        sanction(deliver, sanctions=("ADMONISHMENT",), ban_days=180)
        assert call(talent, "get_pool")[0]["status"] == "RESERVE"


class TestEligibility:
    def test_a_scripted_history_of_events(self, talent, roster, deliver):
        deliver(ResultFinalizedIn, {"cycle_id": "cy1", "cadre_id": "D1", "year": 2025, "kind": "ANNUAL",
                                    "grade": "EXCELLENT", "finalized_at": NOW - timedelta(days=60)},
                "on_result_finalized")
        assert call(talent, "get_eligibility", "D1")["selection_priority"] is True

        sanction(deliver)  # a ban for a year
        answer = call(talent, "get_eligibility", "D1")
        [ban] = [r for r in answer["reasons"] if r["effect"] == "PROMOTION_BAN"]
        assert answer["promotable"] is False
        assert datetime.fromisoformat(ban["valid_until"]) > NOW

        exemption(deliver)  # T-6: lifted without anyone editing the cadre
        assert call(talent, "get_eligibility", "D1")["promotable"] is True

        sanction(deliver, case_id="K2", decided=NOW - timedelta(days=400))  # its ban ended
        assert call(talent, "get_eligibility", "D1")["promotable"] is True

    def test_a_ruling_before_its_sanction_still_lifts_it(self, talent, roster, deliver):
        exemption(deliver)
        sanction(deliver)
        assert call(talent, "get_eligibility", "D1")["promotable"] is True

    def test_clearing_lifts_the_cases_it_names(self, talent, roster, deliver):
        sanction(deliver, case_id="K1")
        sanction(deliver, case_id="K2")
        deliver(CadreClearedIn, {"cadre_id": "D1", "complaint_id": "Q1", "outcome": "GROUNDLESS",
                                 "case_ids": ["K1"], "cleared_at": NOW}, "on_cadre_cleared")
        bans = [r for r in call(talent, "get_eligibility", "D1")["reasons"]
                if r["effect"] == "PROMOTION_BAN"]
        assert ["K2" in r["detail"] for r in bans] == [True]


def test_young_cadres_are_listed_youngest_first(talent, roster, running):
    young = call(talent, "young_cadres")
    assert [c["cadre_id"] for c in young] == ["D1"]  # born 1990; S1 born 1975 is not under 40
    older_limit = running(TalentService, YOUNG_CADRE_MAX_AGE=60)
    assert [c["cadre_id"] for c in call(older_limit, "young_cadres")] == ["D1", "S1"]


def test_training_seats_go_to_priority_cadres_first_and_say_why(talent, roster, deliver):
    call(talent, "register_cadre", **{**SECTION, "cadre_id": "S2", "grassroots_years": 9})
    call(talent, "register_cadre", **{**SECTION, "cadre_id": "S3", "grassroots_years": 9})
    deliver(ResultFinalizedIn, {"cycle_id": "cy1", "cadre_id": "S1", "year": 2025, "kind": "SPECIAL",
                                "grade": "EXCELLENT", "finalized_at": NOW - timedelta(days=3)},
            "on_result_finalized")
    deliver(CommendationAwardedIn, {"commendation_id": "m1", "cadre_id": "S3", "year": 2025,
                                    "kind": "COMMENDATION", "deed": "抗洪", "unit_id": "U1",
                                    "typical_example": False, "awarded_at": NOW}, "on_commendation_awarded")
    programme = call(talent, "create_programme", name="狮子型干部专题培训", year=2026, seats=2)

    allocation = call(talent, "allocate_programme", programme["programme_id"],
                      candidates=["S2", "S3", "D1", "S1"])
    assert [(a["cadre_id"], a["seated"], a["priority"]) for a in allocation] == [
        ("S1", True, "EXCELLENT_APPRAISAL"), ("S3", True, "GRASSROOTS_WITH_RESULTS"),
        ("S2", False, "NONE"), ("D1", False, "NONE")]
    assert "no seat left" in allocation[2]["reason"]
    with pytest.raises(Conflict):
        call(talent, "allocate_programme", programme["programme_id"], candidates=["S1"])
    with pytest.raises(InvalidInput):
        call(talent, "create_programme", name="x", year=2026, seats=0)
    with pytest.raises(NotFound):
        call(talent, "allocate_programme", "noprog", candidates=["S1"])


def test_three_years_without_merit_are_the_cadre_s_own_years_as_principal(talent, roster, deliver):
    """A-3 (v2) on the real store: P led U1 from 2021 and is posted away; S comes to lead U1. U1's
    three years without MERIT stay P's and are not S's."""
    leader = {**DEPUTY, "level": "BUREAU_PRINCIPAL", "is_principal": True, "post_since": "2021-03-01"}
    call(talent, "register_cadre", **{**leader, "cadre_id": "P1", "name": "郑三"})
    call(talent, "register_cadre", **{**leader, "cadre_id": "S9", "name": "王九", "unit_id": "U2"})
    for year in (2022, 2023, 2024):
        deliver(UnitGradedIn, {"unit_id": "U1", "year": year, "grade": "PASS",
                               "graded_at": datetime(year + 1, 1, 20, tzinfo=UTC)}, "on_unit_graded")

    def a3(cadre_id):
        return [r for r in call(talent, "get_eligibility", cadre_id)["reasons"] if r["rule"] == "A-3"]
    assert len(a3("P1")) == 1 and a3("S9") == []

    call(talent, "change_posting", "P1", unit_id="U2", post="调研员", reason="交流", is_principal=False,
         kind="INSTITUTIONAL", direction="LATERAL")
    call(talent, "change_posting", "S9", unit_id="U1", post="区长", reason="交流", is_principal=True,
         kind="INSTITUTIONAL", direction="LATERAL")
    assert len(a3("P1")) == 1  # P's own years go with them
    assert a3("S9") == []      # the successor takes none of them
    posting = call(talent, "get_cadre", "S9")
    assert posting["post_since"] == TEST_NOW.date().isoformat()
