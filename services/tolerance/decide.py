"""Tolerance's decisions (DOMAIN.md T): what each command changes and publishes, given the application as
it stands, the command, the time and who acts. Pure: the service loads, calls one, and saves the change
(services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.common import work
from services.common.clock import as_utc
from services.common.decision import Change, Event, transition
from services.common.errors import Conflict, NotFound
from services.tolerance import rules
from services.tolerance.events import ApplicationFiled, RulingMade

Application = Mapping[str, Any]


def file_application(cadre: Mapping[str, Any], case: Mapping[str, Any] | None,
                     pending_application: str | None, *, application_id: str, situation: str,
                     facts: str, approval_reference: str | None, case_id: str | None,
                     now: datetime, by: str) -> Change:
    """T-1: a new application; one answering a case holds it in accountability until ruled (C-4)."""
    rules.check_reference(situation, approval_reference)
    if case_id:
        rules.check_case(case, cadre["_id"], case_id, pending_application)
    return Change(set={
        "application_id": application_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "situation": situation, "approval_reference": approval_reference, "facts": facts,
        "case_id": case_id, "filed_at": now, "filed_by": by,
        "history": [transition(None, rules.FILED, by, now, None)],
    }, events=[Event(ApplicationFiled, {
        "application_id": application_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "situation": situation, "case_id": case_id, "filed_at": now})])


def with_hold(filed: Change, held: bool) -> Change:
    """The filing with what accountability answered (C-4): whether the application holds its case.
    Not held -- the decision came first, or the situation was rejected before -- it goes on all the
    same."""
    [event] = filed.events
    return replace(filed, set={**filed.set, "case_held": held},
                   events=[replace(event, payload={**event.payload, "case_held": held})])


def start_review(application: Application, *, reason: str | None, now: datetime, by: str) -> Change:
    rules.check_status(application, rules.FILED, doing="start the review")
    return Change(set={"status": rules.UNDER_REVIEW},
                  append={"history": [transition(rules.FILED, rules.UNDER_REVIEW, by, now, reason)]})


def assess(application: Application, *, conditions: Mapping[str, Any], factors: Mapping[str, Any],
           loss: Mapping[str, Any] | None, now: datetime, by: str) -> Change:
    """Conditions (true or false, with evidence), factors (a rating and a note) and the loss (a
    level, with evidence) recorded; a later assessment of the same code, or of the loss, replaces the
    earlier one while under review (T-5)."""
    rules.check_status(application, rules.UNDER_REVIEW, doing="assess")
    stamp = {"by": by, "at": now}
    changes = {
        "conditions": {**(application.get("conditions") or {}),
                       **{code: {**value, **stamp} for code, value in conditions.items()}},
        "factors": {**(application.get("factors") or {}),
                    **{code: {**value, **stamp} for code, value in factors.items()}}}
    if loss:
        changes["loss"] = {**loss, **stamp}
    return Change(set=changes)


def propose_ruling(application: Application, *, outcome: str, reasoning: str,
                   measures: Sequence[Mapping[str, Any]], proposal_id: str,
                   measure_ids: Sequence[str], now: datetime, by: str) -> Change:
    """The first of the four eyes: a ruling the rules allow (T-5) with its measures (T-7), waiting
    for another officer's approval."""
    rules.check_status(application, rules.UNDER_REVIEW, doing="propose a ruling")
    option = _allowed(application, outcome)
    rules.check_measures(outcome, measures, now)
    proposal = {"proposal_id": proposal_id, "outcome": outcome, "rules": list(option.rules),
                "reasoning": reasoning,
                "measures": [{"measure_id": measure_id, **measure}
                             for measure_id, measure in zip(measure_ids, measures, strict=True)],
                "by": by, "at": now}
    return Change(set={"proposal": proposal}, append={"history": [transition(
        rules.UNDER_REVIEW, rules.UNDER_REVIEW, by, now, reasoning, action="proposed",
        outcome=outcome)]})


def approve_ruling(application: Application, *, proposal_id: str, reason: str | None,
                   now: datetime, by: str) -> Change:
    """The second of the four eyes: the ruling is made and goes to accountability, talent and
    appraisal (C-4, T-6)."""
    rules.check_status(application, rules.UNDER_REVIEW, doing="approve a ruling")
    proposal = application.get("proposal") or None
    rules.check_four_eyes(proposal, by, proposal_id)
    option = _allowed(application, proposal["outcome"])  # an assessment changed since is asked again
    measures = [{**measure, "status": rules.OPEN} for measure in proposal["measures"]]
    ruling = {**proposal, "rules": list(option.rules), "approved_by": by, "approved_at": now}
    return Change(
        set={"status": rules.RULED, "ruling": ruling, "proposal": {}, "measures": measures},
        append={"history": [transition(rules.UNDER_REVIEW, rules.RULED, by, now, reason,
                                       action="approved", outcome=proposal["outcome"])]},
        events=[Event(RulingMade, {
            "application_id": application["_id"], "cadre_id": application["cadre_id"],
            "case_id": application.get("case_id"), "outcome": proposal["outcome"],
            "rules": list(option.rules), "ruled_at": now,
            "measures": [{k: m[k] for k in ("measure_id", "description", "due")} for m in measures]})])


def complete_measure(application: Application, *, measure_id: str, note: str, now: datetime,
                     by: str) -> Change:
    """T-7: a corrective measure done, with what was done."""
    rules.check_status(application, rules.RULED, doing="complete a measure")
    measures = [dict(m) for m in application.get("measures", [])]
    measure = next((m for m in measures if m["measure_id"] == measure_id), None)
    if measure is None:
        raise NotFound(f"application {application['_id']} has no measure {measure_id}",
                       code="MEASURE_NOT_FOUND")
    if measure["status"] == rules.DONE:
        raise Conflict(f"measure {measure_id} is already done", code="MEASURE_DONE", rule="T-7",
                       details={"done_at": as_utc(measure["done_at"]).isoformat()})
    measure.update(status=rules.DONE, done_at=now, done_by=by, note=note)
    return Change(set={"measures": measures})


def _allowed(application: Application, outcome: str) -> rules.Outcome:
    """T-5: a ruling rests on a complete assessment and is one the recorded conditions allow."""
    rules.check_assessed(application)
    return rules.check_outcome(outcome, rules.allowed_for(application))


# work lists (DOMAIN.md "Work lists (v2)")

RULING_TO_APPROVE, APPLICATION_IN_REVIEW, MEASURE_OVERDUE = (
    "RULING_TO_APPROVE", "APPLICATION_IN_REVIEW", "MEASURE_OVERDUE")


def rulings_to_approve(applications: Sequence[Application], user_id: str,
                       now: datetime) -> list[dict[str, Any]]:
    """Rulings proposed by another officer, waiting for this one's approval (four eyes)."""
    return [work.item(RULING_TO_APPROVE, "application", a["_id"],
                      f"/tolerance/applications/{a['_id']}", cadre_id=a["cadre_id"],
                      unit_id=a.get("unit_id"), state=a["status"], since=a["proposal"].get("at"),
                      now=now, detail={"outcome": a["proposal"].get("outcome"),
                                       "proposed_by": a["proposal"].get("by")})
            for a in applications
            if (a.get("proposal") or {}).get("proposal_id") and a["proposal"].get("by") != user_id]


def applications_in_review(applications: Sequence[Application], now: datetime) -> list[dict[str, Any]]:
    """Applications to review and rule (T-5), the oldest filed first; a held case marked."""
    return [work.item(APPLICATION_IN_REVIEW, "application", a["_id"],
                      f"/tolerance/applications/{a['_id']}", cadre_id=a["cadre_id"],
                      unit_id=a.get("unit_id"), state=a["status"], since=a.get("filed_at"), now=now,
                      detail={"situation": a["situation"], "case_id": a.get("case_id"),
                              "proposed": bool((a.get("proposal") or {}).get("proposal_id"))})
            for a in applications]


def measures_overdue(measures: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Corrective measures not done by their deadline (T-7), the most overdue first."""
    return [work.item(MEASURE_OVERDUE, "measure", f"{m['application_id']}:{m['measure_id']}",
                      f"/tolerance/applications/{m['application_id']}", cadre_id=m["cadre_id"],
                      unit_id=m.get("unit_id"), state=m["status"], due=m["due"], now=now,
                      detail={"measure": m.get("description")})
            for m in measures]
