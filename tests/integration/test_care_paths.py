"""care's event-opened talks between running processes on the real broker and store (K-1): a case or a
complaint opened in accountability -> EARLY_WARNING; organisational handling decided -> JOB_ADJUSTMENT;
a posting changed in talent -> JOB_ADJUSTMENT; a hardship grant -> MAJOR_SETBACK; each once."""


import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import utcnow
from tests.helpers import actor, wait_for
from tests.integration.test_accountability_paths import accountability, decide, open_case, register_leader
from tests.integration.test_slice import new_id, register_unit

pytestmark = pytest.mark.integration

CARER = actor("CARE_OFFICER", user_id="it-carer")
ORG = actor("ORG_ADMIN", user_id="it-org")


def rpc(suite, as_):
    return ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, context_data=suite.as_user(as_))


def talks_of(suite, cadre_id):
    with rpc(suite, CARER) as cluster:
        return sorted((t["reason"], t["matter"]["type"])
                      for t in cluster.care.list_talks(cadre_id=cadre_id))


def wait_for_talks(suite, cadre_id, expected):
    return wait_for(lambda: talks_of(suite, cadre_id) == expected and expected, timeout=20,
                    interval=0.3, what=f"care to open {expected}")


def test_accountability_and_talent_open_their_talks_once(suite):
    unit_id = register_unit(suite)
    other_unit = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    case = open_case(suite, cadre_id)
    with accountability(suite) as cluster:
        cluster.accountability.file_complaint(cadre_id=cadre_id, matter="反映推诿扯皮")
    wait_for_talks(suite, cadre_id, [("EARLY_WARNING", "case"), ("EARLY_WARNING", "complaint")])

    decide(suite, case["case_id"])  # TRANSFER: organisational handling
    with rpc(suite, ORG) as cluster:
        cluster.talent.change_posting(cadre_id=cadre_id, unit_id=other_unit, post="副区长",
                                      reason="交流轮岗", is_principal=False, kind="INSTITUTIONAL",
                                      direction="LATERAL")
    wait_for_talks(suite, cadre_id, [("EARLY_WARNING", "case"), ("EARLY_WARNING", "complaint"),
                                     ("JOB_ADJUSTMENT", "posting"), ("JOB_ADJUSTMENT", "sanction")])


def test_a_hardship_grant_opens_a_major_setback_talk(suite):
    unit_id = register_unit(suite)
    cadre_id = register_leader(suite, unit_id, principal=False)
    year = utcnow().year

    def applied():
        with rpc(suite, CARER) as cluster:
            try:
                return cluster.care.apply_hardship(cadre_id=cadre_id, reason="NATURAL_DISASTER",
                                                   facts="住房受灾")
            except Exception:  # care learns the cadre from talent's event
                return None
    application = wait_for(applied, timeout=20, interval=0.3, what="care to learn the cadre")
    with rpc(suite, ORG) as cluster:
        cluster.care.set_fund_budget(year=year, amount="5000")
    with rpc(suite, CARER) as cluster:
        approved = cluster.care.approve_hardship(application_id=application["application_id"],
                                                 amount="2000.00")
    assert (approved["status"], approved["amount"]) == ("APPROVED", "2000.00")
    wait_for_talks(suite, cadre_id, [("MAJOR_SETBACK", "hardship_grant")])


def test_the_front_line_and_a_first_year_reach_care_from_the_roster(suite):
    """K-2, K-3 (v2) across the broker: talent registers a cadre on the emergency front line in their
    first year; care checks them to the ENHANCED standard and gives no paid leave yet."""
    unit_id = register_unit(suite)
    cadre_id = new_id("F")
    response = suite.post("/cadres", {
        "cadre_id": cadre_id, "name": "抢险队员", "unit_id": unit_id, "level": "STAFF",
        "is_leader": False, "is_principal": False, "birth_date": "1998-09-09", "grassroots_years": 0,
        "service_years": 0, "staff_category": "CIVIL_SERVANT", "emergency_front_line": True})
    assert response.status_code == 201, response.text
    year = utcnow().year

    def entitlement():
        with rpc(suite, CARER) as cluster:
            try:
                return cluster.care.leave_entitlement(cadre_id=cadre_id, year=year)
            except Exception:  # noqa: BLE001 - care has not learnt the cadre yet
                return None
    assert wait_for(entitlement, timeout=20, interval=0.3, what="care to learn the cadre")[
        "entitlement"] == 0
    with rpc(suite, CARER) as cluster:
        check = cluster.care.record_health_check(cadre_id=cadre_id, year=year,
                                                 checked_on=utcnow().date().isoformat())
    assert check["standard"] == "ENHANCED"
