"""Care's service logic without RabbitMQ or a store (nameko's worker_factory, tests/unit/workers.py):
what each command and event decides, refuses and publishes (DOMAIN.md K)."""

from datetime import UTC, datetime

import pytest

from services.care import decide
from services.care.events import CaseOpenedIn, HardshipGrantedIn
from services.care.service import CareService
from services.common.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from tests.helpers import before_next_write
from tests.unit.workers import Worker, received

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
CARER = {"role": "CARE_OFFICER", "user_id": "carer"}
ADMIN = {"role": "ORG_ADMIN", "user_id": "admin"}


@pytest.fixture
def worker(frozen_clock):
    worker = Worker(CareService, **CARER)
    worker.put("cadres",
               {"_id": "L1", "name": "区长", "unit_id": "JA", "is_leader": True, "service_years": 25,
                "grassroots_years": 6},
               {"_id": "S1", "name": "科员", "unit_id": "JA", "is_leader": False, "service_years": 3,
                "grassroots_years": 0},
               {"_id": "N1", "name": "新人", "unit_id": "JA", "is_leader": False, "service_years": 0,
                "grassroots_years": 0})
    return worker


def approved(worker, application_id, amount="100.00"):
    return worker.service.approve_hardship(application_id=application_id, amount=amount)


def test_an_event_opens_one_talk_per_matter_however_often_it_comes(worker):
    opened = received(CaseOpenedIn, {"case_id": "K1", "cadre_id": "L1", "opened_at": NOW})
    worker.service.on_case_opened(opened)
    worker.service.on_case_opened(opened)
    [talk] = worker.service.list_talks(cadre_id="L1")
    assert (talk["reason"], talk["matter"]["id"], talk["due_at"][:10]) == (
        "EARLY_WARNING", "K1", "2026-06-30")  # K-1: within 15 days


def test_one_open_talk_per_cadre_and_reason_opened_by_people(worker):
    worker.as_(role="CADRE", user_id="self", cadre_id="S1")
    first = worker.service.request_talk(cadre_id="S1", notes="想谈谈工作")
    assert worker.service.request_talk(cadre_id="S1")["talk_id"] == first["talk_id"]
    worker.as_(**CARER)
    done = worker.service.complete_talk(talk_id=first["talk_id"], record="已谈")
    assert (done["status"], done["completed_by"]) == ("DONE", "carer")
    assert worker.types("talks") == ["care.talk_completed"]
    with pytest.raises(Conflict) as refused:
        worker.service.complete_talk(talk_id=first["talk_id"], record="again")
    assert (refused.value.code, refused.value.rule) == ("TALK_COMPLETED", "K-1")
    worker.as_(role="CADRE", user_id="self", cadre_id="S1")
    assert worker.service.request_talk(cadre_id="S1")["talk_id"] != first["talk_id"]


def test_leave_is_granted_by_service_years_and_never_overdrawn(worker):
    assert worker.service.leave_entitlement(cadre_id="N1", year=2026)["entitlement"] == 0  # K-3 (v2)
    assert worker.service.leave_entitlement(cadre_id="L1", year=2026)["entitlement"] == 15
    taken = worker.service.record_leave(cadre_id="S1", year=2026, days=3, starts_on="2026-05-04")
    assert (taken["taken"], taken["remaining"]) == (3, 2)
    with pytest.raises(RuleViolation) as refused:
        worker.service.record_leave(cadre_id="S1", year=2026, days=3, starts_on="2026-07-01")
    assert (refused.value.code, refused.value.rule) == ("LEAVE_EXCEEDED", "K-3")
    with pytest.raises(InvalidInput):
        worker.service.record_leave(cadre_id="S1", year=2026, days=1, starts_on="2025-12-31")
    assert worker.service.record_leave(cadre_id="S1", year=2026, days=2,
                                       starts_on="2026-08-03")["remaining"] == 0


def test_the_enhanced_health_check_for_long_hardship_service_once_a_year(worker):
    check = worker.service.record_health_check(cadre_id="L1", year=2026, checked_on="2026-03-02")
    assert (check["standard"], check["checked_on"]) == ("ENHANCED", "2026-03-02")
    with pytest.raises(Conflict) as refused:
        worker.service.record_health_check(cadre_id="L1", year=2026, checked_on="2026-04-01")
    assert (refused.value.code, refused.value.rule) == ("HEALTH_CHECK_RECORDED", "K-2")


def test_a_grant_is_paid_once_and_never_beyond_the_balance(worker):
    application = worker.service.apply_hardship(cadre_id="S1", reason="NATURAL_DISASTER",
                                                facts="住房受灾")["application_id"]
    with pytest.raises(Conflict) as refused:
        approved(worker, application)
    assert (refused.value.code, refused.value.rule) == ("NO_FUND", "K-5")
    worker.as_(**ADMIN).service.set_fund_budget(year=2026, amount="150")
    worker.as_(**CARER)
    with pytest.raises(RuleViolation) as refused:
        approved(worker, application, "150.01")
    assert (refused.value.code, refused.value.rule) == ("FUND_EXCEEDED", "K-5")

    assert approved(worker, application)["status"] == "APPROVED"
    assert approved(worker, application)["amount"] == "100.00"  # a retried approval: once
    fund = worker.service.fund_ledger(year=2026)
    assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == ("50.00", ["BUDGET", "GRANT"])
    [granted] = worker.published("hardship_applications")
    assert (granted["event_type"], granted["payload"]["amount_cents"]) == ("care.hardship_granted", 10000)
    with pytest.raises(Conflict) as refused:
        approved(worker, application, "20.00")
    assert refused.value.code == "APPLICATION_DECIDED"
    with pytest.raises(RuleViolation) as refused:
        worker.as_(**ADMIN).service.set_fund_budget(year=2026, amount="99.99")
    assert (refused.value.code, refused.value.rule) == ("BUDGET_BELOW_GRANTED", "K-5")


def test_a_granted_hardship_opens_a_major_setback_talk(worker):
    worker.service.on_hardship_granted(received(HardshipGrantedIn, {
        "application_id": "H1", "cadre_id": "S1", "granted_at": NOW}))
    [talk] = worker.service.list_talks(cadre_id="S1")
    assert (talk["reason"], talk["matter"]["type"]) == ("MAJOR_SETBACK", "hardship_grant")


def test_a_rejected_application_is_decided_once(worker):
    application = worker.service.apply_hardship(cadre_id="S1", reason="MAJOR_ILLNESS",
                                                facts="重病")["application_id"]
    rejected = worker.service.reject_hardship(application_id=application, note="不符合条件")
    assert (rejected["status"], rejected["amount"]) == ("REJECTED", None)
    with pytest.raises(Conflict) as refused:
        worker.service.reject_hardship(application_id=application, note="again")
    assert (refused.value.code, refused.value.rule) == ("APPLICATION_DECIDED", "K-5")


def test_a_referral_is_read_by_care_officers_only(worker):
    worker.as_(role="CADRE", user_id="self", cadre_id="S1")
    referral = worker.service.refer_support(cadre_id="S1", notes="压力较大")
    assert "notes" not in referral
    worker.as_(**CARER)
    [read] = worker.service.list_referrals(cadre_id="S1")
    assert (read["notes"], read["referred_by"]) == ("压力较大", "self")


def test_a_visit_is_recorded_once_it_happened_and_moves_the_next_one(worker):
    family = worker.service.register_family(cadre_id="L1", died_on="2025-07-01", dependants=[
        {"name": "刘芳", "relation": "SPOUSE"}], visit_every_months=3)
    assert (family["registered_on"], family["next_visit"]) == ("2026-06-15", "2026-09-15")
    with pytest.raises(InvalidInput):
        worker.service.record_visit(family_id=family["family_id"], visited_on="2026-06-16",
                                    notes="慰问")
    visited = worker.service.record_visit(family_id=family["family_id"], visited_on="2026-06-15",
                                          notes="慰问")
    assert visited["visits"][0]["on"] == "2026-06-15"
    with pytest.raises(Conflict) as refused:
        worker.service.register_family(cadre_id="L1", died_on="2025-07-01", dependants=[
            {"name": "刘芳", "relation": "SPOUSE"}])
    assert (refused.value.code, refused.value.rule) == ("FAMILY_EXISTS", "K-6")


def test_an_approval_retried_after_a_crash_between_its_two_writes_pays_nothing_twice(worker):
    application = worker.service.apply_hardship(cadre_id="S1", reason="MAJOR_INCIDENT",
                                                facts="突发事件")["application_id"]
    worker.as_(**ADMIN).service.set_fund_budget(year=2026, amount="500")
    # as a crash leaves it: the fund granted the application, the application still pending
    pending = worker.stored("hardship_applications", application)
    worker.storage.funds.change(2026, lambda fund: decide.grant(fund, pending, cents=12000, now=NOW,
                                                                by="carer"))
    assert worker.service.fund_ledger(year=2026)["balance"] == "380.00"
    worker.as_(**CARER)
    assert approved(worker, application, "120.00")["status"] == "APPROVED"
    fund = worker.service.fund_ledger(year=2026)
    assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == (
        "380.00", ["BUDGET", "GRANT"])


def test_a_cadre_sees_an_early_warning_talk_but_not_the_case_behind_it(worker):
    """K-1, C-5: the talk is theirs to attend; the case or complaint that opened it is the officers'."""
    worker.service.on_case_opened(received(CaseOpenedIn, {"case_id": "K1", "cadre_id": "S1",
                                                           "opened_at": NOW}))
    worker.as_(role="CADRE", user_id="self", cadre_id="S1")
    worker.service.request_talk(cadre_id="S1", notes="想谈谈工作")
    talks = {t["reason"]: t for t in worker.service.list_talks(cadre_id="S1")}
    assert talks["EARLY_WARNING"]["status"] == "OPEN"
    hidden = {"matter", "opened_by", "notes", "record"}
    assert not hidden & set(talks["EARLY_WARNING"]), talks["EARLY_WARNING"]
    assert "K1" not in str(talks["EARLY_WARNING"]) and "case" not in str(talks["EARLY_WARNING"])
    assert talks["SELF_REQUESTED"]["notes"] == "想谈谈工作"  # their own talk, as they asked for it
    worker.as_(**CARER)
    officer_view = {t["reason"]: t for t in worker.service.list_talks(cadre_id="S1")}
    assert officer_view["EARLY_WARNING"]["matter"]["id"] == "K1"


@pytest.fixture
def funded(worker):
    application = worker.service.apply_hardship(cadre_id="S1", reason="MAJOR_INCIDENT",
                                                facts="突发事件")["application_id"]
    worker.as_(**ADMIN).service.set_fund_budget(year=2026, amount="500")
    worker.as_(**CARER)
    return application


def rejected(worker, application):
    try:
        return worker.service.reject_hardship(application_id=application, note="不符合条件")["status"]
    except Conflict as refused:
        return refused.code


def test_a_rejection_landing_before_the_grant_is_written_stops_the_grant(worker, funded, monkeypatch):
    """K-5: the approver read the application pending; the rejection is written before the fund's
    debit. The rejection stands, and no money leaves the fund."""
    outcome = []
    before_next_write(monkeypatch, worker.storage.funds, lambda: outcome.append(rejected(worker, funded)))
    with pytest.raises(Conflict) as refused:
        approved(worker, funded, "120.00")
    assert (refused.value.code, refused.value.rule, outcome) == ("APPLICATION_DECIDED", "K-5", ["REJECTED"])
    fund = worker.service.fund_ledger(year=2026)
    assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == ("500.00", ["BUDGET"])
    assert worker.stored("hardship_applications", funded)["status"] == "REJECTED"
    assert worker.types("hardship_applications") == []


def test_a_rejection_landing_after_the_grant_is_written_is_refused(worker, funded, monkeypatch):
    """K-5: the fund has paid, the application is not approved yet, and a rejection comes: it is
    refused, and the application ends approved with its one grant."""
    outcome = []
    before_next_write(monkeypatch, worker.storage.hardship_applications,
          lambda: outcome.append(rejected(worker, funded)))
    assert approved(worker, funded, "120.00")["status"] == "APPROVED"
    assert outcome == ["APPLICATION_DECIDED"]
    fund = worker.service.fund_ledger(year=2026)
    assert (fund["balance"], [line["kind"] for line in fund["ledger"]]) == ("380.00", ["BUDGET", "GRANT"])
    assert worker.types("hardship_applications") == ["care.hardship_granted"]


def test_a_rejection_without_a_budget_still_bars_a_later_grant(worker):
    application = worker.service.apply_hardship(cadre_id="S1", reason="MAJOR_ILLNESS",
                                                facts="重病")["application_id"]
    assert rejected(worker, application) == "REJECTED"
    assert worker.service.fund_ledger(year=2026)["budget"] == "0.00"
    with pytest.raises(Conflict) as refused:
        approved(worker, application)
    assert refused.value.code == "APPLICATION_DECIDED"
    other = worker.service.apply_hardship(cadre_id="L1", reason="MAJOR_ILLNESS", facts="重病")
    with pytest.raises(Conflict) as refused:
        approved(worker, other["application_id"])
    assert (refused.value.code, refused.value.rule) == ("NO_FUND", "K-5")


def test_care_officers_list_the_pending_applications_oldest_first(worker, frozen_clock):
    from datetime import timedelta

    from services.common.clock import CLOCK

    first = worker.service.apply_hardship(cadre_id="S1", reason="MAJOR_ILLNESS", facts="重病")
    CLOCK.set(NOW + timedelta(hours=1), running=False)
    second = worker.service.apply_hardship(cadre_id="L1", reason="NATURAL_DISASTER", facts="受灾")
    worker.service.reject_hardship(application_id=first["application_id"], note="不符合条件")
    CLOCK.set(NOW + timedelta(hours=2), running=False)
    third = worker.service.apply_hardship(cadre_id="N1", reason="MAJOR_INCIDENT", facts="事故")
    pending = worker.service.pending_hardship()
    assert [a["application_id"] for a in pending] == [second["application_id"], third["application_id"]]
    worker.as_(role="CADRE", user_id="self", cadre_id="S1")
    with pytest.raises(Forbidden):
        worker.service.pending_hardship()


@pytest.mark.parametrize("complaint_first", [True, False])
def test_a_case_opened_from_a_complaint_is_the_complaint_s_one_early_warning(worker, complaint_first):
    """K-1 (v2): one EARLY_WARNING per matter, whichever of the two events comes first."""
    from services.care.events import ComplaintFiledIn

    filed = received(ComplaintFiledIn, {"complaint_id": "Q1", "cadre_id": "L1", "filed_at": NOW})
    opened = received(CaseOpenedIn, {"case_id": "K7", "cadre_id": "L1", "complaint_id": "Q1",
                                     "opened_at": NOW})
    for event in ([filed, opened] if complaint_first else [opened, filed]):
        handler = worker.service.on_complaint_filed if event is filed else worker.service.on_case_opened
        handler(event)
    [talk] = worker.service.list_talks(cadre_id="L1")
    assert (talk["reason"], talk["matter"]["type"], talk["matter"]["id"]) == (
        "EARLY_WARNING", "complaint", "Q1")
