"""Tolerance's pure rules (DOMAIN.md section T). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.errors import Conflict, NotFound, RuleViolation

# T-1: the ten exemptable situations of 001, in its order
SITUATIONS = ("REFORM_EXPLORATION", "INVESTMENT_AND_TALENT", "INDUSTRY_SUPPORT", "URBAN_CONSTRUCTION",
              "STREAMLINED_SERVICE", "LEGACY_PROBLEMS", "EMERGENCY_RESPONSE", "BOLD_APPOINTMENT",
              "ADAPTIVE_IMPLEMENTATION", "OTHER_APPROVED")
OTHER_APPROVED = "OTHER_APPROVED"

# the seven conditions, recorded true or false with evidence
NO_PROHIBITION_VIOLATED = "NO_PROHIBITION_VIOLATED"
DECISION_PROCEDURE_FOLLOWED = "DECISION_PROCEDURE_FOLLOWED"
DILIGENT = "DILIGENT"
NO_PRIVATE_GAIN = "NO_PRIVATE_GAIN"
NO_MALICIOUS_COLLUSION = "NO_MALICIOUS_COLLUSION"
NO_MAJOR_LOSS = "NO_MAJOR_LOSS"
PROACTIVE_RECTIFICATION = "PROACTIVE_RECTIFICATION"
CONDITIONS = (NO_PROHIBITION_VIOLATED, DECISION_PROCEDURE_FOLLOWED, DILIGENT, NO_PRIVATE_GAIN,
              NO_MALICIOUS_COLLUSION, NO_MAJOR_LOSS, PROACTIVE_RECTIFICATION)
# T-2 坚决不容: any of these false is a red line
RED_LINES = (NO_PROHIBITION_VIOLATED, NO_PRIVATE_GAIN, NO_MALICIOUS_COLLUSION)
# T-3 免除相关责任
EXEMPTION_CONDITIONS = (NO_PROHIBITION_VIOLATED, DECISION_PROCEDURE_FOLLOWED, DILIGENT, NO_PRIVATE_GAIN,
                        NO_MAJOR_LOSS)

# T-5 分析研判: the six factors, each rated with a note
FACTORS = ("MOTIVE_ATTITUDE", "OBJECTIVE_CONDITIONS", "PROCEDURE_METHOD", "NATURE_DEGREE", "CONSEQUENCES",
           "LOSS_RECOVERY")
RATINGS = ("FAVOURABLE", "NEUTRAL", "UNFAVOURABLE")

EXEMPTED, MITIGATED, REJECTED = "EXEMPTED", "MITIGATED", "REJECTED"
OUTCOMES = (EXEMPTED, MITIGATED, REJECTED)
# T-7: these carry corrective measures
CORRECTED = (EXEMPTED, MITIGATED)

FILED, UNDER_REVIEW, RULED = "FILED", "UNDER_REVIEW", "RULED"
OPEN, DONE = "OPEN", "DONE"


@dataclass(frozen=True)
class Outcome:
    """An outcome the rules allow, with the rules that allow it."""

    outcome: str
    rules: tuple[str, ...]


def allowed_outcomes(conditions: Mapping[str, bool]) -> list[Outcome]:
    """T-2, T-3, T-4: the outcomes a ruling may have, given all seven conditions.

    Decided where the text is terse (docs/adr/0010-tolerance-decisions.md): T-4's "but some loss or
    negative impact" is read as a concession (可不追究或从轻、减轻 even though there was loss), not as a
    requirement, so a better fact never takes an outcome away: no loss, diligence and proactive
    rectification allow what the same with a loss allows. REJECTED is the outcome only where nothing
    else is allowed: a ruling body that finds the conditions met rules by them (T-5).
    """
    if not all(conditions.get(code, False) for code in RED_LINES):
        return [Outcome(REJECTED, ("T-2",))]
    exempted_by = []
    if all(conditions.get(code, False) for code in EXEMPTION_CONDITIONS):
        exempted_by.append("T-3")
    lenient = conditions.get(DILIGENT, False) and conditions.get(PROACTIVE_RECTIFICATION, False)
    if lenient:
        exempted_by.append("T-4")
    found = [Outcome(EXEMPTED, tuple(exempted_by))] if exempted_by else []
    if lenient:
        found.append(Outcome(MITIGATED, ("T-4",)))
    return found or [Outcome(REJECTED, ("T-4",))]


def missing(recorded: Mapping[str, Any], expected: Sequence[str]) -> list[str]:
    return [code for code in expected if code not in recorded]


def check_assessed(application: Mapping[str, Any]) -> None:
    """T-5: a ruling rests on all seven conditions and all six factors of 分析研判."""
    conditions = missing(application.get("conditions") or {}, CONDITIONS)
    factors = missing(application.get("factors") or {}, FACTORS)
    if conditions or factors:
        raise RuleViolation(
            "a ruling needs all seven conditions and all six assessment factors recorded",
            code="ASSESSMENT_INCOMPLETE", rule="T-5",
            details={"missing_conditions": conditions, "missing_factors": factors})


def check_outcome(outcome: str, allowed: Sequence[Outcome]) -> Outcome:
    """T-5: a ruling outside the outcomes the rules allow is refused, naming the rule."""
    for option in allowed:
        if option.outcome == outcome:
            return option
    rules = sorted({rule for option in allowed for rule in option.rules})
    raise RuleViolation(
        f"{outcome} is not allowed by the recorded conditions ({', '.join(rules)} allow "
        f"{', '.join(o.outcome for o in allowed)})", code="OUTCOME_NOT_ALLOWED",
        rule=rules[0] if len(rules) == 1 else "T-5",
        details={"outcome": outcome, "rules": rules,
                 "allowed": [{"outcome": o.outcome, "rules": list(o.rules)} for o in allowed]})


def check_measures(outcome: str, measures: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """T-7 有错必纠: an EXEMPTED or MITIGATED ruling carries corrective measures with deadlines
    still ahead; a REJECTED one carries none (the case goes on in accountability)."""
    if outcome in CORRECTED and not measures:
        raise RuleViolation(f"an {outcome} ruling carries corrective measures with deadlines",
                            code="MEASURES_REQUIRED", rule="T-7")
    if outcome not in CORRECTED and measures:
        raise RuleViolation("a REJECTED ruling carries no corrective measures",
                            code="MEASURES_NOT_ALLOWED", rule="T-7")
    past = [m["description"] for m in measures if m["due"] <= now]
    if past:
        raise RuleViolation("a corrective measure's deadline must lie ahead",
                            code="DEADLINE_PASSED", rule="T-7", details={"measures": past})


def check_status(application: Mapping[str, Any], *allowed: str, doing: str) -> None:
    """T-1: FILED -> UNDER_REVIEW -> RULED; each step only from the state before it."""
    if application["status"] not in allowed:
        raise Conflict(f"application {application['_id']} is {application['status']}: cannot "
                       f"{doing} (needs {' or '.join(allowed)})", code="APPLICATION_STATE",
                       rule="T-1", details={"status": application["status"],
                                            "needs": list(allowed)})


def check_reference(situation: str, approval_reference: str | None) -> None:
    """T-1: OTHER_APPROVED needs the reference of the city's approving decision."""
    if situation == OTHER_APPROVED and not approval_reference:
        raise RuleViolation("OTHER_APPROVED needs the reference of the approving decision of the "
                            "city committee or government", code="REFERENCE_REQUIRED", rule="T-1")


def check_four_eyes(proposal: Mapping[str, Any] | None, approver: str, proposal_id: str) -> None:
    """A ruling is proposed by one officer and approved by another, as proposed."""
    if not proposal:
        raise Conflict("there is no proposed ruling to approve", code="NO_PROPOSAL")
    if proposal["by"] == approver:
        raise RuleViolation("a ruling is approved by an officer other than the one who proposed it",
                            code="FOUR_EYES", details={"proposed_by": proposal["by"]})
    if proposal["proposal_id"] != proposal_id:
        raise Conflict("the proposal was replaced since it was read; read the application again",
                       code="PROPOSAL_CHANGED", details={"proposal_id": proposal["proposal_id"]})


def overdue(measures: Sequence[Mapping[str, Any]], now: datetime) -> list[Mapping[str, Any]]:
    """T-7: measures not done whose deadline has passed, the most overdue first."""
    return sorted((m for m in measures if m["status"] != DONE and m["due"] < now),
                  key=lambda m: m["due"])


def check_case(case: Mapping[str, Any] | None, cadre_id: str, case_id: str,
               pending_application: str | None) -> None:
    """T-1: an application answers a case of its own cadre -- to anyone else the case does not exist;
    C-4: one application at a time holds a case."""
    if case is None or case["cadre_id"] != cadre_id:
        # the same answer as for no case: an applicant learns nothing of others' cases
        raise NotFound(f"cadre {cadre_id} has no case {case_id} (or its opening has not reached "
                       "tolerance yet)", code="CASE_NOT_FOUND", rule="T-1",
                       fields={"case_id": ["Not a case of this cadre."]})
    if pending_application:
        raise Conflict(f"case {case_id} already has a pending application",
                       code="APPLICATION_PENDING", rule="C-4",
                       details={"application_id": pending_application})


def allowed_for(application: Mapping[str, Any]) -> list[Outcome]:
    """T-2..T-4 on the conditions the application has recorded."""
    return allowed_outcomes({code: value["holds"]
                             for code, value in (application.get("conditions") or {}).items()})
