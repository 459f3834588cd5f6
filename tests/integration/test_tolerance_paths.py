"""Fault tolerance first, between running processes on the real broker and store: a case is opened in
accountability, the cadre applies in tolerance, the case cannot be decided, the ruling closes or
mitigates it, and what the matter caused elsewhere (appraisal's A-6 bar) is lifted (C-4, T-6)."""

from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import utcnow
from services.common.errors import NotFound, RuleViolation
from services.tolerance.rules import CONDITIONS, FACTORS
from tests.helpers import actor, wait_for
from tests.integration.test_accountability_paths import (
    OFFICER_A,
    OFFICER_B,
    a_principal_who_may_be_excellent,
    accountability,
    decide,
    open_case,
    register_leader,
    wait_for_a6,
)
from tests.integration.test_slice import register_unit

pytestmark = pytest.mark.integration

ALL_HOLD = {code: {"holds": True, "evidence": "经核实"} for code in CONDITIONS}
ALL_FACTORS = {code: {"rating": "FAVOURABLE", "note": "研判"} for code in FACTORS}


def rpc(suite, as_):
    return ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, context_data=suite.as_user(as_))


def apply_for(suite, cadre_id, case_id):
    """The cadre applies, once tolerance knows the cadre and the case (eventual consistency)."""
    cadre = actor("CADRE", user_id=f"u-{cadre_id}", cadre_id=cadre_id)

    def attempt():
        with rpc(suite, cadre) as cluster:
            try:
                return cluster.tolerance.file_application(
                    cadre_id=cadre_id, situation="REFORM_EXPLORATION", case_id=case_id,
                    facts="先行先试的改革措施造成一定损失")
            except NotFound as exc:
                if exc.code in ("CADRE_NOT_FOUND", "CASE_NOT_FOUND"):
                    return None
                raise
    return wait_for(attempt, timeout=20, interval=0.2, what="tolerance to learn the cadre and case")


def rule(suite, application_id, outcome, conditions=ALL_HOLD):
    due = (utcnow() + timedelta(days=60)).isoformat()
    with rpc(suite, OFFICER_A) as cluster:
        cluster.tolerance.start_review(application_id=application_id)
        cluster.tolerance.assess(application_id=application_id, conditions=conditions,
                                 factors=ALL_FACTORS, loss={"level": "NONE", "evidence": "未造成损失"})
        proposal = cluster.tolerance.propose_ruling(
            application_id=application_id, outcome=outcome, reasoning="分析研判后认定",
            measures=[{"description": "建立风险评估机制", "due": due}])["proposal"]
    with rpc(suite, OFFICER_B) as cluster:
        return cluster.tolerance.approve_ruling(application_id=application_id,
                                                proposal_id=proposal["proposal_id"])


def case_of(suite, case_id):
    with accountability(suite) as cluster:
        return cluster.accountability.get_case(case_id=case_id)


def verified(suite, cadre_id):
    case = open_case(suite, cadre_id)
    with accountability(suite) as cluster:
        cluster.accountability.start_investigation(case_id=case["case_id"])
        cluster.accountability.verify_case(case_id=case["case_id"], findings="查实")
    return case["case_id"]


def test_an_exemption_closes_the_case_without_sanction(suite):
    unit_id = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    case_id = verified(suite, cadre_id)
    application = apply_for(suite, cadre_id, case_id)

    # C-4: held from the filing -- tolerance asked accountability before it answered, so the hold is
    # there at once, not when the event arrives
    assert application["case_held"] is True
    assert case_of(suite, case_id)["pending_applications"] == [application["application_id"]]
    with accountability(suite) as cluster, pytest.raises(RuleViolation) as caught:
        cluster.accountability.propose_decision(case_id=case_id, severity="SERIOUS",
                                                sanctions=["TRANSFER"], reason="情节较重")
    assert (caught.value.code, caught.value.rule) == ("CASE_ON_HOLD", "C-4")

    ruled = rule(suite, application["application_id"], "EXEMPTED")
    assert ruled["ruling"]["rules"] == ["T-3", "T-4"]

    def closed():
        case = case_of(suite, case_id)
        return case["status"] == "CLOSED" and case
    case = wait_for(closed, timeout=20, interval=0.2, what="accountability to close the case")
    assert (case["outcome"], case["decision"], case["pending_applications"]) == ("EXEMPTED", None, [])

    # T-6: nothing from the matter restricts the cadre in talent
    eligibility = suite.get(f"/cadres/{cadre_id}/eligibility").json()
    assert eligibility["promotable"] is True
    assert not any(case_id in (reason.get("detail") or "") for reason in eligibility["reasons"])


def test_a_mitigation_leaves_only_lighter_sanctions(suite):
    unit_id = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    case_id = verified(suite, cadre_id)
    application = apply_for(suite, cadre_id, case_id)
    wait_for(lambda: case_of(suite, case_id)["pending_applications"], timeout=20, interval=0.2,
             what="accountability to hold the case")
    # conditions that allow MITIGATED (T-4): no decision procedure, diligent, rectified
    rule(suite, application["application_id"], "MITIGATED", conditions={
        **ALL_HOLD, "DECISION_PROCEDURE_FOLLOWED": {"holds": False, "evidence": "未经集体研究"}})

    wait_for(lambda: case_of(suite, case_id)["mitigated"], timeout=20, interval=0.2,
             what="accountability to mitigate the case")
    with accountability(suite) as cluster:
        allowed = cluster.accountability.allowed_sanctions(case_id=case_id, severity="SERIOUS")
        with pytest.raises(RuleViolation) as caught:
            cluster.accountability.propose_decision(case_id=case_id, severity="SERIOUS",
                                                    sanctions=["TRANSFER"], reason="x")
    assert caught.value.rule == "C-4"
    # C-4 (v2): one step lighter -- light sanctions, one or more, instead of organisational handling
    assert {s["rule"] for s in allowed["allowed"]} == {"C-4"}
    assert {s for a in allowed["allowed"] for s in a["sanctions"]} == {
        "CRITICISM_EDUCATION", "CIRCULATED_CRITICISM", "ADMONISHMENT"}


def test_an_exemption_after_the_sanction_lifts_its_a6_bar_in_appraisal(suite):
    principal_id, cycle_id = a_principal_who_may_be_excellent(suite)
    case = open_case(suite, principal_id)
    decide(suite, case["case_id"])
    wait_for_a6(suite, cycle_id, principal_id, barred=True)

    application = apply_for(suite, principal_id, case["case_id"])
    rule(suite, application["application_id"], "EXEMPTED")

    accepted = wait_for_a6(suite, cycle_id, principal_id, barred=False)
    assert accepted.status_code == 200, accepted.text
    case = wait_for(lambda: (c := case_of(suite, case["case_id"]))["outcome"] == "EXEMPTED" and c,
                    timeout=20, interval=0.2, what="accountability to mark the decision exempted")
    assert case["decision"]["exempted"] is True
