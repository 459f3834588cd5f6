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
