"""Accountability's pure rules (DOMAIN.md section C). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

from services.common.clock import add_months
from services.common.errors import Conflict, InvalidInput, RuleViolation

# C-1: the 17 situations of 001, in its order, by area (四个全面)
SITUATIONS = (
    *(f"PROSPERITY_{i}" for i in range(1, 5)),
    *(f"REFORM_{i}" for i in range(1, 5)),
    *(f"RULE_OF_LAW_{i}" for i in range(1, 5)),
    *(f"PARTY_GOVERNANCE_{i}" for i in range(1, 6)),
)
SOURCES = ("INSPECTION", "SPECIAL_ASSESSMENT", "COMPLAINT", "APPRAISAL_FAIL", "OTHER")
APPRAISAL_FAIL = "APPRAISAL_FAIL"
# C-7 (v2): a sanction decided outside accountability (discipline inspection), recorded with its
# reference; not a source a case can be opened with
OUTSIDE_DECISION = "OUTSIDE_DECISION"
COMPLAINT = "COMPLAINT"

# C-1 states
OPEN, INVESTIGATING, VERIFIED, DECIDED, CLOSED, DISMISSED = (
    "OPEN", "INVESTIGATING", "VERIFIED", "DECIDED", "CLOSED", "DISMISSED")
STATES = (OPEN, INVESTIGATING, VERIFIED, DECIDED, CLOSED, DISMISSED)
TERMINAL = (CLOSED, DISMISSED)

# the moves an officer makes; an EXEMPTED ruling closes a case from any state but the terminal ones
MOVES = {
    "start_investigation": ((OPEN,), INVESTIGATING),
    "verify": ((INVESTIGATING,), VERIFIED),
    "dismiss": ((OPEN, INVESTIGATING), DISMISSED),
    "propose": ((VERIFIED,), VERIFIED),
    "approve": ((VERIFIED,), DECIDED),
    "close": ((DECIDED,), CLOSED),
}

# how a case ended, on accountability.case_closed
SANCTIONED, EXEMPTED, NOT_VERIFIED, CLEARED = "SANCTIONED", "EXEMPTED", "DISMISSED", "CLEARED"

# C-2 sanctions, lightest first within each group
LIGHT = ("CRITICISM_EDUCATION", "CIRCULATED_CRITICISM", "ADMONISHMENT")
ORGANISATIONAL = ("TRANSFER", "NON_LEADERSHIP_POST", "RESIGNATION_FOR_FAULT", "ORDERED_RESIGNATION",
                  "REMOVAL", "DEMOTION")
DISCIPLINARY = "DISCIPLINARY"
SANCTIONS = (*LIGHT, *ORGANISATIONAL, DISCIPLINARY)
ADMONISHMENT = "ADMONISHMENT"

MINOR, SERIOUS = "MINOR", "SERIOUS"
SEVERITIES = (MINOR, SERIOUS)

# promotion bans after a sanction, in months [national default]; DISCIPLINARY carries its own term
DEFAULT_BAN_MONTHS = {"ADMONISHMENT": 6, "TRANSFER": 12, "NON_LEADERSHIP_POST": 12,
                      "RESIGNATION_FOR_FAULT": 12, "ORDERED_RESIGNATION": 12, "REMOVAL": 12,
                      "DEMOTION": 24}


@dataclass(frozen=True)
class SanctionSet:
    """One decision the rules allow, and the rule that allows it."""

    sanctions: tuple[str, ...]
    rule: str


def _sets(groups: Iterable[tuple[str, ...]], rule: str) -> list[SanctionSet]:
    return [SanctionSet(tuple(sorted(group)), rule) for group in groups]


def requires_organisational_handling(severity: str, public_outcry: bool, bad_impact: bool) -> bool:
    """C-2: 情节较重, 群众反映强烈 or 造成恶劣影响 calls for organisational handling."""
    return severity == SERIOUS or public_outcry or bad_impact


def _light_groups(light: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty combination of ``light``: 情节较轻 allows light sanctions, one or more (v2)."""
    return [group for size in range(1, len(light) + 1) for group in combinations(light, size)]


def allowed_sanction_sets(source: str, severity: str, public_outcry: bool = False,
                          bad_impact: bool = False, mitigated: bool = False,
                          discipline_due: bool | None = None) -> list[SanctionSet]:
    """Every sanction set a decision may carry, with the rule behind each.

    Decisions written down here (the seeds give the ladder, not the arithmetic):
    - C-2 (v2) ``MINOR``: light sanctions, one or more of them. Otherwise organisational handling,
      one measure (a cadre is transferred *or* removed).
    - C-2 (v2) independently of severity, the verified finding says whether discipline is due
      (``discipline_due``): when it is, ``DISCIPLINARY`` is required -- alone, or joined to what the
      severity calls for (组织处理和党纪政务处分可单独使用，也可合并使用); when it is not, it is refused.
      Read for ``MINOR`` as: ``DISCIPLINARY`` alone or with light sanctions. A case verified under the
      first version (``discipline_due`` unknown) keeps the first ladder: ``DISCIPLINARY`` optional with
      organisational handling, or alone; never with light sanctions.
    - C-3 ``APPRAISAL_FAIL``: ``ADMONISHMENT`` or one organisational handling, nothing else.
    - C-4 (v2) ``MITIGATED`` (从轻、减轻), one step lighter: where organisational handling was
      required, light sanctions; where light sanctions were, those lighter than ``ADMONISHMENT``;
      where discipline is due, ``DISCIPLINARY`` alone; an ``APPRAISAL_FAIL`` case, ``ADMONISHMENT``.
    """
    if source == APPRAISAL_FAIL:
        if mitigated:
            return _sets([(ADMONISHMENT,)], "C-4")
        return _sets([(ADMONISHMENT,), *((o,) for o in ORGANISATIONAL)], "C-3")
    heavy = requires_organisational_handling(severity, public_outcry, bad_impact)
    if mitigated:
        if discipline_due:
            return _sets([(DISCIPLINARY,)], "C-4")
        lighter = LIGHT if heavy else tuple(s for s in LIGHT if s != ADMONISHMENT)
        return _sets(_light_groups(lighter), "C-4")
    called_for = [(o,) for o in ORGANISATIONAL] if heavy else _light_groups(LIGHT)
    if discipline_due:
        return _sets([(DISCIPLINARY,), *((*group, DISCIPLINARY) for group in called_for)], "C-2")
    if discipline_due is None and heavy:  # verified under the first version
        return _sets([*called_for, *((*group, DISCIPLINARY) for group in called_for),
                      (DISCIPLINARY,)], "C-2")
    return _sets(called_for, "C-2")


def check_sanctions(proposed: Sequence[str], allowed: Sequence[SanctionSet]) -> SanctionSet:
    """The allowed set equal to ``proposed``, or a refusal naming the rule and what is allowed."""
    wanted = tuple(sorted(set(proposed)))
    for option in allowed:
        if option.sanctions == wanted:
            return option
    rule = allowed[0].rule if allowed else "C-2"
    raise RuleViolation(
        f"{' + '.join(wanted) or 'no sanction'} is not a decision this case allows under {rule}",
        code="SANCTION_NOT_ALLOWED", rule=rule,
        details={"proposed": list(wanted),
                 "allowed": [list(option.sanctions) for option in allowed]})


def check_disciplinary_terms(sanctions: Sequence[str], disciplinary: Mapping[str, Any] | None) -> None:
    """``DISCIPLINARY`` comes with the sanction's own text and term; nothing else carries them."""
    if DISCIPLINARY in sanctions and not disciplinary:
        raise InvalidInput("a disciplinary sanction needs its own text and term",
                           fields={"disciplinary": ["Required when DISCIPLINARY is decided."]})
    if DISCIPLINARY not in sanctions and disciplinary:
        raise InvalidInput("only a DISCIPLINARY sanction carries disciplinary terms",
                           fields={"disciplinary": ["Only with DISCIPLINARY."]})




def ban_until(sanctions: Sequence[str], decided_at: datetime, months: Mapping[str, int],
              disciplinary_months: int | None = None) -> datetime | None:
    """The end of the promotion ban a decision carries: the longest of its sanctions' bans."""
    terms = [months.get(s, 0) for s in sanctions if s != DISCIPLINARY]
    if DISCIPLINARY in sanctions:
        terms.append(disciplinary_months or 0)
    longest = max(terms, default=0)
    return add_months(decided_at, longest) if longest > 0 else None


# C-6 (v2): why talent moved a cadre down (its L-6 posting causes)
DOWN_CAUSES = ("UNFIT_FOR_POST", "DEMOTION", "OTHER")

# C-7 (v2): the restrictions each sanction carries, with the policy value that sets each term
NO_PROMOTION, NO_LEADERSHIP_POST, NO_HIGHER_POST = "NO_PROMOTION", "NO_LEADERSHIP_POST", "NO_HIGHER_POST"
RESTRICTION_KINDS = (NO_PROMOTION, NO_LEADERSHIP_POST, NO_HIGHER_POST)
STEPPED_DOWN = ("RESIGNATION_FOR_FAULT", "ORDERED_RESIGNATION", "REMOVAL")
DEFAULT_NO_HIGHER_POST_MONTHS = 24


def restrictions(sanctions: Sequence[str], decided_at: datetime, months: Mapping[str, int],
                 disciplinary_months: int | None = None,
                 no_higher_post_months: int = DEFAULT_NO_HIGHER_POST_MONTHS) -> list[dict[str, Any]]:
    """C-7 (v2) [national default, each a policy value]: what a decision restricts, and until when.
    ADMONISHMENT, TRANSFER, NON_LEADERSHIP_POST and DEMOTION bar promotion (诫勉期内不得提拔或者重用);
    a resignation or removal bars any leadership post for its term and any post above the former
    level for ``no_higher_post_months`` (一年内不得安排领导职务，两年内不得担任高于原任职务层次的领导职务);
    DISCIPLINARY bars promotion for the term entered with it. Of one kind, the longest term stands."""
    terms: dict[str, int] = {}

    def bar(kind: str, term: int) -> None:
        if term > 0:
            terms[kind] = max(terms.get(kind, 0), term)

    for sanction in sanctions:
        if sanction == DISCIPLINARY:
            bar(NO_PROMOTION, disciplinary_months or 0)
        elif sanction in STEPPED_DOWN:
            bar(NO_LEADERSHIP_POST, months.get(sanction, 0))
            bar(NO_HIGHER_POST, no_higher_post_months)
        else:
            bar(NO_PROMOTION, months.get(sanction, 0))
    return [{"kind": kind, "until": add_months(decided_at, terms[kind])}
            for kind in RESTRICTION_KINDS if kind in terms]


def is_organisational(sanction: str) -> bool:
    return sanction in ORGANISATIONAL


def check_move(case: Mapping[str, Any], move: str) -> str:
    """C-1: the state a move leads to, or a refusal naming the state the case is in."""
    sources, target = MOVES[move]
    if case["status"] not in sources:
        raise Conflict(
            f"case {case['_id']} is {case['status']}: cannot {move.replace('_', ' ')} "
            f"(needs {' or '.join(sources)})",
            code="CASE_STATE", rule="C-1",
            details={"case_id": case["_id"], "status": case["status"], "needs": list(sources)})
    return target


def check_leading_cadre(cadre: Mapping[str, Any]) -> None:
    """C-1: accountability for inaction targets leading cadres (领导干部)."""
    if not cadre.get("is_leader") and not cadre.get("is_principal"):
        raise RuleViolation(f"cadre {cadre['_id']} is not a leading cadre: accountability for "
                            "inaction targets leading cadres", code="NOT_A_LEADING_CADRE",
                            rule="C-1", details={"cadre_id": cadre["_id"]})


def check_grounds(source: str, situations: Sequence[str]) -> None:
    """C-1: a case names one or more of the 17 situations, unless it comes from A-4."""
    if source == APPRAISAL_FAIL:
        raise RuleViolation("APPRAISAL_FAIL cases are opened by the unit's FAIL grade (A-4), "
                            "not by hand", code="APPRAISAL_FAIL_BY_EVENT", rule="A-4")
    if not situations:
        raise RuleViolation("a case names at least one of the 17 situations",
                            code="SITUATION_REQUIRED", rule="C-1",
                            details={"situations": list(SITUATIONS)})


def hold_refused(case: Mapping[str, Any], situation: str) -> str | None:
    """C-4 (v2): why a new fault-tolerance application does not hold the case, or None when it does.
    A case decided or ended is not held (the decision stands); nor is one whose application naming
    the same situation was REJECTED (only another situation holds it again). A first-version ruling
    kept no situation: it counts as another one."""
    if case["status"] in (DECIDED, *TERMINAL):
        return "DECIDED"
    if any(r.get("outcome") == "REJECTED" and r.get("situation") == situation
           for r in case.get("rulings") or ()):
        return "SAME_SITUATION_REJECTED"
    return None


def check_not_on_hold(case: Mapping[str, Any]) -> None:
    """C-4 fault tolerance first: no decision while a tolerance application is pending."""
    pending = case.get("pending_applications") or []
    if pending:
        raise RuleViolation(
            f"case {case['_id']} has a pending fault-tolerance application; it cannot be decided "
            "until tolerance rules", code="CASE_ON_HOLD", rule="C-4",
            details={"applications": list(pending)})


def check_four_eyes(proposal: Mapping[str, Any] | None, approver: str) -> None:
    """A decision is proposed by one officer and approved by another."""
    if not proposal:
        raise Conflict("there is no proposed decision to approve", code="NO_PROPOSAL")
    if proposal["by"] == approver:
        raise RuleViolation("a decision is approved by an officer other than the one who "
                            "proposed it", code="FOUR_EYES",
                            details={"proposed_by": proposal["by"]})


def check_same_proposal(proposal: Mapping[str, Any], proposal_id: str) -> None:
    """The approver approves the proposal they read, not one that replaced it meanwhile."""
    if proposal.get("proposal_id") != proposal_id:
        raise Conflict("the proposal was replaced since it was read; read the case again",
                       code="PROPOSAL_CHANGED",
                       details={"proposal_id": proposal.get("proposal_id")})


# C-5 complaints

FILED, RESOLVING, RESOLVED = "FILED", "RESOLVING", "RESOLVED"  # RESOLVING: claimed, cases in hand
SUBSTANTIATED, REPEAT, FALSE_ACCUSATION, GROUNDLESS = (
    "SUBSTANTIATED", "REPEAT", "FALSE_ACCUSATION", "GROUNDLESS")
COMPLAINT_STATES = (FILED, RESOLVING, RESOLVED)
COMPLAINT_OUTCOMES = (SUBSTANTIATED, REPEAT, FALSE_ACCUSATION, GROUNDLESS)
# an outcome that clears the cadre (澄清正名): the report was untrue
CLEARING_OUTCOMES = (FALSE_ACCUSATION, GROUNDLESS)
IN_SELECTION = "IN_SELECTION"

DEFAULT_COMPLAINT_DAYS = 60
DEFAULT_EXPEDITED_COMPLAINT_DAYS = 15


@dataclass(frozen=True)
class Policy:
    """The policy values accountability decides with: promotion bans after each sanction [national
    default], and the complaint deadlines of C-5."""

    ban_months: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BAN_MONTHS))
    complaint_days: int = DEFAULT_COMPLAINT_DAYS
    expedited_complaint_days: int = DEFAULT_EXPEDITED_COMPLAINT_DAYS
    no_higher_post_months: int = DEFAULT_NO_HIGHER_POST_MONTHS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        """ValueError when a value is not what it must be (whole months, whole days)."""
        configured = config.get("PROMOTION_BAN_MONTHS") or {}
        try:
            bans = {**DEFAULT_BAN_MONTHS, **{k: int(v) for k, v in configured.items()}}
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"PROMOTION_BAN_MONTHS must map sanctions to whole months: "
                             f"{configured!r}") from None
        return cls(bans, int(config.get("COMPLAINT_DAYS") or DEFAULT_COMPLAINT_DAYS),
                   int(config.get("EXPEDITED_COMPLAINT_DAYS") or DEFAULT_EXPEDITED_COMPLAINT_DAYS),
                   int(config.get("NO_HIGHER_POST_MONTHS") or DEFAULT_NO_HIGHER_POST_MONTHS))


def complaint_due(filed_at: datetime, expedited: bool, days: int, expedited_days: int) -> datetime:
    """C-5: 快查快结 -- a complaint against a cadre under selection gets the shorter deadline."""
    return filed_at + timedelta(days=expedited_days if expedited else days)


def check_complaint_open(complaint: Mapping[str, Any]) -> None:
    if complaint["status"] != FILED:
        state = "being resolved" if complaint["status"] == RESOLVING else "already resolved"
        raise Conflict(f"complaint {complaint['_id']} is {state} ({complaint.get('outcome')})",
                       code="COMPLAINT_RESOLVED", rule="C-5",
                       details={"status": complaint["status"], "outcome": complaint.get("outcome")})


def check_case_for_complaint(source: str, complaint: Mapping[str, Any], cadre_id: str) -> None:
    """C-5: a case investigating a complaint is a COMPLAINT case about the same cadre, opened
    while the complaint is still open."""
    check_complaint_open(complaint)
    if source != COMPLAINT or complaint["cadre_id"] != cadre_id:
        raise RuleViolation("a case opened from a complaint has source COMPLAINT and the "
                            "complaint's cadre", code="CASE_NOT_FOR_COMPLAINT", rule="C-5",
                            details={"complaint_cadre_id": complaint["cadre_id"]})


def was_verified_and_closed(case: Mapping[str, Any]) -> bool:
    return case["status"] == CLOSED and any(t["to"] == VERIFIED for t in case.get("history", []))


def concluded(prior: Mapping[str, Any], kind: str) -> bool:
    """C-5 (v2) 已查核清楚: a case verified and decided (or closed after that), or dismissed; a
    complaint found groundless or a false accusation, or itself closed as a repeat of one."""
    if kind == "case":
        return prior["status"] == DISMISSED or (
            prior["status"] in (DECIDED, CLOSED)
            and any(t["to"] == VERIFIED for t in prior.get("history", [])))
    return prior.get("status") == RESOLVED and prior.get("outcome") in (
        GROUNDLESS, FALSE_ACCUSATION, REPEAT)


def check_resolution(complaint: Mapping[str, Any], outcome: str, prior: Mapping[str, Any] | None,
                     situations: Sequence[str], prior_kind: str = "case") -> None:
    """C-5: what each outcome needs before it may be recorded. A REPEAT cites the earlier matter
    about the same cadre, a case or a complaint, which must be concluded (v2: any concluded matter,
    not only a case verified and closed)."""
    if outcome == REPEAT:
        if prior is None or prior["cadre_id"] != complaint["cadre_id"] \
                or prior["_id"] == complaint["_id"] or not concluded(prior, prior_kind):
            raise RuleViolation(
                "REPEAT cites an earlier matter about the same cadre already looked into and "
                "concluded: a case verified and decided, or dismissed; a complaint found groundless "
                "(已查核清楚的重复性举报不再调查)", code="NOT_A_REPEAT", rule="C-5",
                details={"repeat_of": prior and prior["_id"], "kind": prior and prior_kind,
                         "status": prior and prior["status"]})
    elif outcome == FALSE_ACCUSATION and not complaint.get("reporter"):
        raise RuleViolation("only a named reporter can be found to have made a false accusation "
                            "(实名举报者诬告陷害)", code="ANONYMOUS_REPORTER", rule="C-5")
    elif outcome == SUBSTANTIATED and not situations:
        raise RuleViolation("a substantiated complaint opens a case, which names at least one of "
                            "the 17 situations", code="SITUATION_REQUIRED", rule="C-1",
                            details={"situations": list(SITUATIONS)})


# C-6 yearly report of cadres moved down (领导干部"下"的情况)


def demotion_report(decisions: Iterable[Mapping[str, Any]],
                    moves: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """C-6 (v2) 领导干部"下"的情况: every downward move of a leading cadre in the year, per type and unit
    -- organisational handlings decided here (non-exempted, not cleared), and downward postings
    recorded in talent, by cause (``POSTING_UNFIT_FOR_POST``, ``POSTING_DEMOTION``,
    ``POSTING_OTHER``) -- each line with the cadres it counts (the officers' copy) and the count (the
    published one)."""
    lines: dict[tuple[int, str, str], list[dict[str, Any]]] = {}
    for decision in decisions:
        if decision.get("exempted"):
            continue  # T-6: an exempted matter never counts; C-5: nor a cleared one
        for sanction in decision["sanctions"]:
            if is_organisational(sanction):
                lines.setdefault((decision["year"], decision["unit_id"], sanction), []).append(
                    {"cadre_id": decision.get("cadre_id"), "name": decision.get("name")})
    for move in moves:
        lines.setdefault((move["year"], move["unit_id"], f"POSTING_{move['cause']}"), []).append(
            {"cadre_id": move["cadre_id"], "name": move.get("name")})
    return sorted(({"year": year, "unit_id": unit_id, "handling": handling,
                    "count": len(cadres), "cadres": cadres}
                   for (year, unit_id, handling), cadres in lines.items()), key=report_order)


def report_order(line: Mapping[str, Any]) -> tuple[int, str, int]:
    """C-6's lines by year, unit, then the handlings heaviest first and the postings by cause."""
    kinds = [*ORGANISATIONAL, *(f"POSTING_{cause}" for cause in DOWN_CAUSES)]
    return line["year"], line["unit_id"], kinds.index(line["handling"])
