"""DOMAIN.md "Work lists (v2)" over HTTP against the running suite: each role's GET /work, scoped as the
records themselves and ordered most urgent first; a decision another officer proposed waits for this one.
The order itself (overdue, due, oldest) is proven on the pure function in tests/unit/test_work.py."""

import pytest

from tests.helpers import wait_for
from tests.integration.test_slice import new_id, open_cycle, register_cadre, register_unit

pytestmark = pytest.mark.integration


def work(suite, *roles, limit=200, **claims):
    response = suite.get(f"/work?limit={limit}", headers=suite.auth_headers(*roles, **claims))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["unavailable"] == []
    return answer["items"]


def of(items, section, record_id=None):
    return [i for i in items if i["section"] == section
            and (record_id is None or i["record_id"] == record_id)]


def test_open_cycles_wait_for_the_department_and_for_their_own_unit_only(suite):
    unit_a, unit_b = register_unit(suite), register_unit(suite)
    cadres = [register_cadre(suite, unit_a) for _ in range(2)]
    register_cadre(suite, unit_b)
    wait_for(lambda: suite.get(f"/appraisal/units/{unit_a}/quotas/2023").json().get("participants") == 2,
             what="appraisal to know unit A's cadres")
    cycle_a, cycle_b = open_cycle(suite, unit_a, year=2023), open_cycle(suite, unit_b, year=2023)
    suite.post(f"/appraisal/cycles/{cycle_a}/grades", {"cadre_id": cadres[0], "grade": "COMPETENT"})

    department = work(suite, "ORG_ADMIN")
    [item] = of(department, "OPEN_CYCLE", cycle_a)
    assert (item["path"], item["unit_id"], item["detail"]["ungraded"], item["detail"]["graded"]) == (
        f"/appraisal/cycles/{cycle_a}", unit_a, 1, 1)
    assert of(department, "OPEN_CYCLE", cycle_b)

    unit_admin = work(suite, "UNIT_ADMIN", unit_id=unit_a)
    assert {i["record_id"] for i in of(unit_admin, "OPEN_CYCLE")} == {cycle_a}  # not B's
    assert not of(work(suite, "CARE_OFFICER"), "OPEN_CYCLE")


def test_a_proposed_decision_waits_for_the_other_officer_and_cases_and_complaints_for_discipline(suite):
    unit_id = register_unit(suite)
    leader = register_cadre(suite, unit_id)
    officer_a = suite.auth_headers("DISCIPLINE_OFFICER", sub="work-officer-a")

    def opened():
        response = suite.post("/accountability/cases", {
            "cadre_id": leader, "source": "INSPECTION", "situations": ["REFORM_2"],
            "summary": "改革工作长期滞后"}, headers=officer_a)
        return response.json() if response.status_code == 201 else None
    case = wait_for(opened, timeout=15, interval=0.2, what="accountability to learn the cadre")
    case_id = case["case_id"]
    complaint = suite.post("/accountability/complaints", {"cadre_id": leader, "matter": "推诿扯皮"},
                           headers=officer_a).json()
    for step, body in (("investigation", {}), ("verification", {"findings": "查实"}),
                       ("proposal", {"severity": "MINOR", "public_outcry": False,
                                     "bad_impact": False, "sanctions": ["ADMONISHMENT"],
                                     "reason": "情节较轻"})):
        response = suite.post(f"/accountability/cases/{case_id}/{step}", body, headers=officer_a)
        assert response.status_code == 200, response.text

    mine = work(suite, "DISCIPLINE_OFFICER", sub="work-officer-a")
    assert not of(mine, "DECISION_TO_APPROVE", case_id)  # not one's own proposal (four eyes)
    [in_hand] = of(mine, "CASE_IN_HAND", case_id)
    assert (in_hand["state"], in_hand["detail"]["proposed"], in_hand["detail"]["on_hold"]) == (
        "VERIFIED", True, False)
    [due] = of(mine, "COMPLAINT_DUE", complaint["complaint_id"])
    assert due["due"] and due["overdue"] is False

    other = work(suite, "DISCIPLINE_OFFICER", sub="work-officer-b")
    [waiting] = of(other, "DECISION_TO_APPROVE", case_id)
    assert waiting["detail"]["proposed_by"] == "work-officer-a"
    assert of(work(suite, "ORG_ADMIN", sub="work-admin"), "DECISION_TO_APPROVE", case_id)
    assert not of(work(suite, "ORG_ADMIN"), "CASE_IN_HAND")  # the department's list

    # care: the case's early-warning talk (K-1) waits for the care officers, and for the cadre
    care = wait_for(lambda: of(work(suite, "CARE_OFFICER"), "TALK_DUE") and [
        i for i in work(suite, "CARE_OFFICER") if i["cadre_id"] == leader] or None,
        timeout=20, interval=0.3, what="care's talk")
    assert {i["detail"]["reason"] for i in care if i["section"] == "TALK_DUE"} == {"EARLY_WARNING"}
    own = work(suite, "CADRE", cadre_id=leader, unit_id=unit_id)
    assert {i["cadre_id"] for i in own} == {leader}
    assert {"TALK_DUE", "MY_ELIGIBILITY"} <= {i["section"] for i in own}


def test_an_auditor_has_no_work_list(suite):
    response = suite.get("/work", headers=suite.auth_headers("AUDITOR"))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")


def test_the_list_is_most_urgent_first_across_services(suite):
    items = work(suite, "ORG_ADMIN", "DISCIPLINE_OFFICER", "CARE_OFFICER", sub=new_id("all"),
                 limit=200)
    keys = [(not i["overdue"], i["due"] or "~", i["since"] or "~") for i in items]
    assert keys == sorted(keys)


def test_the_department_wide_sections_are_kept_and_follow_the_records(suite):
    """The whole roster's rotation list (L-7) and every unit's missing health checks (K-2) are kept
    views (services/common/views.py), worked out again in the background once WORK_VIEW_SECONDS (1 s
    here) old: what changes in the records shows in the officers' lists within a few seconds."""
    unit_id = "0" + new_id("U")  # first by id among the units the list shows in order
    assert suite.post("/units", {"unit_id": unit_id, "name": "测试单位",
                                 "unit_type": "DISTRICT"}).status_code == 201
    leader = register_cadre(suite, unit_id, birth_date="1928-03-01", post_since="1950-01-01")

    def rotation_due():
        return of(work(suite, "ORG_ADMIN", sub=new_id("org")), "ROTATION_DUE", leader)

    [item] = wait_for(rotation_due, timeout=20, interval=0.5, what="the leader long in post listed")
    assert (item["state"], item["unit_id"]) == ("MUST", unit_id)
    posted = suite.post(f"/cadres/{leader}/postings", {
        "unit_id": unit_id, "post": "调研员", "reason": "交流轮岗", "is_principal": False,
        "kind": "REGULATORY", "direction": "LATERAL"})
    assert posted.status_code == 200, posted.text
    wait_for(lambda: not rotation_due(), timeout=20, interval=0.5, what="the rotated leader gone")

    def missing():
        found = of(work(suite, "CARE_OFFICER", sub=new_id("care")), "HEALTH_CHECKS_MISSING", unit_id)
        return found and found[0]["detail"]

    detail = wait_for(missing, timeout=20, interval=0.5, what="the unit's check missing")
    assert (detail["cadres"], detail["checked"], detail["missing"]) == (1, 0, 1)

    def unit_admin_s():  # the unit's own section reads the store on every call: never behind
        return of(work(suite, "UNIT_ADMIN", sub=new_id("ua"), unit_id=unit_id),
                  "HEALTH_CHECKS_MISSING")

    [mine] = unit_admin_s()
    assert (mine["record_id"], mine["detail"]["missing"]) == (unit_id, 1)
    wait_for(lambda: suite.post("/care/health-checks", {
        "cadre_id": leader, "year": 2026, "checked_on": "2026-04-10"}).status_code == 201,
        timeout=15, interval=0.5, what="care to know the cadre")
    assert unit_admin_s() == []
    wait_for(lambda: not missing(), timeout=20, interval=0.5, what="the unit's checks complete")

