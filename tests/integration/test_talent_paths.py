"""talent's cross-service paths between running processes on the real broker and store: a sanction bans
promotion and exits the lion-type pool, the exemption lifts both (C, L-2, T-6); selection expedites
complaints in accountability (C-5); a roster change reaches every service's copy; a commendation counts
for training priority (L-5)."""

from datetime import datetime

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import utcnow
from services.common.errors import RuleViolation
from services.talent.rules import STANDARDS
from tests.helpers import actor, wait_for
from tests.integration.test_accountability_paths import (
    accountability,
    cases_of,
    decide,
    open_case,
    register_leader,
)
from tests.integration.test_slice import new_id, register_cadre, register_unit
from tests.integration.test_tolerance_paths import apply_for, rule

pytestmark = pytest.mark.integration

ADMIN = actor("ORG_ADMIN", user_id="it-org")
EVIDENCE = {code: "考察材料" for code in STANDARDS}
ALL_HOLD = {code: {"holds": True, "evidence": "属实"} for code in STANDARDS}


def talent(suite):
    return ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, context_data=suite.as_user(ADMIN))


def pool_entry(suite, cadre_id):
    with talent(suite) as cluster:
        return next(e for e in cluster.talent.get_pool() if e["cadre_id"] == cadre_id)


def test_a_sanction_bans_and_exits_the_pool_and_the_exemption_lifts_both(suite):
    unit_id = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    with talent(suite) as cluster:
        cluster.talent.nominate(cadre_id=cadre_id, evidence=EVIDENCE)
        assert cluster.talent.assess_nomination(cadre_id=cadre_id, standards=ALL_HOLD)["status"] == "RESERVE"

    case = open_case(suite, cadre_id)
    decide(suite, case["case_id"])  # TRANSFER: organisational handling, 12 months' ban

    def banned():
        answer = suite.get(f"/cadres/{cadre_id}/eligibility").json()
        return answer["promotable"] is False and answer
    answer = wait_for(banned, timeout=20, interval=0.2, what="talent to ban the promotion")
    [ban] = [r for r in answer["reasons"] if r["effect"] == "PROMOTION_BAN"]
    assert case["case_id"] in ban["detail"] and datetime.fromisoformat(ban["valid_until"]) > utcnow()
    entry = pool_entry(suite, cadre_id)
    assert (entry["status"], entry["exit"]["cause"], entry["exit"]["case_id"]) == (
        "EXITED", "SANCTION", case["case_id"])

    application = apply_for(suite, cadre_id, case["case_id"])
    rule(suite, application["application_id"], "EXEMPTED")
    wait_for(lambda: suite.get(f"/cadres/{cadre_id}/eligibility").json()["promotable"], timeout=20,
             interval=0.2, what="talent to lift the ban (T-6)")
    assert pool_entry(suite, cadre_id)["status"] == "RESERVE"  # the exit is reversed


def test_a_cadre_under_selection_gets_complaints_expedited(suite):
    unit_id = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    open_case(suite, cadre_id)  # accountability knows the cadre once this succeeds
    with talent(suite) as cluster:
        cluster.talent.start_selection(cadre_id=cadre_id)

    def expedited():
        with accountability(suite) as cluster:
            complaint = cluster.accountability.file_complaint(cadre_id=cadre_id, matter=f"反映 {new_id('m')}")
        return complaint["expedited"] and complaint
    complaint = wait_for(expedited, timeout=20, interval=0.3, what="accountability to expedite (C-5)")
    days = (datetime.fromisoformat(complaint["due_at"]) - datetime.fromisoformat(complaint["filed_at"])).days
    assert days == 15


def test_a_roster_change_reaches_accountability(suite):
    unit_id = register_unit(suite)
    cadre_id = new_id("C")
    response = suite.post("/cadres", {
        "cadre_id": cadre_id, "name": "科员", "unit_id": unit_id, "level": "SECTION", "is_leader": False,
        "is_principal": False, "birth_date": "1988-08-08", "grassroots_years": 1, "service_years": 8})
    assert response.status_code == 201, response.text
    refused = wait_for(lambda: _refusal(suite, cadre_id), timeout=20, interval=0.2,
                       what="accountability to learn the cadre")
    assert refused.code == "NOT_A_LEADING_CADRE"

    with talent(suite) as cluster:  # promoted to a leading post: the copy follows (revision 2)
        assert cluster.talent.update_cadre(cadre_id=cadre_id, level="DIVISION",
                                           is_leader=True)["revision"] == 2
    def opened():  # refused until accountability's copy says leader
        refusal = _refusal(suite, cadre_id)
        return None if refusal is not None else cases_of(suite, cadre_id)
    [case] = wait_for(opened, timeout=20, interval=0.3, what="accountability's copy to follow (C-1)")
    assert case["cadre_id"] == cadre_id


def _refusal(suite, cadre_id):
    with accountability(suite) as cluster:
        try:
            cluster.accountability.open_case(cadre_id=cadre_id, source="INSPECTION",
                                             situations=["REFORM_1"], summary="x")
        except RuleViolation as exc:
            return exc
        except Exception:
            return None
    return None


def test_a_commendation_counts_for_training_priority(suite):
    unit_id = register_unit(suite)
    commended, other = register_cadre(suite, unit_id), register_cadre(suite, unit_id)  # 5 grassroots years
    wait_for(lambda: suite.post("/appraisal/commendations", {
        "cadre_id": commended, "year": 2025, "kind": "MERIT_CITATION", "deed": "防汛",
        "deed_kind": "EMERGENCY_HANDLING"}).status_code == 201,
        timeout=20, interval=0.2, what="appraisal to learn the cadre")

    def seated():
        with talent(suite) as cluster:
            programme = cluster.talent.create_programme(name=f"调训 {new_id('p')}", year=2026, seats=1)
            allocation = cluster.talent.allocate_programme(programme_id=programme["programme_id"],
                                                           candidates=sorted([commended, other]))
        return allocation[0]["cadre_id"] == commended and allocation
    allocation = wait_for(seated, timeout=20, interval=0.5, what="talent to hear of the commendation")
    assert (allocation[0]["priority"], allocation[0]["seated"], allocation[1]["seated"]) == (
        "GRASSROOTS_WITH_RESULTS", True, False)
