"""Appraisal's decisions (DOMAIN.md A): what each command or event changes and publishes, given the cycle
as it stands, the command, the facts the rules read (the quota's terms, the unit's grade, the A-6
restrictions), the time and the policy. Pure: the service loads, calls one, and saves the change
(services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.appraisal import rules
from services.appraisal.events import CommendationAwarded, ResultAmended, ResultFinalized, UnitGraded
from services.common.decision import Change, Event
from services.common.errors import DomainError, Forbidden, unknown_copy

Record = Mapping[str, Any]
Terms = tuple[int, Decimal]  # the unit's participants and its ratio
Bars = Mapping[str, Sequence[Record]]  # restrictions by cadre


def open_cycle(unit: Record | None, *, cycle_id: str, unit_id: str, year: int, kind: str,
               current_year: int, now: datetime) -> Change:
    rules.ensure_not_future(year, current_year)
    if unit is None:
        raise unknown_copy("unit", unit_id, "appraisal")
    return Change(set={"cycle_id": cycle_id, "unit_id": unit_id, "year": year, "kind": kind,
                       "opened_at": now})


def record_grades(cycle: Record, grades: Sequence[Record], cadres: Mapping[str, Record], *,
                  terms: Terms, unit_grade: str | None, bars: Bars, unrestricted: bool,
                  policy: rules.Policy, now: datetime) -> Change:
    """Each grade checked in the order given, the quota counting the earlier rows (A-1, A-2, A-6);
    if one is refused none is recorded, and the refusal names its row."""
    results = cycle["results"]
    for row, graded in enumerate(grades):
        with at_row(row, graded, grades):
            results = _with_grade(cycle, results, cadres.get(graded["cadre_id"]), terms=terms,
                                  unit_grade=unit_grade, bars=bars, unrestricted=unrestricted,
                                  policy=policy, now=now, **graded)
    return Change(set={"results": results})


def _with_grade(cycle: Record, results: Sequence[Record], cadre: Record | None, *, terms: Terms,
                unit_grade: str | None, bars: Bars, unrestricted: bool, policy: rules.Policy,
                now: datetime, cadre_id: str, grade: str, comment: str | None = None) -> list:
    rules.ensure_open(cycle)
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "appraisal")
    rules.ensure_cadre_in_unit(cycle, cadre)
    if cadre.get("is_principal") and not unrestricted:
        # principal leaders are appraised by the city, not by their own unit
        raise Forbidden("a unit's principal leaders are graded by the organisation department, not "
                        "by the unit", rule="A-1", details={"cadre_id": cadre_id})
    already = any(r["cadre_id"] == cadre_id and r["grade"] == rules.EXCELLENT for r in results)
    rules.check_excellent_quota(cycle["kind"], grade, cadre,
                                rules.quota(*terms, rules.excellent_used(results)),
                                already_excellent=already)
    rules.check_principal_excellent(cycle["kind"], grade, cadre, unit_grade,
                                    requires_merit=policy.principal_excellent_requires_merit)
    rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"], bars.get(cadre_id, []),
                                      cadre_id)
    return rules.with_grade(results, cadre, grade, now, comment)


@contextmanager
def at_row(row: int, graded: Record, grades: Sequence[Record]):
    """A refusal of one of several rows says which."""
    try:
        yield
    except DomainError as exc:
        if len(grades) > 1:
            exc.details = {**exc.details, "row": row, "cadre_id": graded["cadre_id"]}
        raise


def finalize_cycle(cycle: Record, *, quota: rules.Quota, bars: Bars, now: datetime) -> Change:
    """The cycle closes (A-1 again: the roster may have shrunk; A-6 again: a sanction may have been
    decided since the grade); each result is announced."""
    rules.ensure_open(cycle)
    rules.check_quota_at_finalize(cycle["kind"], quota)
    for cadre_id in excellent(cycle):
        rules.check_no_sanction_that_year(cycle["kind"], rules.EXCELLENT, cycle["year"],
                                          bars.get(cadre_id, []), cadre_id)
    return Change(set={"status": rules.FINALIZED, "finalized_at": now},
                  events=[Event(ResultFinalized, payload)
                          for payload in rules.finalized_results(cycle, now)])


def excellent(cycle: Record) -> list[str]:
    return [r["cadre_id"] for r in cycle["results"] if r["grade"] == rules.EXCELLENT]


def amend_result(cycle: Record, cadre: Record | None, *, cadre_id: str, grade: str, reason: str,
                 quota: rules.Quota, unit_grade: str | None, restrictions: Sequence[Record],
                 policy: rules.Policy, now: datetime, by: str) -> Change:
    """A finalized result corrected: kept in its history and republished, so that every service
    replaces what the earlier grade caused (DOMAIN.md A)."""
    rules.ensure_finalized(cycle)
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "appraisal")
    results, previous = rules.amended(cycle["results"], cadre_id, grade, reason, by, now)
    rules.check_excellent_quota(cycle["kind"], grade, cadre, quota,
                                already_excellent=previous == rules.EXCELLENT)
    rules.check_principal_excellent(cycle["kind"], grade, cadre, unit_grade,
                                    requires_merit=policy.principal_excellent_requires_merit)
    rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"], restrictions, cadre_id)
    return Change(set={"results": results}, events=[Event(ResultAmended, rules.amendment_payload(
        cycle, cadre_id, grade, previous, reason, now))])


def commend(cadre: Record | None, *, commendation_id: str, cadre_id: str, year: int, kind: str,
            deed: str, deed_kind: str, typical_example: bool, current_year: int, now: datetime,
            by: str) -> Change:
    """A-8: a merit citation, commendation or yearly selection for a cadre's deed, announced (talent
    reads it, L-5)."""
    rules.ensure_not_future(year, current_year)
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "appraisal")
    facts = {"commendation_id": commendation_id, "cadre_id": cadre_id, "unit_id": cadre["unit_id"],
             "year": year, "kind": kind, "deed": deed, "deed_kind": deed_kind,
             "typical_example": typical_example,
             "awarded_at": now}
    return Change(set={**facts, "awarded_by": by}, events=[Event(CommendationAwarded, facts)])


def grade_unit(unit: Record | None, *, unit_id: str, year: int, grade: str, current_year: int,
               policy: rules.Policy, now: datetime) -> Change:
    """A unit's performance grade for a year: it gates A-2 and feeds A-3 and A-4."""
    rules.check_unit_grade(grade, policy.unit_grades)
    rules.ensure_not_future(year, current_year)
    if unit is None:
        raise unknown_copy("unit", unit_id, "appraisal")
    return Change(set={"grade_id": f"{unit_id}:{year}", "unit_id": unit_id, "year": year,
                       "grade": grade, "graded_at": now},
                  events=[Event(UnitGraded, {"unit_id": unit_id, "year": year, "grade": grade,
                                             "graded_at": now})])


# A-6 restrictions: each event gives its half, keyed on the case alone -- a lifting finds its sanction
# whatever cadre its producer names, and in whichever order they arrive


def sanction_restricts(sanction: Record) -> dict[str, Any]:
    """A-6: the year's EXCELLENT is barred for the sanctioned cadre."""
    return {"cadre_id": sanction["cadre_id"], "year": sanction["year"],
            "sanctions": sanction["sanctions"], "decided_at": sanction["decided_at"]}


def exemption_lifts(ruling: Record, event_type: str) -> dict[str, Any] | None:
    """T-6: an exempted matter never counts -- whether its sanction came before or comes after."""
    if ruling["outcome"] != "EXEMPTED" or not ruling.get("case_id"):
        return None
    return {"lifted": {"rule": "T-6", "by": event_type, "application_id": ruling["application_id"],
                       "at": ruling["ruled_at"]}}


def clearing_lifts(cleared: Record, event_type: str) -> dict[str, Any]:
    """C-5 澄清正名: the sanctions decided on a report that proved untrue bar nothing."""
    return {"lifted": {"rule": "C-5", "by": event_type, "complaint_id": cleared["complaint_id"],
                       "at": cleared["cleared_at"]}}
