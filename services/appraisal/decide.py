"""Appraisal's decisions (DOMAIN.md A): what each command or event changes and publishes, given the cycle
as it stands, the command, the facts the rules read (the quota's terms, the unit's grade, the A-6
restrictions), the time and the policy. Pure: the service loads, calls one, and saves the change
(services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from services.appraisal import rules
from services.appraisal.events import CommendationAwarded, ResultAmended, ResultFinalized, UnitGraded
from services.common import work
from services.common.decision import NOTHING, Change, Event
from services.common.errors import Conflict, DomainError, Forbidden, unknown_copy

Record = Mapping[str, Any]
Bars = Mapping[str, Sequence[Record]]  # restrictions by cadre


def open_cycle(unit: Record | None, roster: Sequence[Record], *, cycle_id: str, unit_id: str,
               year: int, kind: str, current_year: int, now: datetime) -> Change:
    """A new cycle; an annual one lists its participants, the unit's roster without its principal
    leaders as it stands (A-1)."""
    rules.ensure_not_future(year, current_year)
    if unit is None:
        raise unknown_copy("unit", unit_id, "appraisal")
    listed = {rules.PARTICIPANTS: rules.listed_participants(unit.get("unit_type"), roster),
              rules.LISTED_AT: now} if kind == rules.ANNUAL else {}
    return Change(set={"cycle_id": cycle_id, "unit_id": unit_id, "year": year, "kind": kind,
                       "opened_at": now, **listed})


def record_grades(cycle: Record, grades: Sequence[Record], cadres: Mapping[str, Record], *,
                  terms: rules.QuotaTerms, unit_grade: str | None, bars: Bars, unrestricted: bool,
                  policy: rules.Policy, now: datetime, by: str | None = None) -> Change:
    """Each grade checked in the order given, the quota counting the earlier rows (A-1, A-2, A-6);
    if one is refused none is recorded, and the refusal names its row. A cadre of the unit graded
    while not on the participant list joins it (A-1)."""
    rules.ensure_open(cycle)
    current = dict(cycle)
    # the unit's cadres graded while unlisted join the list before any row is counted: the quota
    # of a unit graded at once is the same whatever the order of its rows
    for row, graded in enumerate(grades):
        cadre = cadres.get(graded["cadre_id"])
        if cadre is not None and cadre["unit_id"] == cycle["unit_id"]:
            with at_row(row, graded, grades):
                current = {**current, **rules.listed_for_grading(
                    current, cadre, terms.pool(current, cadre), now, by)}
    for row, graded in enumerate(grades):
        with at_row(row, graded, grades):
            current = _with_grade(current, cadres.get(graded["cadre_id"]), terms=terms,
                                  unit_grade=unit_grade, bars=bars, unrestricted=unrestricted,
                                  policy=policy, now=now, **graded)
    joined = current.get("participant_changes", ())[len(cycle.get("participant_changes") or ()):]
    if not joined:
        return Change(set={"results": current["results"]})
    return Change(set={"results": current["results"], rules.PARTICIPANTS: current[rules.PARTICIPANTS]},
                  append={"participant_changes": joined})


def _with_grade(cycle: Record, cadre: Record | None, *, terms: rules.QuotaTerms,
                unit_grade: str | None, bars: Bars, unrestricted: bool, policy: rules.Policy,
                now: datetime, cadre_id: str, grade: str, comment: str | None = None) -> dict:
    """The cycle with one more grade (its cadre listed already, by ``record_grades``)."""
    rules.ensure_open(cycle)
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "appraisal")
    rules.ensure_cadre_in_unit(cycle, cadre)
    if cadre.get("is_principal") and not unrestricted:
        # principal leaders are appraised by the city, not by their own unit
        raise Forbidden("a unit's principal leaders are graded by the organisation department, not "
                        "by the unit", rule="A-1", details={"cadre_id": cadre_id})
    pool = terms.pool(cycle, cadre)
    results = cycle["results"]
    already = any(r["cadre_id"] == cadre_id and r["grade"] == rules.EXCELLENT for r in results)
    rules.check_excellent_quota(cycle["kind"], grade, cadre, terms.quota_of(cycle, pool),
                                already_excellent=already)
    rules.check_principal_excellent(cycle["kind"], grade, cadre, unit_grade,
                                    requires_merit=policy.principal_excellent_requires_merit)
    rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"], bars.get(cadre_id, []),
                                      cadre_id)
    return {**cycle, "results": rules.with_grade(results, cadre, grade, now, comment, pool)}


@contextmanager
def at_row(row: int, graded: Record, grades: Sequence[Record]):
    """A refusal of one of several rows says which."""
    try:
        yield
    except DomainError as exc:
        if len(grades) > 1:
            exc.details = {**exc.details, "row": row, "cadre_id": graded["cadre_id"]}
        raise


def finalize_cycle(cycle: Record, *, terms: rules.QuotaTerms, group: str | None,
                   names: Mapping[str, str], bars: Bars, now: datetime) -> Change:
    """The cycle closes once every participant has a grade (A-1); A-1 again over its pools, the quota
    group's other cycles included (participants may have left; the group's grades count); A-6
    again (a sanction may have been decided since the grade). Each result is announced."""
    rules.ensure_open(cycle)
    if group == rules.FORMING:
        raise Conflict(f"cycle {cycle['_id']} is being joined to quota group {cycle['group_id']}: "
                       "try again in a moment", code="QUOTA_GROUP_FORMING", rule="A-1",
                       details={"group_id": cycle["group_id"]})
    rules.check_all_graded(cycle, names)
    rules.check_within_quota(cycle["kind"], terms.sheet(cycle))
    for cadre_id in excellent(cycle):
        rules.check_no_sanction_that_year(cycle["kind"], rules.EXCELLENT, cycle["year"],
                                          bars.get(cadre_id, []), cadre_id)
    return Change(set={"status": rules.FINALIZED, "finalized_at": now},
                  events=[Event(ResultFinalized, payload)
                          for payload in rules.finalized_results(cycle, now)])


def excellent(cycle: Record) -> list[str]:
    return [r["cadre_id"] for r in cycle["results"] if r["grade"] == rules.EXCELLENT]


def amend_result(cycle: Record, cadre: Record | None, *, cadre_id: str, grade: str, reason: str,
                 terms: rules.QuotaTerms, unit_grade: str | None, restrictions: Sequence[Record],
                 policy: rules.Policy, now: datetime, by: str) -> Change:
    """A finalized result corrected: kept in its history and republished, so that every service
    replaces what the earlier grade caused (DOMAIN.md A)."""
    rules.ensure_finalized(cycle)
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "appraisal")
    results, previous = rules.amended(cycle["results"], cadre_id, grade, reason, by, now)
    pool = next((r.get("pool") for r in cycle["results"] if r["cadre_id"] == cadre_id), None)
    rules.check_excellent_quota(cycle["kind"], grade, cadre,
                                terms.quota_of(cycle, pool or terms.pool(cycle, cadre)),
                                already_excellent=previous == rules.EXCELLENT)
    rules.check_principal_excellent(cycle["kind"], grade, cadre, unit_grade,
                                    requires_merit=policy.principal_excellent_requires_merit)
    rules.check_no_sanction_that_year(cycle["kind"], grade, cycle["year"], restrictions, cadre_id)
    return Change(set={"results": results}, events=[Event(ResultAmended, rules.amendment_payload(
        cycle, cadre_id, grade, previous, reason, now))])


def change_participant(cycle: Record, cadre: Record | None, *, cadre_id: str, change: str,
                       reason: str, terms: rules.QuotaTerms, by: str, now: datetime) -> Change:
    """A-1 (v2): an officer adds a cadre of the unit to the cycle's participants, removes one, or marks
    one not rated (不确定等次), with the reason. A cycle without a list gets one first, from the roster
    as it stands. A change that leaves a pool with more EXCELLENT grades than its quota is refused."""
    rules.ensure_open(cycle)
    rules.ensure_annual(cycle)
    participants = cycle.get(rules.PARTICIPANTS) or [] if rules.has_participant_list(cycle) \
        else rules.listed_participants(terms.unit_type, terms.roster)
    listed = any(p["cadre_id"] == cadre_id for p in participants)
    if cadre is None and (change != rules.REMOVE or not listed):
        raise unknown_copy("cadre", cadre_id, "appraisal")
    if change != rules.REMOVE or not listed:
        # a participant who has left the unit may still be removed from its list
        rules.ensure_cadre_in_unit(cycle, cadre)
    cadre = cadre or {"_id": cadre_id}
    changed = rules.with_participant_change(
        cycle, participants, cadre, terms.pool({}, cadre), change, reason, by, now)
    entry = changed.pop("entry")
    changed[rules.LISTED_AT] = cycle.get(rules.LISTED_AT) or now
    rules.check_within_quota(cycle["kind"], terms.sheet({**cycle, **changed}))
    return Change(set=changed, append={"participant_changes": [entry]})


def join_group(cycle: Record, *, group_id: str, in_group: str | None, terms: rules.QuotaTerms
               ) -> Change:
    """A-1 (v2) pooling: the cycle is claimed for a quota group -- open, annual, in no group in force
    (``in_group``: the state of the group it names, if any). A cycle without a list gets one, and
    its results their pools, so that the group counts every cycle alike."""
    rules.ensure_annual(cycle)
    if cycle["status"] != rules.OPEN:
        raise Conflict(f"cycle {cycle['_id']} is already {cycle['status']}: units are pooled before "
                       "any of their cycles is finalized", code="CYCLE_FINALIZED", rule="A-1",
                       details={"cycle_id": cycle["_id"]})
    if cycle.get("group_id") == group_id:
        return NOTHING
    if in_group is not None:
        raise Conflict(f"cycle {cycle['_id']} is already in quota group {cycle['group_id']}",
                       code="CYCLE_IN_QUOTA_GROUP", rule="A-1",
                       details={"cycle_id": cycle["_id"], "group_id": cycle["group_id"]})
    joined: dict[str, Any] = {"group_id": group_id}
    if not rules.has_participant_list(cycle):
        joined[rules.PARTICIPANTS] = rules.listed_participants(terms.unit_type, terms.roster)
        joined[rules.LISTED_AT] = cycle["opened_at"]
        categories = {c["_id"]: c.get("staff_category") for c in terms.roster}
        joined["results"] = [{**r, "pool": r.get("pool") or rules.pool_of(
            terms.unit_type, categories.get(r["cadre_id"]))} for r in cycle["results"]]
    return Change(set=joined)


def new_quota_group(cycles: Sequence[Record], *, group_id: str, name: str, by: str,
                    now: datetime) -> Change:
    """A quota group as it is written first: FORMING, naming the cycles it will claim."""
    ordered = sorted(cycles, key=lambda c: (c["unit_id"], c["_id"]))
    return Change(set={"group_id": group_id, "name": name, "year": ordered[0]["year"],
                       "cycle_ids": [c["_id"] for c in ordered],
                       "unit_ids": [c["unit_id"] for c in ordered], "state": rules.FORMING,
                       "created_at": now, "created_by": by})


def end_forming(group: Record, *, formed: bool, now: datetime) -> Change:
    """Every cycle claimed: the group is FORMED and its quota binds them; or one could not be, and
    it is ABANDONED."""
    if formed:
        return Change(set={"state": rules.FORMED, "formed_at": now})
    return Change(set={"state": rules.ABANDONED})


def leave_group(cycle: Record, *, group_id: str) -> Change:
    """A group that could not form lets go of the cycles it had claimed."""
    return Change(set={"group_id": None}) if cycle.get("group_id") == group_id else NOTHING


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


# work lists (DOMAIN.md "Work lists (v2)")

OPEN_CYCLE, MY_RESULT = "OPEN_CYCLE", "MY_RESULT"


def open_cycle_work(cycles: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """An open cycle waits for its grades (the participants still without one) and its finalize."""
    return [work.item(OPEN_CYCLE, "cycle", c["_id"], f"/appraisal/cycles/{c['_id']}",
                      unit_id=c["unit_id"], state=c["status"], since=c.get("opened_at"), now=now,
                      detail={"year": c["year"], "kind": c["kind"],
                              "participants": len(c.get(rules.PARTICIPANTS) or ()),
                              "graded": len(c.get("results") or ()),
                              "ungraded": len(rules.ungraded(c))})
            for c in cycles]


def my_results_work(cadre_id: str, results: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """A cadre's own results, with the reasons (A-7)."""
    return [work.item(MY_RESULT, "result", f"{r['cycle_id']}:{cadre_id}",
                      f"/appraisal/cadres/{cadre_id}/results", cadre_id=cadre_id,
                      unit_id=r.get("unit_id"), state=r["grade"], since=r.get("finalized_at"),
                      now=now, detail={"year": r["year"], "kind": r["kind"], "grade": r["grade"],
                                       "comment": r.get("comment"),
                                       "amended": bool(r.get("amendments"))})
            for r in results]


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
