"""C-4 on the real broker and store, tolerance and accountability each a container: the hold is in force
from the filing. A filing forced in between an approval's read of the case and its write wins, and the
decision is refused; a decision written first stands, and the application goes on without holding."""

from datetime import UTC, datetime

import pytest

from services.accountability.events import CadreRegisteredIn as AccountabilityCadreRegisteredIn
from services.accountability.service import AccountabilityService
from services.accountability.storage import Cases
from services.common.errors import RuleViolation
from services.tolerance.events import CadreRegisteredIn, CaseOpenedIn
from services.tolerance.service import ToleranceService
from tests.helpers import actor, before_next_write, call

OFFICER_A = actor("DISCIPLINE_OFFICER", user_id="officer-a")
OFFICER_B = actor("DISCIPLINE_OFFICER", user_id="officer-b")
SELF = actor("CADRE", user_id="cadre-l1", cadre_id="L1", unit_id="U1")
LEADER = {"cadre_id": "L1", "name": "王五", "unit_id": "U1", "level": "DIVISION", "is_leader": True,
          "is_principal": False}
DECISION = {"severity": "SERIOUS", "public_outcry": False, "bad_impact": False,
            "sanctions": ["TRANSFER"], "disciplinary": None, "reason": "依规处理"}


@pytest.fixture
def services(running, deliver_event):
    accountability, tolerance = running(AccountabilityService), running(ToleranceService)
    deliver_event(accountability, AccountabilityCadreRegisteredIn, LEADER, "on_cadre_registered")
    deliver_event(tolerance, CadreRegisteredIn, LEADER, "on_cadre_registered")
    return accountability, tolerance


@pytest.fixture
def proposed(services, deliver_event):
    """A verified case against L1 with a decision proposed, waiting for the second officer."""
    accountability, tolerance = services
    case_id = call(accountability, "open_case", "L1", "INSPECTION", ["REFORM_1"], "推诿扯皮",
                   as_=OFFICER_A)["case_id"]
    deliver_event(tolerance, CaseOpenedIn, {
        "case_id": case_id, "cadre_id": "L1", "unit_id": "U1", "source": "INSPECTION",
        "situations": ["REFORM_1"], "opened_at": datetime(2026, 1, 2, tzinfo=UTC)}, "on_case_opened")
    call(accountability, "start_investigation", case_id, as_=OFFICER_A)
    call(accountability, "verify_case", case_id, "属实", as_=OFFICER_A)
    case = call(accountability, "propose_decision", case_id, **DECISION, as_=OFFICER_A)
    return case_id, case["proposal"]["proposal_id"]


def file(tolerance, case_id):
    return call(tolerance, "file_application", cadre_id="L1", situation="REFORM_EXPLORATION",
                facts="改革探索中出现失误", case_id=case_id, as_=SELF)


def test_a_filing_between_the_approval_s_read_and_write_holds_the_case(services, proposed,
                                                                       monkeypatch):
    accountability, tolerance = services
    case_id, proposal_id = proposed
    filed = []
    # the approval has read the case, not on hold; the cadre's filing lands before it writes
    before_next_write(monkeypatch, Cases, lambda: filed.append(file(tolerance, case_id)))

    with pytest.raises(RuleViolation) as refused:
        call(accountability, "approve_decision", case_id, proposal_id, as_=OFFICER_B)
    assert (refused.value.code, refused.value.rule) == ("CASE_ON_HOLD", "C-4")
    [application] = filed
    assert application["case_held"] is True
    case = call(accountability, "get_case", case_id, as_=OFFICER_A)
    assert (case["status"], case["pending_applications"]) == ("VERIFIED", [application["application_id"]])


def test_a_decision_written_before_the_filing_stands_and_the_application_goes_on(services, proposed):
    accountability, tolerance = services
    case_id, proposal_id = proposed
    decided = call(accountability, "approve_decision", case_id, proposal_id, as_=OFFICER_B)
    assert decided["status"] == "DECIDED"
    application = file(tolerance, case_id)
    assert (application["status"], application["case_held"]) == ("FILED", False)
    case = call(accountability, "get_case", case_id, as_=OFFICER_A)
    assert (case["status"], case["pending_applications"]) == ("DECIDED", [])
