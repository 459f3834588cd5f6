"""Appraisal's pure rules (DOMAIN.md section A). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

import math
from collections import Counter
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
CIVIL_SERVANT = "CIVIL_SERVANT"
# A-1 (v2) quota pools: a street unit's civil servants, and everyone else
DEFAULT_POOL = "DEFAULT"
STREET_CIVIL_SERVANT = "STREET_CIVIL_SERVANT"
POOLS = (DEFAULT_POOL, STREET_CIVIL_SERVANT)
PARTICIPANTS = "participants"
LISTED_AT = "participants_listed_at"  # marks a cycle with a list (an empty list is a list)


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
    """One pool's EXCELLENT quota for a year's annual appraisal (rule A-1): a unit's, or a quota
    group's when units are pooled."""

    participants: int
    ratio: Decimal
    maximum: int
    used: int
    pool: str = DEFAULT_POOL

    @property
    def remaining(self) -> int:
        return max(self.maximum - self.used, 0)


def pool_of(unit_type: str | None, staff_category: str | None) -> str:
    """A-1 (v2): a street (township) unit has two pools, its civil servants at the street ratio and
    everyone else at the default one; other units have one. Reading: a cadre whose category the
    roster does not know (registered before categories) counts, in a street unit, as a civil
    servant -- the first version's reading, that a street office's cadres are civil servants."""
    if unit_type == STREET_TOWNSHIP and staff_category in (CIVIL_SERVANT, None):
        return STREET_CIVIL_SERVANT
    return DEFAULT_POOL


def pool_ratio(pool: str, ratios: Mapping[str, Decimal] | None = None) -> Decimal:
    ratios = ratios or {}
    if pool == STREET_CIVIL_SERVANT:
        return Decimal(ratios.get(STREET_TOWNSHIP, DEFAULT_STREET_EXCELLENT_RATIO))
    return Decimal(ratios.get("DEFAULT", DEFAULT_EXCELLENT_RATIO))


def excellent_ratio(unit_type: str | None, ratios: Mapping[str, Decimal] | None = None) -> Decimal:
    """The ratio of a unit's civil servants' pool (A-1)."""
    return pool_ratio(pool_of(unit_type, CIVIL_SERVANT), ratios)


def quota(participants: int, ratio: Decimal, used: int, pool: str = DEFAULT_POOL) -> Quota:
    """Rule A-1: at most floor(participants × ratio) EXCELLENT grades (exact decimal arithmetic)."""
    return Quota(participants, ratio, math.floor(Decimal(participants) * ratio), used, pool)


def counts_for_quota(cadre: Mapping[str, Any]) -> bool:
    """Principal leaders are appraised by the city: outside their unit's quota (A-1)."""
    return not cadre.get("is_principal")


def has_participant_list(cycle: Mapping[str, Any]) -> bool:
    """A-1 (v2): annual cycles keep their own participant list; one opened before lists existed has
    none, and its participants are, as then, the unit's non-principal roster."""
    return cycle.get(LISTED_AT) is not None


def listed_participants(unit_type: str | None, roster: Sequence[Mapping[str, Any]]
                        ) -> list[dict[str, Any]]:
    """A-1 (v2): a new annual cycle's participants -- the unit's roster without its principal
    leaders -- each in their pool."""
    return [{"cadre_id": cadre["_id"], "pool": pool_of(unit_type, cadre.get("staff_category"))}
            for cadre in sorted(roster, key=lambda c: c["_id"]) if counts_for_quota(cadre)]


def participants_by_pool(cycle: Mapping[str, Any], unit_type: str | None,
                         roster: Sequence[Mapping[str, Any]] = ()) -> Counter:
    """How many participants each pool has: the cycle's list, or for a cycle without one the
    unit's non-principal roster (``roster``: the unit's cadres as appraisal knows them)."""
    if has_participant_list(cycle):
        return Counter(p["pool"] for p in cycle.get(PARTICIPANTS) or ())
    return Counter(p["pool"] for p in listed_participants(unit_type, roster))


def excellent_by_pool(cycle: Mapping[str, Any], unit_type: str | None,
                      roster: Sequence[Mapping[str, Any]] = ()) -> Counter:
    """EXCELLENT grades taking a place in each pool. A result written before pools has none: its
    pool is its cadre's, as the roster says now."""
    categories = {cadre["_id"]: cadre.get("staff_category") for cadre in roster}
    return Counter(
        r.get("pool") or pool_of(unit_type, categories.get(r["cadre_id"]))
        for r in cycle.get("results", ()) if r["grade"] == EXCELLENT and r.get("in_quota", True))


def quota_sheet(participants: Counter, used: Counter,
                ratios: Mapping[str, Decimal] | None = None) -> dict[str, Quota]:
    """A-1: each pool's quota and its use (a unit's or a quota group's, summed over its units)."""
    return {pool: quota(participants[pool], pool_ratio(pool, ratios), used[pool], pool)
            for pool in sorted(set(participants) | set(used))}


@dataclass(frozen=True)
class QuotaTerms:
    """What A-1 counts besides the cycle itself: its unit's type, the ratios, the unit's roster (for
    a cycle without a list), and, for a cycle in a quota group, the participants and EXCELLENT
    grades of the group's other cycles, by pool."""

    unit_type: str | None
    ratios: Mapping[str, Decimal] = field(default_factory=dict)
    roster: Sequence[Mapping[str, Any]] = ()
    other_participants: Counter = field(default_factory=Counter)
    other_used: Counter = field(default_factory=Counter)

    def sheet(self, cycle: Mapping[str, Any]) -> dict[str, Quota]:
        return quota_sheet(participants_by_pool(cycle, self.unit_type, self.roster)
                           + self.other_participants,
                           excellent_by_pool(cycle, self.unit_type, self.roster) + self.other_used,
                           self.ratios)

    def pool(self, cycle: Mapping[str, Any], cadre: Mapping[str, Any]) -> str:
        """The cadre's pool: as listed in the cycle, else by their category."""
        for listed in cycle.get(PARTICIPANTS) or ():
            if listed["cadre_id"] == cadre["_id"]:
                return listed["pool"]
        return pool_of(self.unit_type, cadre.get("staff_category"))

    def quota_of(self, cycle: Mapping[str, Any], pool: str) -> Quota:
        return self.sheet(cycle).get(pool) or quota(0, pool_ratio(pool, self.ratios), 0, pool)


def sheet_totals(sheet: Mapping[str, Quota], ratio: Decimal) -> dict[str, Any]:
    """A unit's quota sheet: its pools and their totals; one ratio only when there is one pool
    (``ratio``: the unit's, while it has no participants)."""
    pools = list(sheet.values())
    return {"participants": sum(q.participants for q in pools),
            "ratio": pools[0].ratio if len(pools) == 1 else (ratio if not pools else None),
            "maximum": sum(q.maximum for q in pools), "used": sum(q.used for q in pools),
            "remaining": sum(q.remaining for q in pools), "pools": pools}


def check_excellent_quota(kind: str, grade: str, cadre: Mapping[str, Any], unit_quota: Quota,
                          already_excellent: bool) -> None:
    """Rule A-1: refuse an EXCELLENT annual grade beyond its pool's quota, naming the figures."""
    if kind != ANNUAL or grade != EXCELLENT or not counts_for_quota(cadre) or already_excellent:
        return
    if unit_quota.used >= unit_quota.maximum:
        raise _over_quota(f"the {unit_quota.pool} pool's EXCELLENT quota is used up", unit_quota)


def _over_quota(message: str, pool_quota: Quota) -> RuleViolation:
    return RuleViolation(
        f"{message}: {pool_quota.used} of {pool_quota.maximum} (floor of "
        f"{pool_quota.participants} participants × {pool_quota.ratio})",
        code="EXCELLENT_QUOTA_EXCEEDED", rule="A-1",
        details={"quota": "EXCELLENT", "pool": pool_quota.pool,
                 "participants": pool_quota.participants, "ratio": str(pool_quota.ratio),
                 "max": pool_quota.maximum, "used": pool_quota.used})


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
CYCLE_STATES = (OPEN, FINALIZED)


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
               now: datetime, comment: str | None = None, pool: str | None = None
               ) -> list[dict[str, Any]]:
    """The cycle's results with the cadre graded ``grade`` (a re-grade replaces, while OPEN);
    ``comment`` is the appraisal's reasoning fed back to the cadre (A-7)."""
    kept = [dict(r) for r in results if r["cadre_id"] != cadre["_id"]]
    return [*kept, {"cadre_id": cadre["_id"], "grade": grade, "recorded_at": now,
                    "in_quota": counts_for_quota(cadre), "pool": pool, "comment": comment}]


def excellent_used(results: Sequence[Mapping[str, Any]], except_cadre: str | None = None) -> int:
    """EXCELLENT grades that take a place in the unit's quota (A-1)."""
    return sum(1 for r in results if r["grade"] == EXCELLENT and r.get("in_quota", True)
               and r["cadre_id"] != except_cadre)


def check_within_quota(kind: str, sheet: Mapping[str, Quota]) -> None:
    """Rule A-1 when the cycle closes or loses a participant: participants may have left since the
    grades, and the grades of a quota group's other units count too."""
    if kind != ANNUAL:
        return
    for pool_quota in sheet.values():
        if pool_quota.used > pool_quota.maximum:
            raise _over_quota(f"the {pool_quota.pool} pool has too many EXCELLENT grades", pool_quota)


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


# A-1 (v2) participants (参加考核人员): the cycle's own list, changed by an officer with a reason

ADD, REMOVE, NOT_RATED = "ADD", "REMOVE", "NOT_RATED"
PARTICIPANT_CHANGES = (ADD, REMOVE, NOT_RATED)


def ensure_annual(cycle: Mapping[str, Any]) -> None:
    """Participants and quotas are the annual appraisal's (A-1)."""
    if cycle["kind"] != ANNUAL:
        raise Conflict(f"cycle {cycle['_id']} is a {cycle['kind']} appraisal: only annual cycles have "
                       "a participant list and a quota", code="NOT_AN_ANNUAL_CYCLE", rule="A-1",
                       details={"cycle_id": cycle["_id"], "kind": cycle["kind"]})


def with_participant_change(cycle: Mapping[str, Any], participants: Sequence[Mapping[str, Any]],
                            cadre: Mapping[str, Any], pool: str, change: str, reason: str,
                            by: str, now: datetime) -> dict[str, Any]:
    """The cycle's participants, its cadres not rated (不确定等次), its results and the change's
    history entry after ``change`` of ``cadre`` (``participants``: the list as it stands). A cadre
    removed or not rated is no participant, and a grade they had goes with them (kept in the
    history)."""
    cadre_id = cadre["_id"]
    if cadre.get("is_principal"):
        raise RuleViolation(f"cadre {cadre_id} is a principal leader, appraised by the city: outside "
                            "the unit's participants and quota", code="PRINCIPAL_NOT_PARTICIPANT",
                            rule="A-1", details={"cadre_id": cadre_id})
    listed = any(p["cadre_id"] == cadre_id for p in participants)
    not_rated = [dict(n) for n in cycle.get("not_rated", ())]
    was_not_rated = any(n["cadre_id"] == cadre_id for n in not_rated)
    if change == ADD and listed:
        raise Conflict(f"cadre {cadre_id} is already a participant", code="ALREADY_PARTICIPANT",
                       rule="A-1", details={"cadre_id": cadre_id})
    if change == REMOVE and not listed:
        raise Conflict(f"cadre {cadre_id} is not a participant of this cycle",
                       code="NOT_A_PARTICIPANT", rule="A-1", details={"cadre_id": cadre_id})
    if change == NOT_RATED and was_not_rated:
        raise Conflict(f"cadre {cadre_id} is already marked not rated", code="ALREADY_NOT_RATED",
                       rule="A-1", details={"cadre_id": cadre_id})
    kept = [dict(p) for p in participants if p["cadre_id"] != cadre_id]
    not_rated = [n for n in not_rated if n["cadre_id"] != cadre_id]
    if change == ADD:
        kept.append({"cadre_id": cadre_id, "pool": pool})
    elif change == NOT_RATED:
        not_rated.append({"cadre_id": cadre_id, "reason": reason, "by": by, "at": now})
    results = list(cycle.get("results", ()))
    dropped = next((r["grade"] for r in results if r["cadre_id"] == cadre_id), None)
    if change != ADD:
        results = [dict(r) for r in results if r["cadre_id"] != cadre_id]
    entry = {"cadre_id": cadre_id, "change": change, "reason": reason, "by": by, "at": now,
             "grade_dropped": dropped if change != ADD else None}
    return {PARTICIPANTS: sorted(kept, key=lambda p: p["cadre_id"]), "not_rated": not_rated,
            "results": results, "entry": entry}


def listed_for_grading(cycle: Mapping[str, Any], cadre: Mapping[str, Any], pool: str,
                       now: datetime, by: str | None = None) -> dict[str, Any]:
    """A-1 (v2): a cycle with a list grades its participants (and its principal leaders, appraised by
    the city outside it). Reading: a cadre of the unit graded while not on the list -- one who
    joined the roster after the cycle opened -- joins it, the grade being the officer's act of
    appraising them; one an officer removed or marked not rated is refused until added back.
    Returns what changes in the cycle (nothing when the cadre is listed)."""
    if not has_participant_list(cycle) or not counts_for_quota(cadre):
        return {}
    if any(p["cadre_id"] == cadre["_id"] for p in cycle.get(PARTICIPANTS) or ()):
        return {}
    not_rated = next((n for n in cycle.get("not_rated") or () if n["cadre_id"] == cadre["_id"]), None)
    removed = next((c for c in reversed(cycle.get("participant_changes") or ())
                    if c["cadre_id"] == cadre["_id"] and c["change"] == REMOVE), None)
    if not_rated or removed:
        why = not_rated or removed
        raise Conflict(
            f"cadre {cadre['_id']} was {'marked not rated' if not_rated else 'removed'} "
            f"({why['reason']}): add them to the participants again before grading them",
            code="NOT_A_PARTICIPANT", rule="A-1",
            details={"cadre_id": cadre["_id"], "change": NOT_RATED if not_rated else REMOVE})
    entry = {"cadre_id": cadre["_id"], "change": ADD, "reason": "graded: in the unit's roster",
             "by": by, "at": now, "grade_dropped": None}
    return {PARTICIPANTS: sorted([*(cycle.get(PARTICIPANTS) or ()),
                                  {"cadre_id": cadre["_id"], "pool": pool}],
                                 key=lambda p: p["cadre_id"]),
            "participant_changes": [*(cycle.get("participant_changes") or ()), entry]}


def ungraded(cycle: Mapping[str, Any]) -> list[str]:
    """A-1 (v2): the participants without a grade (none for a cycle without a list)."""
    graded = {r["cadre_id"] for r in cycle.get("results", ())}
    return [p["cadre_id"] for p in cycle.get(PARTICIPANTS, ()) if p["cadre_id"] not in graded]


def check_all_graded(cycle: Mapping[str, Any], names: Mapping[str, str]) -> None:
    """A-1 (v2): a cycle is finalized only when every participant has a grade; the refusal names
    those without one."""
    missing = ungraded(cycle)
    if missing:
        raise RuleViolation(
            f"{len(missing)} participant(s) have no grade yet: "
            + ", ".join(f"{names.get(c) or c} ({c})" for c in missing[:20])
            + (" …" if len(missing) > 20 else ""),
            code="PARTICIPANTS_UNGRADED", rule="A-1",
            details={"ungraded": [{"cadre_id": c, "name": names.get(c)} for c in missing]})


# A-1 (v2) pooling (合并计算): annual cycles of several units of one year in one quota group

def check_quota_group(cycles: Sequence[Mapping[str, Any]], cycle_ids: Sequence[str]) -> None:
    """A quota group joins two or more open annual cycles of one year, none already in a group."""
    found = {c["_id"] for c in cycles}
    missing = [c for c in cycle_ids if c not in found]
    if missing:
        raise Conflict(f"no cycle {', '.join(missing)}", code="CYCLE_NOT_FOUND",
                       details={"cycle_ids": missing})
    for cycle in cycles:
        ensure_annual(cycle)
        if cycle["status"] != OPEN:
            raise Conflict(f"cycle {cycle['_id']} is already {cycle['status']}: units are pooled "
                           "before any of their cycles is finalized", code="CYCLE_FINALIZED",
                           rule="A-1", details={"cycle_id": cycle["_id"]})
    years = sorted({c["year"] for c in cycles})
    if len(years) > 1:
        raise Conflict(f"a quota group pools the cycles of one year, not of {years}",
                       code="QUOTA_GROUP_YEARS", rule="A-1", details={"years": years})
    units = [c["unit_id"] for c in cycles]
    if len(set(units)) != len(units):
        raise Conflict("a quota group pools different units' cycles", code="QUOTA_GROUP_UNITS",
                       rule="A-1", details={"unit_ids": units})


# a quota group's state: FORMING while its cycles are claimed one by one, FORMED when all are
FORMING, FORMED, ABANDONED = "FORMING", "FORMED", "ABANDONED"
QUOTA_GROUP_STATES = (FORMING, FORMED, ABANDONED)


def group_in_force(group: Mapping[str, Any] | None, now: datetime, forming_seconds: int) -> str | None:
    """FORMED: the group's quota binds its cycles; FORMING: not yet (a finalize waits); None: no
    group -- none named, abandoned, or FORMING longer than its window (its forming died midway)."""
    if not group or group["state"] == ABANDONED:
        return None
    if group["state"] == FORMING and (now - group["created_at"]).total_seconds() > forming_seconds:
        return None
    return group["state"]
