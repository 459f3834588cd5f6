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
PROACTIVE_RECTIFICATION = "PROACTIVE_RECTIFICATION"
# T-1 (v2): the named situation's own qualifying condition (SITUATION_CONDITIONS says what it asks)
SITUATION_CONDITION = "SITUATION_CONDITION"
CONDITIONS = (NO_PROHIBITION_VIOLATED, DECISION_PROCEDURE_FOLLOWED, DILIGENT, NO_PRIVATE_GAIN,
              NO_MALICIOUS_COLLUSION, PROACTIVE_RECTIFICATION, SITUATION_CONDITION)
# the first version's condition, replaced by the loss level: kept on applications assessed then
NO_MAJOR_LOSS = "NO_MAJOR_LOSS"
# T-2 坚决不容: any of these false is a red line
RED_LINES = (NO_PROHIBITION_VIOLATED, NO_PRIVATE_GAIN, NO_MALICIOUS_COLLUSION)
# T-3 免除相关责任 (001), besides clear red lines and no loss at all
EXEMPTION_CONDITIONS = (SITUATION_CONDITION, DECISION_PROCEDURE_FOLLOWED, DILIGENT)
# T-4 可不追究或从轻、减轻 (000 item 9)
LENIENCY_CONDITIONS = (DILIGENT, PROACTIVE_RECTIFICATION)

# (v2) loss is a level: none, some (一定负面影响和损失, 000 item 9), major (重大损失和社会负面影响, 001)
LOSS_NONE, LOSS_SOME, LOSS_MAJOR = "NONE", "SOME", "MAJOR"
LOSS_LEVELS = (LOSS_NONE, LOSS_SOME, LOSS_MAJOR)

# (v2) what SITUATION_CONDITION asks of each situation: 001's own words (seeds/001, 大胆容错)
SITUATION_CONDITIONS = {
    "REFORM_EXPLORATION": "因政策不明确或缺乏经验出现探索性失误的",
    "INVESTMENT_AND_TALENT": "经过集体决策给予政策优惠的，或因主动作为、积极担当、"
                             "创新性开展工作出现一定失误或偏差的",
    "INDUSTRY_SUPPORT": "因市场风险或其他不可预见因素未取得预期成果和效益的",
    "URBAN_CONSTRUCTION": "为抢抓时机、节约资源而大胆履职、大力推进，造成一定失误或引发矛盾的",
    "STREAMLINED_SERVICE": "为提高效率、方便企业和群众而进行容缺受理、容缺审批，"
                           "事后积极催促行政相对人补齐手续的",
    "LEGACY_PROBLEMS": "采取必要的临时性、超常规措施化解矛盾，带来一定政策风险的，"
                       "或在有关规定不明的情况下作出决策，实施后与后出台的政策规定不一致的",
    "EMERGENCY_RESPONSE": "果断决策、及时处置，出现一定失误，事后积极主动消除影响和挽回损失的",
    "BOLD_APPOINTMENT": "民主推荐、民主测评得票结果没有真实反映其干事创业状况的干部，"
                        "敢于从事业发展需要出发大胆使用的",
    "ADAPTIVE_IMPLEMENTATION": "实事求是地对上级统一部署要求或原定方案进行必要调整，"
                               "在实践中取得更好效果的",
    "OTHER_APPROVED": "在市委、市政府权限内经认定需要容错的其他情形",
}

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


def allowed_outcomes(conditions: Mapping[str, bool], loss: str | None) -> list[Outcome]:
    """T-2, T-3, T-4 (v2): the outcomes a ruling may have, given the seven conditions and the loss.

    Decided where the text is terse (docs/adr/0010-tolerance-decisions.md): T-4's "but some loss or
    negative impact" is a concession (可不追究或从轻、减轻 even though there was loss), so a better fact
    never takes an outcome away -- a condition turning true, or a loss turning smaller. T-3 exempts
    only with no loss at all; T-4 exempts with none or some, and with the situation's condition and
    the decision procedure as T-3 asks; a major loss is never exempted, only mitigated. A loss not
    recorded counts as major. REJECTED is the outcome only where nothing else is allowed.
    """
    if not all(conditions.get(code, False) for code in RED_LINES):
        return [Outcome(REJECTED, ("T-2",))]
    loss = loss if loss in LOSS_LEVELS else LOSS_MAJOR
    qualified = all(conditions.get(code, False) for code in EXEMPTION_CONDITIONS)
    lenient = all(conditions.get(code, False) for code in LENIENCY_CONDITIONS)
    exempted_by = []
    if qualified and loss == LOSS_NONE:
        exempted_by.append("T-3")
    if lenient and qualified and loss in (LOSS_NONE, LOSS_SOME):
        exempted_by.append("T-4")
    found = [Outcome(EXEMPTED, tuple(exempted_by))] if exempted_by else []
    if lenient:
        found.append(Outcome(MITIGATED, ("T-4",)))
    return found or [Outcome(REJECTED, ("T-4",))]


def recorded_loss(application: Mapping[str, Any]) -> str | None:
    """The loss level recorded, or read from a first-version assessment: NO_MAJOR_LOSS false was a
    major loss. NO_MAJOR_LOSS true said only "not major" (none, or some): the level is then still to
    be recorded before a ruling (check_assessed)."""
    loss = application.get("loss") or {}
    if loss.get("level") in LOSS_LEVELS:
        return loss["level"]
    first_version = (application.get("conditions") or {}).get(NO_MAJOR_LOSS)
    if first_version is not None and first_version.get("holds") is False:
        return LOSS_MAJOR
    return None


def missing(recorded: Mapping[str, Any], expected: Sequence[str]) -> list[str]:
    return [code for code in expected if code not in recorded]


def check_assessed(application: Mapping[str, Any]) -> None:
    """T-5: a ruling rests on all seven conditions, the loss level and all six factors of 分析研判."""
    conditions = missing(application.get("conditions") or {}, CONDITIONS)
    loss_missing = recorded_loss(application) is None
    factors = missing(application.get("factors") or {}, FACTORS)
    if conditions or loss_missing or factors:
        raise RuleViolation(
            "a ruling needs all seven conditions, the loss level and all six assessment factors "
            "recorded", code="ASSESSMENT_INCOMPLETE", rule="T-5",
            details={"missing_conditions": conditions, "loss_missing": loss_missing,
                     "missing_factors": factors})


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
    """T-2..T-4 on the conditions and the loss the application has recorded."""
    return allowed_outcomes({code: value["holds"]
                             for code, value in (application.get("conditions") or {}).items()},
                            recorded_loss(application))
