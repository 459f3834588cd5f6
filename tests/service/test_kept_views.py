"""Kept views in a running service (services/common/views.py): the department's work is worked out by the
service's timer soon after it starts, before any work list asks, and follows the roster after that."""

from datetime import date

from services.talent.service import TalentService
from tests.helpers import call, wait_for


def kept_of(container):
    [views] = [d for d in container.dependencies if d.attr_name == "views"]
    return views.kept


def test_the_department_s_work_is_kept_before_anyone_asks_and_follows_the_roster(running):
    talent = running(TalentService, WORK_VIEW_SECONDS=1)
    kept = kept_of(talent)
    wait_for(lambda: "value" in kept.entries.get("department_work", {}), timeout=15, interval=0.2,
             what="the timer to work out the department's work")
    call(talent, "register_unit", unit_id="U1", name="江岸区", unit_type="DISTRICT")
    call(talent, "register_cadre", cadre_id="C1", unit_id="U1", name="张三", level="DIVISION",
         is_leader=True, is_principal=False, birth_date=date(1960, 3, 1), grassroots_years=5,
         service_years=30, post_since=date(2010, 1, 1))

    def listed():
        return [i["record_id"] for i in call(talent, "work_list") if i["section"] == "ROTATION_DUE"]

    assert listed() == []  # kept from before the cadre was registered
    wait_for(lambda: listed() == ["C1"], timeout=15, interval=0.5,
             what="the kept rotation list to be worked out again")


def test_a_unit_administrator_s_list_reads_priority_exchange_from_the_department_s_kept_set(
        running, deliver_event):
    """L-7: a cadre long in grassroots posts who is commended is listed for priority exchange. The unit
    administrator's work list takes that from the department's kept view (no look-up of each of the
    unit's cadres' results), so it follows within the view's age; the rotation list itself at once."""
    from services.talent.events import CommendationAwardedIn
    from tests.helpers import TEST_NOW, actor

    talent = running(TalentService, WORK_VIEW_SECONDS=1)
    kept = kept_of(talent)
    call(talent, "register_unit", unit_id="U1", name="江岸区", unit_type="DISTRICT")
    call(talent, "register_cadre", cadre_id="C2", unit_id="U1", name="李四", level="SECTION",
         is_leader=False, is_principal=False, birth_date=date(1985, 3, 1), grassroots_years=9,
         service_years=15)
    wait_for(lambda: "value" in kept.entries.get("department_work", {}), timeout=15, interval=0.2,
             what="the timer to work out the department's work")
    unit_admin = actor("UNIT_ADMIN", user_id="unit-admin-1", unit_id="U1")

    def listed():
        return [(i["record_id"], i["state"]) for i in call(talent, "work_list", as_=unit_admin)
                if i["section"] == "ROTATION_DUE"]

    assert listed() == []
    deliver_event(talent, CommendationAwardedIn, {
        "commendation_id": "m1", "cadre_id": "C2", "year": 2025, "kind": "COMMENDATION",
        "deed": "抗洪", "unit_id": "U1", "typical_example": False, "awarded_at": TEST_NOW},
        "on_commendation_awarded")
    assert [(e["cadre_id"], e["priority_exchange"]) for e in
            call(talent, "rotation_list", unit_id="U1", as_=unit_admin)] == [("C2", True)]
    wait_for(lambda: listed() == [("C2", "PRIORITY_EXCHANGE")], timeout=15, interval=0.5,
             what="the kept set to list the commended cadre")
