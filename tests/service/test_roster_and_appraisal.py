"""talent and appraisal as nameko containers on the real broker and store: the slice and its refusals."""

from datetime import UTC, date, datetime

import pytest
from kombu import Connection, Queue
from nameko.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter

from services.appraisal.service import AppraisalService
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unauthenticated,
)
from services.common.messaging import deadletter
from services.common.messaging.events import build_envelope
from services.common.storage.store import database_name
from services.talent.events import ResultFinalizedIn
from services.talent.service import TalentService
from tests.helpers import ADMIN, actor, as_user, call, wait_for

FINALIZED_AT = datetime(2026, 1, 5, tzinfo=UTC)
UNIT = {"unit_id": "U1", "name": "江岸区", "unit_type": "DISTRICT"}
CADRE = {"cadre_id": "C1", "name": "张三", "unit_id": "U1", "level": "DIVISION",
         "is_leader": True, "is_principal": False, "birth_date": "1980-01-02",
         "grassroots_years": 5, "service_years": 12}


@pytest.fixture
def talent(running):
    return running(TalentService)


@pytest.fixture
def appraisal(running):
    return running(AppraisalService)


@pytest.fixture
def roster(talent, appraisal):
    """U1 with cadre C1 registered in talent and known to appraisal."""
    with entrypoint_waiter(appraisal, "on_cadre_registered", timeout=10):
        with entrypoint_waiter(appraisal, "on_unit_registered", timeout=10):
            call(talent, "register_unit", **UNIT)
            call(talent, "register_cadre", **CADRE)


def test_registering_returns_the_record_and_it_can_be_read(talent):
    assert call(talent, "register_unit", **UNIT) == UNIT
    # the facts of the second reading not given: no category, no post date, not on the front line
    unsaid = {"staff_category": None, "post_since": None, "emergency_front_line": False}
    assert call(talent, "register_cadre", **CADRE) == {**CADRE, **unsaid}
    assert call(talent, "get_cadre", "C1") == {**CADRE, **unsaid, "revision": 1,
                                               "selection_status": "NOT_IN_SELECTION", "clearings": [],
                                               "postings": []}


def test_registering_twice_is_a_conflict_and_changes_nothing(talent, config, mongo_client):
    call(talent, "register_unit", **UNIT)
    with pytest.raises(Conflict) as caught:
        call(talent, "register_unit", **{**UNIT, "name": "other"})
    assert caught.value.code == "UNIT_EXISTS"
    units = mongo_client[database_name(config, "talent")].units
    assert units.find_one({"_id": "U1"})["name"] == UNIT["name"]


def test_a_cadre_of_an_unknown_unit_is_refused_and_not_written(talent, config, mongo_client):
    with pytest.raises(NotFound) as caught:
        call(talent, "register_cadre", **{**CADRE, "unit_id": "NOPE"})
    assert caught.value.code == "UNIT_NOT_FOUND"
    assert mongo_client[database_name(config, "talent")].cadres.count_documents({}) == 0


def test_bad_roster_fields_are_named(talent):
    call(talent, "register_unit", **UNIT)
    with pytest.raises(InvalidInput) as caught:
        call(talent, "register_cadre", **{**CADRE, "level": "KING", "service_years": "ten"})
    assert set(caught.value.fields) == {"level", "service_years"}


def test_domain_errors_cross_the_rpc_hop_with_code_and_fields(talent, config):
    with ClusterRpcProxy(config, context_data=as_user(ADMIN)) as cluster:
        with pytest.raises(NotFound) as caught:
            cluster.talent.get_cadre(cadre_id="NOBODY")
        assert caught.value.code == "CADRE_NOT_FOUND"
        with pytest.raises(InvalidInput) as caught:
            cluster.talent.register_unit(unit_id="U 1", name="x", unit_type="PLANET")
        assert set(caught.value.fields) == {"unit_id", "unit_type"}


def test_a_direct_rpc_call_without_a_user_is_refused_and_audited(talent, config, mongo_client):
    with ClusterRpcProxy(config) as cluster:
        with pytest.raises(Unauthenticated) as caught:
            cluster.talent.register_unit(**UNIT)
        assert caught.value.code == "AUTHENTICATION_REQUIRED"
        assert cluster.talent.health()["status"] == "ok"  # public
    db = mongo_client[database_name(config, "talent")]
    assert db.units.count_documents({}) == 0
    [entry] = mongo_client[database_name(config, "talent") + "_audit"].audit.find({"action": "register_unit"})
    assert (entry["outcome"], entry["error_code"], entry["user_id"]) == (
        "DENIED", "AUTHENTICATION_REQUIRED", None)


def test_every_protected_call_is_audited_with_who_what_and_outcome(talent, config, mongo_client):
    call(talent, "register_unit", **UNIT)
    reader = actor("CADRE", user_id="c-self", unit_id="U1", cadre_id="C9")
    with pytest.raises(Forbidden):
        call(talent, "get_cadre", "C1", as_=reader)

    entries = list(mongo_client[database_name(config, "talent") + "_audit"].audit.find({}, {"_id": 0}))
    by_action = {e["action"]: e for e in entries}
    assert by_action["register_unit"]["outcome"] == "OK"
    assert by_action["register_unit"]["user_id"] == "admin"
    assert (by_action["register_unit"]["record_type"], by_action["register_unit"]["record_id"]) == (
        "unit", "U1")
    denied = by_action["get_cadre"]
    assert (denied["outcome"], denied["user_id"], denied["record_id"]) == ("DENIED", "c-self", "C1")
    assert denied["at"].tzinfo is not None


def test_a_scoped_user_is_kept_to_their_scope(talent):
    call(talent, "register_unit", **UNIT)
    call(talent, "register_unit", **{**UNIT, "unit_id": "U2"})
    unit_admin = actor("UNIT_ADMIN", unit_id="U1")
    call(talent, "register_cadre", **CADRE, as_=unit_admin)
    with pytest.raises(Forbidden):
        call(talent, "register_cadre", **{**CADRE, "cadre_id": "C2", "unit_id": "U2"},
             as_=unit_admin)
    assert call(talent, "get_cadre", "C1", as_=unit_admin)["cadre_id"] == "C1"
    assert call(talent, "get_cadre", "C1", as_=actor("CADRE", cadre_id="C1"))["name"] == "张三"
    with pytest.raises(Forbidden):
        call(talent, "get_eligibility", "C1", as_=actor("CARE_OFFICER"))


def test_the_acting_user_travels_in_the_event_envelope(talent, config, get_message_from_queue):
    with Connection(config["AMQP_URI"]) as conn:
        Queue("spy", exchange=get_event_exchange("talent", config),
              routing_key="unit_registered")(conn.default_channel).declare()
    call(talent, "register_unit", **UNIT)
    envelope = get_message_from_queue("spy", timeout=10).payload
    assert envelope["actor"]["user_id"] == "admin"
    assert envelope["actor"]["roles"] == ["ORG_ADMIN"]


def test_unknown_cadre(talent):
    with pytest.raises(NotFound) as caught:
        call(talent, "get_eligibility", "NOBODY")
    assert caught.value.code == "CADRE_NOT_FOUND"


def test_appraisal_keeps_its_own_copy_of_the_roster(roster, appraisal, config, mongo_client):
    db = mongo_client[database_name(config, "appraisal")]
    assert db.units.find_one({"_id": "U1"})["unit_type"] == "DISTRICT"
    cadre = db.cadres.find_one({"_id": "C1"})
    assert (cadre["unit_id"], cadre["is_leader"]) == ("U1", True)


def test_finalizing_an_excellent_result_gives_priority_in_talent(roster, talent, appraisal):
    # a SPECIAL appraisal: EXCELLENT there gives A-5 priority, and no A-1 quota applies
    cycle = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="SPECIAL")
    call(appraisal, "record_grade", cycle["cycle_id"], "C1", "EXCELLENT")

    with entrypoint_waiter(talent, "on_result_finalized", timeout=10):
        finalized = call(appraisal, "finalize_cycle", cycle["cycle_id"])

    assert finalized["status"] == "FINALIZED"
    assert finalized == call(appraisal, "get_cycle", cycle["cycle_id"])  # answered without a re-read
    eligibility = call(talent, "get_eligibility", "C1")
    assert eligibility["selection_priority"] and eligibility["training_priority"]
    assert {r["rule"] for r in eligibility["reasons"]} == {"A-5"}
    assert all(r["source_event_id"] for r in eligibility["reasons"])


def test_a_competent_result_gives_no_priority(roster, talent, appraisal):
    cycle = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
    call(appraisal, "record_grade", cycle["cycle_id"], "C1", "COMPETENT")
    with entrypoint_waiter(talent, "on_result_finalized", timeout=10):
        call(appraisal, "finalize_cycle", cycle["cycle_id"])
    assert call(talent, "get_eligibility", "C1")["reasons"] == []


def test_the_same_result_event_twice_is_one_fact(roster, talent, publish_event, config,
                                                 mongo_client):
    event = build_envelope(ResultFinalizedIn, {
        "cycle_id": "cy1", "cadre_id": "C1", "year": 2025, "kind": "ANNUAL",
        "grade": "EXCELLENT", "finalized_at": FINALIZED_AT}, producer="appraisal")
    for _ in range(2):
        with entrypoint_waiter(talent, "on_result_finalized", timeout=10):
            publish_event(event, source="appraisal")

    kept = list(mongo_client[database_name(config, "talent")].results.find({"cadre_id": "C1"}))
    assert [r["_id"] for r in kept] == [event["event_id"]]
    assert len(call(talent, "get_eligibility", "C1")["reasons"]) == 2


def test_results_kept_on_the_cadre_before_adr_0017_still_count_once(roster, talent, publish_event,
                                                                    config, mongo_client):
    """A database from before ADR 0017 holds results on the cadre document: eligibility reads them
    beside the Result documents, and the same event kept both ways is one fact."""
    # a SPECIAL appraisal of 2025: its priority still runs in June 2026 (A-5: to the end of Y + 1)
    old = {"event_id": "e-old", "cycle_id": "cy0", "cadre_id": "C1", "year": 2025, "kind": "SPECIAL",
           "grade": "EXCELLENT", "finalized_at": datetime(2025, 7, 10, tzinfo=UTC)}
    event = build_envelope(ResultFinalizedIn, {
        **old, "cycle_id": "cy1", "kind": "ANNUAL", "finalized_at": datetime(2026, 1, 10, tzinfo=UTC)},
        producer="appraisal")
    twice = {**event["payload"], "finalized_at": datetime(2026, 1, 10, tzinfo=UTC),
             "event_id": event["event_id"]}
    mongo_client[database_name(config, "talent")].cadres.update_one(
        {"_id": "C1"}, {"$push": {"appraisal_results": {"$each": [old, twice]}}})
    with entrypoint_waiter(talent, "on_result_finalized", timeout=10):
        publish_event(event, source="appraisal")

    reasons = call(talent, "get_eligibility", "C1")["reasons"]
    assert {(r["rule"], r["source_event_id"]) for r in reasons} == {("A-5", "e-old"),
                                                                    ("A-5", event["event_id"])}
    assert len(reasons) == 4  # two priorities from each result; the one kept both ways counts once


def test_a_result_for_a_cadre_talent_does_not_know_is_dead_lettered_not_dropped(
        talent, publish_event, config):
    event = build_envelope(ResultFinalizedIn, {
        "cycle_id": "cy1", "cadre_id": "GHOST", "year": 2025, "kind": "ANNUAL",
        "grade": "EXCELLENT", "finalized_at": FINALIZED_AT}, producer="appraisal")
    publish_event(event, source="appraisal")

    letters = wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "talent"),
                       what="the dead letter")
    assert [(d.event_id, d.attempts) for d in letters] == [
        (event["event_id"], config["EVENT_MAX_ATTEMPTS"])]
    assert "CADRE_NOT_FOUND" in letters[0].error


class TestRefusals:
    def test_unknown_unit(self, appraisal):
        with pytest.raises(NotFound) as caught:
            call(appraisal, "open_cycle", unit_id="NOPE", year=2025, kind="ANNUAL")
        assert caught.value.code == "UNIT_NOT_FOUND"

    def test_second_cycle_for_the_same_unit_year_and_kind(self, roster, appraisal, config,
                                                         mongo_client):
        first = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
        with pytest.raises(Conflict) as caught:
            call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
        assert caught.value.code == "CYCLE_EXISTS"
        assert caught.value.details == {"cycle_id": first["cycle_id"]}
        assert mongo_client[database_name(config, "appraisal")].cycles.count_documents({}) == 1
        # another kind or year is another cycle
        call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="SPECIAL")
        call(appraisal, "open_cycle", unit_id="U1", year=2026, kind="ANNUAL")

    def test_grade_outside_the_enum(self, roster, appraisal):
        cycle = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
        with pytest.raises(InvalidInput) as caught:
            call(appraisal, "record_grade", cycle["cycle_id"], "C1", "SUPERB")
        assert list(caught.value.fields) == ["grade"]
        assert call(appraisal, "get_cycle", cycle["cycle_id"])["results"] == []

    def test_unknown_cadre_and_cycle(self, roster, appraisal):
        cycle = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
        with pytest.raises(NotFound) as caught:
            call(appraisal, "record_grade", cycle["cycle_id"], "NOBODY", "COMPETENT")
        assert caught.value.code == "CADRE_NOT_FOUND"
        with pytest.raises(NotFound) as caught:
            call(appraisal, "record_grade", "nocycle", "C1", "COMPETENT")
        assert caught.value.code == "CYCLE_NOT_FOUND"

    def test_recording_into_a_finalized_cycle(self, roster, appraisal):
        cycle = call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")
        call(appraisal, "record_grade", cycle["cycle_id"], "C1", "COMPETENT")
        call(appraisal, "finalize_cycle", cycle["cycle_id"])
        with pytest.raises(Conflict) as caught:
            call(appraisal, "record_grade", cycle["cycle_id"], "C1", "EXCELLENT")
        assert caught.value.code == "CYCLE_FINALIZED"
        with pytest.raises(Conflict):
            call(appraisal, "finalize_cycle", cycle["cycle_id"])
        [result] = call(appraisal, "get_cycle", cycle["cycle_id"])["results"]
        assert result["grade"] == "COMPETENT"

    def test_wrong_types(self, appraisal):
        with pytest.raises(InvalidInput) as caught:
            call(appraisal, "open_cycle", unit_id="U1", year="2025", kind="YEARLY")
        assert set(caught.value.fields) == {"year", "kind"}


def test_birth_date_is_a_date(talent):
    call(talent, "register_unit", **UNIT)
    cadre = call(talent, "register_cadre", **CADRE)
    assert date.fromisoformat(cadre["birth_date"]) == date(1980, 1, 2)


class TestGradesInBulk:
    """record_grades: a unit's grades in one write, each checked as one record_grade."""

    @pytest.fixture
    def unit_of_ten(self, talent, appraisal):
        """U1 with C1..C10, none principal: a DISTRICT unit's 15 % gives one EXCELLENT (A-1)."""
        call(talent, "register_unit", **UNIT)
        for n in range(1, 11):
            with entrypoint_waiter(appraisal, "on_cadre_registered", timeout=10):
                call(talent, "register_cadre", **{**CADRE, "cadre_id": f"C{n}"})
        return call(appraisal, "open_cycle", unit_id="U1", year=2025, kind="ANNUAL")["cycle_id"]

    def test_a_whole_unit_is_graded_in_one_call(self, unit_of_ten, appraisal):
        grades = [{"cadre_id": "C1", "grade": "EXCELLENT", "comment": "led the flood response"}] + [
            {"cadre_id": f"C{n}", "grade": "COMPETENT"} for n in range(2, 11)]
        cycle = call(appraisal, "record_grades", unit_of_ten, grades)
        assert {(r["cadre_id"], r["grade"]) for r in cycle["results"]} == {
            (g["cadre_id"], g["grade"]) for g in grades}
        assert call(appraisal, "get_unit_quota", "U1", 2025)["used"] == 1

    def test_the_quota_counts_the_earlier_rows_and_a_refusal_records_nothing(self, unit_of_ten,
                                                                             appraisal):
        grades = [{"cadre_id": "C3", "grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "EXCELLENT"},
                  {"cadre_id": "C2", "grade": "EXCELLENT"}]
        with pytest.raises(RuleViolation) as caught:
            call(appraisal, "record_grades", unit_of_ten, grades)
        assert (caught.value.code, caught.value.rule) == ("EXCELLENT_QUOTA_EXCEEDED", "A-1")
        assert (caught.value.details["row"], caught.value.details["cadre_id"]) == (2, "C2")
        assert call(appraisal, "get_cycle", unit_of_ten)["results"] == []

    def test_an_unknown_cadre_names_its_row(self, unit_of_ten, appraisal):
        with pytest.raises(NotFound) as caught:
            call(appraisal, "record_grades", unit_of_ten, [
                {"cadre_id": "C1", "grade": "COMPETENT"}, {"cadre_id": "NOBODY", "grade": "COMPETENT"}])
        assert caught.value.code == "CADRE_NOT_FOUND" and caught.value.details["row"] == 1
        assert call(appraisal, "get_cycle", unit_of_ten)["results"] == []

    def test_a_cadre_twice_or_no_grades_is_bad_input(self, unit_of_ten, appraisal):
        with pytest.raises(InvalidInput) as caught:
            call(appraisal, "record_grades", unit_of_ten, [
                {"cadre_id": "C1", "grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "EXCELLENT"}])
        assert list(caught.value.fields) == ["grades"]
        with pytest.raises(InvalidInput):
            call(appraisal, "record_grades", unit_of_ten, [])
        assert call(appraisal, "get_cycle", unit_of_ten)["results"] == []
