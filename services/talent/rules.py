"""Talent's pure rules: the roster vocabulary and eligibility computed from facts (DOMAIN.md L-3).

Eligibility is never typed in: it is a function of the facts the service has received, each fact
carrying the id of the event it came from, so every reason can say which rule and which event made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Shared vocabulary (DOMAIN.md)
UNIT_TYPES = ("DISTRICT", "STREET_TOWNSHIP", "CITY_DEPARTMENT", "STATE_ENTERPRISE",
              "PUBLIC_INSTITUTION")
LEVELS = ("BUREAU_PRINCIPAL", "BUREAU_DEPUTY", "DIVISION", "SECTION", "STAFF")

# What a reason does to a cadre's eligibility.
SELECTION_PRIORITY = "SELECTION_PRIORITY"  # 选拔任用优先考虑
TRAINING_PRIORITY = "TRAINING_PRIORITY"    # 优先调训
PROMOTION_BAN = "PROMOTION_BAN"            # may not be promoted now
NO_PRIORITY_PROMOTION = "NO_PRIORITY_PROMOTION"  # 不得优先提拔: priority in selection withheld

MERIT = "MERIT"
DROUGHT_YEARS = 3  # three consecutive years without MERIT

# Appraisal kinds whose EXCELLENT grade gives priority (A-5: annual, or in a special appraisal).
PRIORITY_KINDS = ("ANNUAL", "SPECIAL")


@dataclass(frozen=True)
class Reason:
    rule: str
    effect: str
    source_event_id: str
    valid_from: datetime
    valid_until: datetime | None
    detail: str

    def active_at(self, now: datetime) -> bool:
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)


@dataclass(frozen=True)
class Eligibility:
    promotable: bool
    selection_priority: bool
    training_priority: bool
    reasons: list[Reason] = field(default_factory=list)


def latest_result_per_cycle(results: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """An amended result supersedes the earlier one of the same cycle (DOMAIN.md A: amendments)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for result in results:
        kept = latest.get(result["cycle_id"])
        if kept is None or result["finalized_at"] >= kept["finalized_at"]:
            latest[result["cycle_id"]] = result
    return sorted(latest.values(), key=lambda r: (r["finalized_at"], r["cycle_id"]))


def excellent_priority(results: Iterable[Mapping[str, Any]]) -> list[Reason]:
    """Rule A-5: EXCELLENT (annual or special) -> selection priority and training priority.

    The policy text sets no end date, so the priority holds from the result onwards.
    """
    reasons = []
    for result in latest_result_per_cycle(results):
        if result["grade"] != "EXCELLENT" or result["kind"] not in PRIORITY_KINDS:
            continue
        detail = f"{result['kind']} appraisal {result['year']}: EXCELLENT"
        for effect in (SELECTION_PRIORITY, TRAINING_PRIORITY):
            reasons.append(Reason("A-5", effect, result["event_id"], result["finalized_at"],
                                  None, detail))
    return reasons


def latest_grade_per_year(unit_grades: Iterable[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    latest: dict[int, Mapping[str, Any]] = {}
    for graded in unit_grades:
        kept = latest.get(graded["year"])
        if kept is None or graded["graded_at"] >= kept["graded_at"]:
            latest[graded["year"]] = graded
    return latest


def merit_drought(unit_grades: Iterable[Mapping[str, Any]]) -> list[Reason]:
    """Rule A-3: three consecutive graded years without MERIT -> the unit's principal leaders may
    not be promoted with priority until the unit is MERIT again (000 item 8).

    A year the unit was not graded stops a run from forming (the rule needs three known years),
    but it does not lift a bar: only a later MERIT year does.
    """
    by_year = latest_grade_per_year(unit_grades)
    run: list[int] = []
    barred: list[int] | None = None
    for year in sorted(by_year):
        if by_year[year]["grade"] == MERIT:
            run, barred = [], None
            continue
        run = [*run, year] if run and run[-1] == year - 1 else [year]
        if len(run) >= DROUGHT_YEARS and barred is None:
            barred = run[-DROUGHT_YEARS:]
    if barred is None:
        return []
    since = by_year[barred[-1]]
    detail = "unit without MERIT in " + ", ".join(
        f"{year} ({by_year[year]['grade']})" for year in barred)
    return [Reason("A-3", NO_PRIORITY_PROMOTION, since["event_id"], since["graded_at"], None,
                   detail)]


def eligibility(results: Iterable[Mapping[str, Any]], now: datetime,
                unit_grades: Iterable[Mapping[str, Any]] = (),
                is_principal: bool = False) -> Eligibility:
    """Rule L-3: the cadre's eligibility now, with every reason that is in force."""
    reasons = [r for r in excellent_priority(results) if r.active_at(now)]
    if is_principal:
        reasons += [r for r in merit_drought(unit_grades) if r.active_at(now)]
    effects = {r.effect for r in reasons}
    return Eligibility(
        promotable=PROMOTION_BAN not in effects,
        selection_priority=SELECTION_PRIORITY in effects and NO_PRIORITY_PROMOTION not in effects,
        training_priority=TRAINING_PRIORITY in effects,
        reasons=reasons,
    )
