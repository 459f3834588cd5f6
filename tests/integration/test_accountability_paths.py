"""Accountability's cross-service paths, each service a separate process on the real broker and store:
A-4 (appraisal's FAIL grade -> a case per principal leader), A-6 (a decided sanction bars EXCELLENT in
appraisal) and its lifting by clearing (C-5). Fault tolerance first (C-4) and the lifting by exemption
(T-6) go through the tolerance process in test_tolerance_paths.py."""


import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import NotFound
from tests.helpers import TEST_YEAR, actor, wait_for
from tests.integration.test_slice import new_id, open_cycle, register_unit

pytestmark = pytest.mark.integration

OFFICER_A = actor("DISCIPLINE_OFFICER", user_id="it-officer-a")
OFFICER_B = actor("DISCIPLINE_OFFICER", user_id="it-officer-b")
YEAR = TEST_YEAR  # a sanction is decided now: A-6 bars this year's EXCELLENT


def accountability(suite, as_=OFFICER_A):
    return ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, context_data=suite.as_user(as_))


def register_leader(suite, unit_id, principal=True):
    cadre_id = new_id("P" if principal else "L")
    response = suite.post("/cadres", {
        "cadre_id": cadre_id, "name": "区长", "unit_id": unit_id,
        "level": "BUREAU_PRINCIPAL" if principal else "DIVISION", "is_leader": True,
        "is_principal": principal, "birth_date": "1972-03-04", "grassroots_years": 10,
        "service_years": 25})
    assert response.status_code == 201, response.text
    return cadre_id


def cases_of(suite, cadre_id):
    with accountability(suite) as cluster:
        return cluster.accountability.list_cases(cadre_id=cadre_id)


def open_case(suite, cadre_id, **extra):
    """Opens once accountability has the cadre from talent's event (eventual consistency)."""
    def attempt():
        with accountability(suite) as cluster:
            try:
                return cluster.accountability.open_case(**{
                    "cadre_id": cadre_id, "source": "INSPECTION", "situations": ["PROSPERITY_3"],
                    "summary": "项目推进不力", **extra})
            except NotFound as exc:
                if exc.code == "CADRE_NOT_FOUND":
                    return None
                raise
    return wait_for(attempt, timeout=15, interval=0.2, what=f"accountability to learn {cadre_id}")


def decide(suite, case_id, sanctions=("TRANSFER",)):
    with accountability(suite) as cluster:
        cluster.accountability.start_investigation(case_id=case_id)
        cluster.accountability.verify_case(case_id=case_id, findings="查实")
        cluster.accountability.propose_decision(case_id=case_id, severity="SERIOUS",
                                                sanctions=list(sanctions), reason="情节较重")
    with accountability(suite, as_=OFFICER_B) as cluster:
        proposal = cluster.accountability.get_case(case_id=case_id)["proposal"]
        return cluster.accountability.approve_decision(case_id=case_id,
                                                       proposal_id=proposal["proposal_id"])


def excellent(suite, cycle_id, cadre_id):
    response = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                          {"cadre_id": cadre_id, "grade": "EXCELLENT"})
    return [response]  # a list: a 4xx Response is falsy, and wait_for polls on falsy


def a_principal_who_may_be_excellent(suite):
    """A principal leader of a MERIT unit (A-2) with this year's annual cycle open."""
    unit_id = register_unit(suite)
    principal_id = register_leader(suite, unit_id)
    graded = suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": YEAR, "grade": "MERIT"})
    assert graded.status_code == 201, graded.text
    return principal_id, open_cycle(suite, unit_id, year=YEAR)


def wait_for_a6(suite, cycle_id, cadre_id, barred):
    def settled():
        [response] = excellent(suite, cycle_id, cadre_id)
        error = response.json().get("error", {}) if response.status_code != 200 else {}
        if error.get("code") == "CADRE_NOT_FOUND":
            return None
        return [response] if (error.get("rule") == "A-6") == barred else None
    [response] = wait_for(settled, timeout=20, interval=0.2,
                          what=f"appraisal to {'apply' if barred else 'lift'} the A-6 bar")
    return response


def test_a_failed_unit_opens_a_case_for_each_principal_leader(suite):
    unit_id = register_unit(suite)
    principals = sorted(register_leader(suite, unit_id) for _ in range(2))
    ordinary = register_leader(suite, unit_id, principal=False)
    open_case(suite, ordinary)  # accountability knows the unit's cadres once this succeeds

    graded = suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": 2024, "grade": "FAIL"},
                        headers=suite.auth_headers("ORG_ADMIN", sub="it-grader"))
    assert graded.status_code == 201, graded.text

    def opened():
        found = {p: cases_of(suite, p) for p in principals}
        return all(found.values()) and found
    found = wait_for(opened, timeout=20, interval=0.2, what="the A-4 cases in accountability")
    for principal in principals:
        [case] = found[principal]
        assert (case["source"], case["status"], case["unit_id"]) == ("APPRAISAL_FAIL", "OPEN", unit_id)
        assert case["history"][0]["by"] == "it-grader"  # the grader's identity travelled with it
    assert [c["source"] for c in cases_of(suite, ordinary)] == ["INSPECTION"]


def test_a_sanction_bars_excellent_that_year(suite):
    principal_id, cycle_id = a_principal_who_may_be_excellent(suite)
    case = open_case(suite, principal_id)
    decided = decide(suite, case["case_id"])
    assert decided["decision"]["year"] == YEAR

    refused = wait_for_a6(suite, cycle_id, principal_id, barred=True)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["details"]["case_ids"]) == ("SANCTIONED_THAT_YEAR", [case["case_id"]])
    # lifted by tolerance's exemption: tests/integration/test_tolerance_paths.py


def test_a_cadre_cleared_of_an_untrue_report_is_no_longer_barred(suite):
    principal_id, cycle_id = a_principal_who_may_be_excellent(suite)
    open_case(suite, principal_id)  # waits until accountability knows the cadre
    with accountability(suite) as cluster:
        complaint = cluster.accountability.file_complaint(
            cadre_id=principal_id, matter="反映其不作为", reporter={"name": "某某"})
    case = open_case(suite, principal_id, source="COMPLAINT", complaint_id=complaint["complaint_id"])
    decide(suite, case["case_id"])
    wait_for_a6(suite, cycle_id, principal_id, barred=True)

    with accountability(suite) as cluster:
        cluster.accountability.resolve_complaint(
            complaint_id=complaint["complaint_id"], outcome="GROUNDLESS", reason="复查：反映不实")
    # the other case (INSPECTION, never decided) still bars nothing; the cleared one is lifted
    accepted = wait_for_a6(suite, cycle_id, principal_id, barred=False)
    assert accepted.status_code == 200, accepted.text


def test_a_sanction_in_another_year_does_not_bar_excellent(suite):
    principal_id, this_year = a_principal_who_may_be_excellent(suite)
    unit_id = suite.get(f"/cadres/{principal_id}").json()["unit_id"]
    assert suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": YEAR - 1,
                                                 "grade": "MERIT"}).status_code == 201
    last_year = open_cycle(suite, unit_id, year=YEAR - 1)
    case = open_case(suite, principal_id)
    decide(suite, case["case_id"])
    wait_for_a6(suite, this_year, principal_id, barred=True)  # appraisal has the sanction
    # it was decided this year: last year's EXCELLENT stays possible
    [response] = excellent(suite, last_year, principal_id)
    assert response.status_code == 200, response.text


def test_cases_are_listed_over_http_by_cadre_and_state(suite):
    unit_id = register_unit(suite)
    leader = register_leader(suite, unit_id, principal=False)
    first, second = open_case(suite, leader), open_case(suite, leader)
    with accountability(suite) as cluster:
        cluster.accountability.start_investigation(case_id=second["case_id"])

    def listed(**query):
        response = suite.get("/accountability/cases?" + "&".join(f"{k}={v}" for k, v in query.items()))
        assert response.status_code == 200, response.text
        return [c["case_id"] for c in response.json()]

    assert listed(cadre_id=leader) == [second["case_id"], first["case_id"]]  # newest first
    assert listed(cadre_id=leader, status="OPEN") == [first["case_id"]]
    assert listed(cadre_id=leader, limit=1) == [second["case_id"]]
    for query, field in (("status=SHELVED", "status"), ("colour=red", "colour"), ("limit=0", "limit")):
        bad = suite.get(f"/accountability/cases?{query}")
        assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, [field])


def test_a_sanction_decided_outside_restricts_in_talent_and_bars_excellent_in_appraisal(suite):
    """C-7 (v2), L-2(a), A-6: a discipline inspection decision recorded over HTTP travels as any
    decision does."""
    principal_id, cycle_id = a_principal_who_may_be_excellent(suite)
    body = {"cadre_id": principal_id, "sanctions": ["REMOVAL"], "authority": "市纪委监委",
            "reference": f"武纪发〔{YEAR}〕{new_id('n')}号", "decided_on": f"{YEAR}-03-02",
            "summary": "免职处理"}

    def recorded():  # once accountability has the cadre from talent's event
        response = suite.post("/accountability/outside-sanctions", body)
        return response if response.status_code != 404 else None
    response = wait_for(recorded, timeout=15, interval=0.2, what="accountability to learn the cadre")
    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["source"], case["status"], case["decision"]["reference"]) == (
        "OUTSIDE_DECISION", "DECIDED", body["reference"])

    refused = wait_for_a6(suite, cycle_id, principal_id, barred=True)
    assert refused.json()["error"]["details"]["case_ids"] == [case["case_id"]]

    def restricted():
        answer = suite.get(f"/cadres/{principal_id}/eligibility").json()
        return not answer.get("leadership_post_allowed", True) and answer
    answer = wait_for(restricted, timeout=20, interval=0.2, what="the C-7 restriction in talent")
    assert answer["promotable"] is False  # NO_HIGHER_POST: a promotion is a higher post
    selection = suite.post(f"/cadres/{principal_id}/selection", {"reason": "拟提拔考察"})
    assert (selection.status_code, selection.json()["error"]["rule"]) == (409, "C-7")
    assert suite.post("/accountability/outside-sanctions", body).json()["case_id"] == case["case_id"]
