"""Appraisal's pure rules (DOMAIN.md section A). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.common.errors import Conflict, InvalidInput, RuleViolation

KINDS = ("ANNUAL", "SPECIAL", "REGULAR")
GRADES = ("EXCELLENT", "COMPETENT", "BASICALLY_COMPETENT", "INCOMPETENT")
EXCELLENT = "EXCELLENT"
ANNUAL = "ANNUAL"

# A-8 (v2) commendations (表彰, 000 item 15): 记功, 嘉奖, and the yearly selections 优秀共产党员 and
# 人民满意的公务员, recorded the same way; each with its deed and the deed's kind
COMMENDATION_KINDS = ("MERIT_CITATION", "COMMENDATION", "OUTSTANDING_PARTY_MEMBER",
                      "PEOPLE_SATISFIED_CIVIL_SERVANT")
DEED_KINDS = ("EMERGENCY_HANDLING", "HIGHER_SUPPORT_WON", "MAJOR_WORK", "OTHER")

# unit performance grades (绩效考评); more may be configured, only MERIT and FAIL carry rules
UNIT_GRADES = ("MERIT", "PASS", "FAIL")
MERIT = "MERIT"

# A-1 [national default] 15 %; 20 % for the civil servants of street (township) units (000 item 15)
DEFAULT_EXCELLENT_RATIO = Decimal("0.15")
DEFAULT_STREET_EXCELLENT_RATIO = Decimal("0.20")
STREET_TOWNSHIP = "STREET_TOWNSHIP"


@dataclass(frozen=True)
class Policy:
    """The policy values appraisal decides with: the A-1 ratios by pool, the A-2 switch and the unit
    performance grades in use."""

    ratios: Mapping[str, Decimal] = field(default_factory=dict)  # DEFAULT, STREET_TOWNSHIP
    principal_excellent_requires_merit: bool = True
    unit_grades: tuple[str, ...] = UNIT_GRADES

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        ratios = {key: Decimal(str(value)) for key, value in (
            ("DEFAULT", config.get("APPRAISAL_EXCELLENT_RATIO")),
            ("STREET_TOWNSHIP", config.get("APPRAISAL_STREET_EXCELLENT_RATIO"))) if value is not None}
        requires = config.get("PRINCIPAL_EXCELLENT_REQUIRES_MERIT_UNIT")
        return cls(ratios,
                   True if requires is None else str(requires).lower() not in ("false", "0", "no"),
                   tuple(config.get("UNIT_GRADES") or UNIT_GRADES))


@dataclass(frozen=True)
class Quota:
    """A unit's EXCELLENT quota for a year's annual appraisal (rule A-1)."""

    participants: int
    ratio: Decimal
    maximum: int
    used: int

    @property
    def remaining(self) -> int:
        return max(self.maximum - self.used, 0)


def excellent_ratio(unit_type: str | None, ratios: Mapping[str, Decimal] | None = None) -> Decimal:
    """Rule A-1: the street (township) ratio applies to the whole unit -- the roster carries no
    civil-servant flag, and a street office's cadres are civil servants."""
    ratios = ratios or {}
    if unit_type == STREET_TOWNSHIP:
        return Decimal(ratios.get(STREET_TOWNSHIP, DEFAULT_STREET_EXCELLENT_RATIO))
    return Decimal(ratios.get("DEFAULT", DEFAULT_EXCELLENT_RATIO))


def quota(participants: int, ratio: Decimal, used: int) -> Quota:
    """Rule A-1: at most floor(participants × ratio) EXCELLENT grades (exact decimal arithmetic)."""
    return Quota(participants, ratio, math.floor(Decimal(participants) * ratio), used)


def counts_for_quota(cadre: Mapping[str, Any]) -> bool:
    """Principal leaders are appraised by the city: outside their unit's quota (A-1)."""
    return not cadre.get("is_principal")


def check_excellent_quota(kind: str, grade: str, cadre: Mapping[str, Any], unit_quota: Quota,
                          already_excellent: bool) -> None:
    """Rule A-1: refuse an EXCELLENT annual grade beyond the unit's quota, naming the figures."""
    if kind != ANNUAL or grade != EXCELLENT or not counts_for_quota(cadre) or already_excellent:
        return
    if unit_quota.used >= unit_quota.maximum:
        raise RuleViolation(
            f"the unit's EXCELLENT quota is used up: {unit_quota.used} of {unit_quota.maximum} "
            f"(floor of {unit_quota.participants} participants × {unit_quota.ratio})",
            code="EXCELLENT_QUOTA_EXCEEDED", rule="A-1",
            details={"participants": unit_quota.participants, "ratio": str(unit_quota.ratio),
                     "max": unit_quota.maximum, "used": unit_quota.used})


def check_principal_excellent(kind: str, grade: str, cadre: Mapping[str, Any],
                              unit_grade: str | None, requires_merit: bool = True) -> None:
    """Rule A-2: a principal leader's annual EXCELLENT needs the unit's MERIT that year."""
    if not requires_merit or kind != ANNUAL or grade != EXCELLENT or not cadre.get("is_principal"):
        return
    if unit_grade != MERIT:
        raise RuleViolation(
            "a principal leader may be graded EXCELLENT only when the unit is graded MERIT that "
            f"year; the unit is {unit_grade or 'not graded yet'}",
            code="PRINCIPAL_EXCELLENT_NEEDS_MERIT", rule="A-2",
            details={"unit_grade": unit_grade, "unit_id": cadre.get("unit_id")})


def sanction_bars(restrictions: Sequence[Mapping[str, Any]], year: int) -> list[str]:
    """Rule A-6: the cases whose sanction, decided in ``year`` and not lifted, bars EXCELLENT."""
    return sorted(r["case_id"] for r in restrictions if r.get("year") == year and not r.get("lifted"))


def check_no_sanction_that_year(kind: str, grade: str, year: int,
                                restrictions: Sequence[Mapping[str, Any]],
                                cadre_id: str | None = None) -> None:
    """Rule A-6: a sanction decided in year Y, not exempted (T-6) nor cleared, rules out an
    EXCELLENT annual grade for Y."""
    if kind != ANNUAL or grade != EXCELLENT:
        return
    cases = sanction_bars(restrictions, year)
    if cases:
        raise RuleViolation(
            f"cadre {cadre_id or ''} had an accountability sanction decided in {year} (case "
            f"{', '.join(cases)}): no EXCELLENT in that year's annual appraisal",
            code="SANCTIONED_THAT_YEAR", rule="A-6",
            details={"cadre_id": cadre_id, "year": year, "case_ids": cases})


def ensure_not_future(year: int, current_year: int) -> None:
    """A year's appraisal happens during or after it, never before."""
    if year > current_year:
        raise Conflict(f"{year} is in the future", code="YEAR_IN_FUTURE",
                       details={"year": year, "current_year": current_year})

OPEN = "OPEN"
FINALIZED = "FINALIZED"


def ensure_open(cycle: Mapping[str, Any]) -> None:
    """A finalized cycle's results are immutable; corrections are amendments (DOMAIN.md A)."""
    if cycle["status"] != OPEN:
        raise Conflict(
            f"cycle {cycle['_id']} is {cycle['status']}: its results can no longer be recorded",
            code="CYCLE_FINALIZED",
            details={"cycle_id": cycle["_id"], "status": cycle["status"]},
        )


def ensure_finalized(cycle: Mapping[str, Any]) -> None:
    """Amendments correct finalized results; an open cycle's grades are simply recorded again."""
    if cycle["status"] != FINALIZED:
        raise Conflict(f"cycle {cycle['_id']} is still {cycle['status']}: record the grade instead "
                       "of amending it", code="CYCLE_NOT_FINALIZED",
                       details={"cycle_id": cycle["_id"], "status": cycle["status"]})


def amended(results: Sequence[Mapping[str, Any]], cadre_id: str, grade: str, reason: str,
            by: str, now: datetime) -> tuple[list[dict[str, Any]], str]:
    """The results with the cadre's grade corrected and the correction kept in its history
    (who, when, from, to, why -- DOMAIN.md A); returns them and the grade before."""
    index = next((i for i, r in enumerate(results) if r["cadre_id"] == cadre_id), None)
    if index is None:
        raise Conflict(f"cadre {cadre_id} has no result in this cycle to amend",
                       code="RESULT_NOT_FOUND")
    result = results[index]
    previous = result["grade"]
    if previous == grade:
        raise Conflict(f"the result is already {grade}", code="NOTHING_TO_AMEND")
    history = [*result.get("amendments", []),
               {"at": now, "by": by, "from_grade": previous, "to_grade": grade, "reason": reason}]
    changed = [dict(r) for r in results]
    changed[index] = {**result, "grade": grade, "amendments": history}
    return changed, previous


def amendment_payload(cycle: Mapping[str, Any], cadre_id: str, grade: str, previous: str,
                      reason: str, now: datetime) -> dict[str, Any]:
    """``appraisal.result_amended``: consumers replace what the earlier result caused."""
    return {"cycle_id": cycle["_id"], "unit_id": cycle["unit_id"], "year": cycle["year"],
            "kind": cycle["kind"], "cadre_id": cadre_id, "grade": grade,
            "previous_grade": previous, "reason": reason, "amended_at": now}


def ensure_cadre_in_unit(cycle: Mapping[str, Any], cadre: Mapping[str, Any]) -> None:
    """A unit's cycle grades that unit's cadres."""
    if cadre["unit_id"] != cycle["unit_id"]:
        raise Conflict(
            f"cadre {cadre['_id']} belongs to unit {cadre['unit_id']}, "
            f"not to this cycle's unit {cycle['unit_id']}",
            code="CADRE_NOT_IN_UNIT",
            details={"cadre_unit_id": cadre["unit_id"], "cycle_unit_id": cycle["unit_id"]},
        )


def with_grade(results: Sequence[Mapping[str, Any]], cadre: Mapping[str, Any], grade: str,
               now: datetime, comment: str | None = None) -> list[dict[str, Any]]:
    """The cycle's results with the cadre graded ``grade`` (a re-grade replaces, while OPEN);
    ``comment`` is the appraisal's reasoning fed back to the cadre (A-7)."""
    kept = [dict(r) for r in results if r["cadre_id"] != cadre["_id"]]
    return [*kept, {"cadre_id": cadre["_id"], "grade": grade, "recorded_at": now,
                    "in_quota": counts_for_quota(cadre), "comment": comment}]


def excellent_used(results: Sequence[Mapping[str, Any]], except_cadre: str | None = None) -> int:
    """EXCELLENT grades that take a place in the unit's quota (A-1)."""
    return sum(1 for r in results if r["grade"] == EXCELLENT and r.get("in_quota", True)
               and r["cadre_id"] != except_cadre)


def check_quota_at_finalize(kind: str, unit_quota: Quota) -> None:
    """Rule A-1 again when the cycle closes: the roster may have shrunk since the grades."""
    if kind == ANNUAL and unit_quota.used > unit_quota.maximum:
        raise RuleViolation(
            f"the cycle has {unit_quota.used} EXCELLENT grades in quota but the unit's quota is "
            f"{unit_quota.maximum} (floor of {unit_quota.participants} participants × "
            f"{unit_quota.ratio})", code="EXCELLENT_QUOTA_EXCEEDED", rule="A-1",
            details={"participants": unit_quota.participants, "ratio": str(unit_quota.ratio),
                     "max": unit_quota.maximum, "used": unit_quota.used})


def check_unit_grade(grade: str, allowed: Sequence[str]) -> None:
    if grade not in allowed:
        raise InvalidInput("unknown unit grade", fields={"grade": [
            f"Must be one of: {', '.join(allowed)}."]})


def finalized_results(cycle: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """One ``appraisal.result_finalized`` payload per result of the cycle."""
    return [
        {
            "cycle_id": cycle["_id"],
            "unit_id": cycle["unit_id"],
            "year": cycle["year"],
            "kind": cycle["kind"],
            "cadre_id": result["cadre_id"],
            "grade": result["grade"],
            "finalized_at": now,
        }
        for result in sorted(cycle["results"], key=lambda r: r["cadre_id"])
    ]
